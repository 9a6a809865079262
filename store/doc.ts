/**
 * Pure helpers shared by the adapters: dotted paths, applying an Update to a plain document
 * (the SQLite adapter reads, applies in JS and writes back inside one transaction), and the
 * document an upsert starts from (Mongo copies the filter's equality fields into it).
 */
import { randomFillSync } from 'node:crypto'
import type { Doc, Filter, Update } from './port.ts'

const pool = Buffer.allocUnsafe(16 * 256)
let poolAt = pool.length
let lastMs = -1
let seq = 0

/**
 * A fresh `_id` (never an ObjectId, so both adapters look alike), also used for resource ids (smPolicyId,
 * ChargingDataRef …): a UUID version 7 (RFC 9562), i.e. 48 bits of Unix milliseconds, a 12-bit counter
 * that orders ids made in the same millisecond, and 62 random bits. Time-ordered keys append to the
 * end of a B-tree instead of dirtying a random page of it on every insert.
 */
export function newId(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const b = pool.subarray(poolAt, poolAt + 16)
  poolAt += 16
  const ms = Date.now()
  if (ms > lastMs) {
    lastMs = ms
    seq = b[6]! & 0x07 // a random start leaves room for 4000 more ids in this millisecond
  } else if (++seq > 0xfff) {
    lastMs++ // the counter overflowed: borrow the next millisecond (stays monotonic)
    seq = 0
  }
  b.writeUIntBE(lastMs, 0, 6)
  b[6] = 0x70 | (seq >> 8)
  b[7] = seq & 0xff
  b[8] = 0x80 | (b[8]! & 0x3f)
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** True when `v` is `{ $op: ... }` (all keys start with `$`), i.e. operators and not a value. */
export function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const keys = Object.keys(v)
  if (keys.length === 0) return false
  const ops = keys.filter((k) => k.startsWith('$')).length
  if (ops === 0) return false
  if (ops !== keys.length) throw new Error(`filter mixes operators and fields: ${keys.join(',')}`)
  return true
}

/**
 * `f` memoised by its string argument, for values computed over and over from the same few keys (dotted
 * paths, map keys). The memory starts afresh past `max` entries, so one-off keys cannot grow it without end.
 */
export function memoByString<T>(f: (key: string) => T, max: number): (key: string) => T {
  const memo = new Map<string, T>()
  return (key) => {
    let v = memo.get(key)
    if (v === undefined) {
      if (memo.size >= max) memo.clear()
      v = f(key)
      memo.set(key, v)
    }
    return v
  }
}

/**
 * The segments of a dotted path, split once per distinct path (the hot filters and updates use the same
 * few dozen paths over and over).
 */
export const pathSegments: (path: string) => readonly string[] = memoByString((path) => path.split('.'), 10_000)

export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc
  for (const seg of pathSegments(path)) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[seg]
  }
  return cur
}

/**
 * Deep copy of a JSON value with JSON's rules (what storing and reading back would give): `undefined`,
 * functions and symbols are dropped from objects and become null in arrays, `toJSON` is honoured (Dates
 * become strings), non-finite numbers become null, BigInt throws. 4–5x faster than a JSON round trip.
 */
export function clone<T>(v: T): T {
  return v === undefined ? v : (copyJson(v, '') as T)
}

function copyJson(v: unknown, key: string): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v
    if (typeof v === 'number') return Number.isFinite(v) ? v : null
    if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt')
    return undefined // undefined, function, symbol
  }
  if (Array.isArray(v)) {
    const a = new Array(v.length)
    for (let i = 0; i < v.length; i++) a[i] = copyJson(v[i], String(i)) ?? null
    return a
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return copyJson((v as { toJSON: (k: string) => unknown }).toJSON(key), key)
  }
  const o: Record<string, unknown> = {}
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue
    const c = copyJson((v as Record<string, unknown>)[k], k)
    if (c !== undefined) o[k] = c
  }
  return o
}

/**
 * The object that holds the last segment of `path` in `root`, made writable: `create` makes missing
 * intermediate objects (as Mongo does); `own` turns an existing one into one this update may change (the
 * identity for an update in place, a shallow copy for copy-on-write). undefined when the path runs into a
 * missing parent without `create`; throws when it runs into a scalar with `create`.
 */
