/**
 * Translation of port filters and sorts into SQL over `json_extract` (store/sqlite.ts).
 *
 * An indexed path is read from its index column (`"@x"`, see IndexColumns), which is what lets SQLite
 * use the index; other paths are inlined as SQL literals in `json_extract(doc, '$.x')` (tables made
 * before index columns existed had expression indexes over that text). Values are always bound
 * parameters, so the SQL text is the query's shape and keys the statement cache.
 *
 * Mongo semantics kept: `{a: null}` matches null or missing; `$ne` matches missing; comparisons
 * only match values of the same type (number vs number, string vs string); `true` never equals 1.
 * Not supported (documented in store/README.md): equality against an array field matching when the
 * array merely contains the value, dotted paths reaching into arrays of objects, $and/$or/$not.
 */
import { isOperatorObject } from './doc.ts'
import type { Filter } from './port.ts'

export type Param = string | number | null

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** `a.b.0.c` → `$."a"."b"[0]."c"` (numeric segments are taken as array indexes). */
export function jsonPathText(path: string): string {
  return (
    '$' +
    path
      .split('.')
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `."${s.replaceAll('"', '\\"')}"`))
      .join('')
  )
}

/** The same path as an SQL string literal: `'$."a"."b"[0]."c"'`. */
export function jsonPath(path: string): string {
  return `'${jsonPathText(path).replaceAll("'", "''")}'`
}

/**
 * Paths that have an index column in this table: the column `"@<path>"` holds exactly what
 * `json_extract(doc, path)` gives (written by the adapter on every insert and update), so queries read
 * the column and its index instead of parsing the document.
 */
export type IndexColumns = ReadonlySet<string>
const NO_COLUMNS: IndexColumns = new Set()

export function columnIdent(path: string): string {
  return quoteIdent(`@${path}`)
}

/** The indexed/sorted expression of a field. */
export function fieldExpr(path: string, cols: IndexColumns = NO_COLUMNS): string {
  if (path === '_id') return '_id'
  return cols.has(path) ? columnIdent(path) : `json_extract(doc, ${jsonPath(path)})`
}

function typeExpr(path: string): string {
  return `json_type(doc, ${jsonPath(path)})`
}

/** SQL that is 1 when the field equals `v`, 0 or NULL otherwise. */
function eq(path: string, v: unknown, params: Param[], cols: IndexColumns): string {
  const f = fieldExpr(path, cols)
  if (v === null || v === undefined) return `${f} IS NULL`
  if (path === '_id') {
    if (typeof v !== 'string') return '0'
    params.push(v)
    return `${f} = ?`
  }
  const t = typeExpr(path)
  switch (typeof v) {
    case 'string':
      params.push(v)
      // What json_extract (and an index column) gives is SQL text only for a string, or for an object or
      // array as its JSON text, which starts with '{' or '['. A string that starts with neither can only
      // equal a string: no json_type, which would make SQLite parse the document of every candidate row.
      return v[0] === '{' || v[0] === '[' ? `(${f} = ? AND ${t} = 'text')` : `${f} = ?`
    case 'number':
      params.push(v)
      return `(${f} = ? AND ${t} IN ('integer','real'))`
    case 'boolean':
      return `(${f} = ${v ? 1 : 0} AND ${t} = '${v}')`
    case 'object':
      // Embedded document / array: exact match of its JSON (key order matters, as in Mongo).
      params.push(JSON.stringify(v))
      return `(${f} = json(?) AND ${t} IN ('object','array'))`
    default:
      throw new Error(`unsupported filter value type ${typeof v} for ${path}`)
  }
}

function cmp(path: string, op: string, v: unknown, params: Param[], cols: IndexColumns): string {
  const sym = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op]!
  const f = fieldExpr(path, cols)
  if (typeof v === 'number') {
    if (path === '_id') return '0' // _id is always a string: a number bracket never matches
    params.push(v)
    return `(${f} ${sym} ? AND ${typeExpr(path)} IN ('integer','real'))`
  }
  if (typeof v === 'string') {
    params.push(v)
    return path === '_id' ? `${f} ${sym} ?` : `(${f} ${sym} ? AND ${typeExpr(path)} = 'text')`
  }
  throw new Error(`${op} needs a number or a string (field ${path})`)
}

function fieldClause(path: string, cond: unknown, params: Param[], cols: IndexColumns): string {
  if (!isOperatorObject(cond)) return eq(path, cond, params, cols)
  const parts: string[] = []
  for (const [op, v] of Object.entries(cond)) {
    switch (op) {
      case '$eq':
        parts.push(eq(path, v, params, cols))
        break
      case '$ne':
        // `IS NOT 1` is true for 0 and NULL, so missing fields match, as in Mongo.
        parts.push(`(${eq(path, v, params, cols)}) IS NOT 1`)
        break
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        parts.push(cmp(path, op, v, params, cols))
        break
      case '$in':
        if (!Array.isArray(v)) throw new Error(`$in needs an array (field ${path})`)
        parts.push(v.length === 0 ? '0' : `(${v.map((x) => eq(path, x, params, cols)).join(' OR ')})`)
        break
      case '$exists':
        // The path is bound, not inlined: no index serves json_type, and per-document paths (e.g. an op
        // marker `ops.<op id>`) would otherwise make every query a new statement to prepare.
        if (path === '_id') parts.push(v ? '1' : '0')
        else {
          params.push(jsonPathText(path))
          parts.push(`json_type(doc, ?) IS ${v ? 'NOT ' : ''}NULL`)
        }
        break
      default:
        throw new Error(`unsupported filter operator ${op} (field ${path})`)
    }
  }
  return parts.join(' AND ')
}

/** `WHERE ...` text (or '') and its parameters. */
export function whereClause(filter: Filter, cols: IndexColumns = NO_COLUMNS): { sql: string; params: Param[] } {
  const params: Param[] = []
  const parts: string[] = []
  for (const [path, cond] of Object.entries(filter)) {
    if (path.startsWith('$')) throw new Error(`unsupported top-level operator ${path}`)
    parts.push(fieldClause(path, cond, params, cols))
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params }
}

export function orderClause(sort?: Record<string, 1 | -1>, cols: IndexColumns = NO_COLUMNS): string {
  const keys = Object.entries(sort ?? {})
  if (keys.length === 0) return ' ORDER BY rowid'
  return ` ORDER BY ${keys.map(([p, d]) => `${fieldExpr(p, cols)} ${d === -1 ? 'DESC' : 'ASC'}`).join(', ')}, rowid`
}
