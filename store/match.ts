/**
 * The SQLite adapter's filter semantics (store/sqlite-sql.ts) evaluated in JS on a parsed document.
 *
 * The adapter uses it when a filter pins `_id`: the row is fetched by its primary key and the rest of
 * the filter is checked here, so SQLite never parses the JSON text of the document (`json_extract`,
 * `json_type`) for the guarded updates on the hot paths (CHF balances, SQN, policy associations).
 * test/store/match.test.ts runs the same filters both ways on the same documents and expects the
 * same answers.
 *
 * Paths follow SQLite's JSON paths as whereClause writes them: a numeric segment indexes an array
 * (`a.0` is `$."a"[0]`), any other segment names a key of an object; anything else is missing.
 */
import { isOperatorObject, memoByString, pathSegments } from './doc.ts'
import type { Doc, Filter } from './port.ts'

const MISSING = Symbol('missing')
type Value = unknown | typeof MISSING

/** The value at a dotted path as `json_extract`/`json_type` see it, or MISSING. */
/** A path's segments with the array indexes as numbers, parsed once per distinct path. */
const parsedPath = memoByString(
  (path): ReadonlyArray<string | number> => pathSegments(path).map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg)),
  10_000,
)

export function jsonGet(doc: unknown, path: string): Value {
  let cur: unknown = doc
  for (const seg of parsedPath(path)) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return MISSING
      const i = seg
      if (i >= cur.length) return MISSING
      cur = cur[i]
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return MISSING
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return MISSING
      cur = (cur as Record<string, unknown>)[seg]
    }
    if (cur === undefined) return MISSING
  }
  return cur
}

/**
 * The SQL value `json_extract(doc, path)` gives for a document: NULL for missing or JSON null, 1/0 for
 * booleans, the minified JSON text for objects and arrays. Index columns store exactly this.
 */
export function sqlValueOf(doc: unknown, path: string): string | number | null {
  let v = jsonGet(doc, path)
  // A document on its way in may hold what JSON.stringify converts (a Date): index what gets stored.
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON()
  if (v === MISSING || v === null || v === undefined) return null
  if (typeof v === 'number' && !Number.isFinite(v)) return null
  switch (typeof v) {
    case 'string':
    case 'number':
      return v
    case 'boolean':
      return v ? 1 : 0
    default:
      return JSON.stringify(v)
  }
}

function isObject(v: Value): boolean {
  return v !== null && typeof v === 'object'
}

function eq(path: string, actual: Value, want: unknown): boolean {
  if (want === null || want === undefined) return actual === MISSING || actual === null
  if (path === '_id') return typeof want === 'string' && actual === want
  switch (typeof want) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof actual === typeof want && actual === want
    case 'object':
      return isObject(actual) && JSON.stringify(actual) === JSON.stringify(want)
    default:
      throw new Error(`unsupported filter value type ${typeof want} for ${path}`)
  }
}

function cmp(path: string, op: string, actual: Value, v: unknown): boolean {
  const test = (a: number | string, b: number | string) =>
    op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b
  if (typeof v === 'number') return path !== '_id' && typeof actual === 'number' && test(actual, v)
  if (typeof v === 'string') return typeof actual === 'string' && test(actual, v)
  throw new Error(`${op} needs a number or a string (field ${path})`)
}

function fieldMatches(path: string, actual: Value, cond: unknown): boolean {
  if (!isOperatorObject(cond)) return eq(path, actual, cond)
  for (const [op, v] of Object.entries(cond)) {
    let ok: boolean
    switch (op) {
      case '$eq':
        ok = eq(path, actual, v)
        break
      case '$ne':
        ok = !eq(path, actual, v)
        break
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        ok = cmp(path, op, actual, v)
        break
      case '$in':
        if (!Array.isArray(v)) throw new Error(`$in needs an array (field ${path})`)
        ok = v.some((x) => eq(path, actual, x))
        break
      case '$exists':
        ok = path === '_id' ? !!v : (actual !== MISSING) === !!v
        break
      default:
        throw new Error(`unsupported filter operator ${op} (field ${path})`)
    }
    if (!ok) return false
  }
  return true
}

/** True when the document matches the filter, with the SQLite adapter's semantics. */
export function matchesFilter(doc: Doc, filter: Filter): boolean {
  for (const [path, cond] of Object.entries(filter)) {
    if (path.startsWith('$')) throw new Error(`unsupported top-level operator ${path}`)
    if (!fieldMatches(path, jsonGet(doc, path), cond)) return false
  }
  return true
}