function holderOf(root: Doc, path: string, create: boolean, own: (o: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> | undefined {
  const segs = pathSegments(path)
  let cur: Record<string, unknown> = root
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!
    const next = cur[seg]
    if (next === undefined || next === null) {
      if (!create) return undefined
      cur = cur[seg] = own({})
    } else if (typeof next !== 'object') {
      if (!create) return undefined
      throw new Error(`cannot create field in element ${seg} of ${path}`)
    } else {
      const mine = own(next as Record<string, unknown>)
      if (mine !== next) cur[seg] = mine
      cur = mine
    }
  }
  return cur
}

const lastSeg = (path: string) => path.slice(path.lastIndexOf('.') + 1)

/** Sets a dotted path, creating intermediate objects like Mongo does. */
export function setPath(doc: Doc, path: string, value: unknown): void {
  holderOf(doc, path, true, (o) => o)![lastSeg(path)] = value
}

function applyWith(doc: Doc, update: Update, inserting: boolean, own: (o: Record<string, unknown>) => Record<string, unknown>, adopt = false): void {
  for (const key of Object.keys(update)) {
    if (!['$set', '$unset', '$inc', '$push', '$setOnInsert'].includes(key)) {
      throw new Error(`unsupported update operator ${key}`)
    }
  }
  checkConflicts(update)
  const id = doc._id
  const set = (p: string, v: unknown) => {
    holderOf(doc, p, true, own)![lastSeg(p)] = v
  }
  const copy = adopt ? <V>(v: V) => v : clone
  for (const [p, v] of Object.entries(update.$set ?? {})) set(p, copy(v))
  if (inserting) for (const [p, v] of Object.entries(update.$setOnInsert ?? {})) set(p, copy(v))
  for (const p of Object.keys(update.$unset ?? {})) {
    const parent = holderOf(doc, p, false, own)
    const last = lastSeg(p)
    if (!parent || !(last in parent)) continue
    // Mongo sets an unset array element to null rather than shifting the array.
    if (Array.isArray(parent)) {
      if (/^\d+$/.test(last) && Number(last) < parent.length) parent[Number(last)] = null
    } else delete parent[last]
  }
  for (const [p, by] of Object.entries(update.$inc ?? {})) {
    const cur = getPath(doc, p)
    if (cur !== undefined && typeof cur !== 'number') throw new Error(`cannot apply $inc to non-numeric field ${p}`)
    set(p, ((cur as number | undefined) ?? 0) + by)
  }
  for (const [p, v] of Object.entries(update.$push ?? {})) {
    const cur = getPath(doc, p)
    if (cur !== undefined && !Array.isArray(cur)) throw new Error(`cannot apply $push to non-array field ${p}`)
    const items = isOperatorObject(v) && Array.isArray(v.$each) ? v.$each : [v]
    set(p, [...((cur as unknown[] | undefined) ?? []), ...copy(items)])
  }
  if (id !== undefined && doc._id !== id) throw new Error('the _id field cannot be changed')
}

/** Applies $set/$unset/$inc/$push (and $setOnInsert when inserting) in place; values are copied in unless `adopt`. */
export function applyUpdate(doc: Doc, update: Update, inserting: boolean, adopt = false): void {
  applyWith(doc, update, inserting, (o) => o, adopt)
}

/**
 * Applies an update to a document others may be holding, without changing it or anything in it: returns
 * the updated document, which shares every object the update does not touch with `doc` (only the objects
 * on the updated paths are copied, shallowly). The shared parts must stay unchanged from now on.
 */
export function applyUpdateShared(doc: Doc, update: Update, adopt = false): Doc {
  const root: Doc = { ...doc }
  const mine = new Set<object>([root])
  applyWith(root, update, false, (o) => {
    if (mine.has(o)) return o
    const copy = (Array.isArray(o) ? o.slice() : { ...o }) as Record<string, unknown>
    mine.add(copy)
    return copy
  }, adopt)
  return root
}

/** Mongo refuses an update that touches one path twice (or a path and its parent): so do we. */
function checkConflicts(update: Update): void {
  const seen = new Set<string>()
  for (const fields of Object.values(update)) for (const p of Object.keys(fields ?? {})) {
    if (seen.has(p)) throw new Error(`Updating the path '${p}' would create a conflict at '${p}'`)
    seen.add(p)
  }
  for (const p of seen) {
    // a path and one of its parents (each proper prefix ending before a '.')
    for (let i = p.indexOf('.'); i > 0; i = p.indexOf('.', i + 1)) {
      const parent = p.slice(0, i)
      if (seen.has(parent)) throw new Error(`Updating the path '${parent}' would create a conflict at '${p}'`)
    }
  }
}

/** The document an upsert inserts before the update applies: the filter's equality fields. */
export function upsertSeed(filter: Filter): Doc {
  const doc: Doc = {}
  for (const [p, v] of Object.entries(filter)) {
    if (!isOperatorObject(v)) setPath(doc, p, clone(v ?? null))
    else if ('$eq' in v) setPath(doc, p, clone(v.$eq ?? null))
  }
  return doc
}
