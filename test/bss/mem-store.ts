/**
 * A small in-memory DocumentStore (store/port.ts) for the BSS tests, used when the lead's
 * test/helpers/store.ts is absent. Implements the port's subset: dotted equality and operator
 * filters, $set/$unset/$inc/$push/$setOnInsert, unique indexes, sort/skip/limit.
 */
import { randomUUID } from 'node:crypto'
import { DuplicateKeyError, type Collection, type Doc, type DocumentStore, type Filter, type FindOptions, type IndexSpec, type Update, type UpdateResult } from '../../store/port.ts'

function get(doc: unknown, path: string): unknown {
  let cur: any = doc
  for (const p of path.split('.')) {
    if (cur == null || typeof cur !== 'object') return undefined
    cur = cur[p]
  }
  return cur
}
function set(doc: any, path: string, value: unknown): void {
  const parts = path.split('.')
  let cur = doc
  for (const p of parts.slice(0, -1)) {
    if (cur[p] == null || typeof cur[p] !== 'object') cur[p] = {}
    cur = cur[p]
  }
  cur[parts[parts.length - 1]!] = value
}
function unset(doc: any, path: string): void {
  const parts = path.split('.')
  let cur = doc
  for (const p of parts.slice(0, -1)) {
    cur = cur?.[p]
    if (cur == null) return
  }
  delete cur[parts[parts.length - 1]!]
}
const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
function cmp(a: any, b: any): number {
  return a < b ? -1 : a > b ? 1 : 0
}
function isOps(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'))
}
export function matches(doc: Doc, filter: Filter): boolean {
  for (const [k, cond] of Object.entries(filter)) {
    const v = get(doc, k)
    if (isOps(cond)) {
      for (const [op, arg] of Object.entries(cond)) {
        const a: any = arg
        switch (op) {
          case '$eq': if (!eq(v, a)) return false; break
          case '$ne': if (eq(v, a)) return false; break
          case '$gt': if (v === undefined || v === null || !(cmp(v, a) > 0)) return false; break
          case '$gte': if (v === undefined || v === null || !(cmp(v, a) >= 0)) return false; break
          case '$lt': if (v === undefined || v === null || !(cmp(v, a) < 0)) return false; break
          case '$lte': if (v === undefined || v === null || !(cmp(v, a) <= 0)) return false; break
          case '$in': if (!(a as unknown[]).some((x) => eq(v, x) || (Array.isArray(v) && v.some((y) => eq(y, x))))) return false; break
          case '$exists': if ((v !== undefined) !== a) return false; break
          default: throw new Error(`unsupported operator ${op}`)
        }
      }
    } else if (!(eq(v, cond) || (Array.isArray(v) && v.some((y) => eq(y, cond))))) return false
  }
  return true
}
function applyUpdate(doc: any, u: Update, inserting: boolean): void {
  for (const [k, v] of Object.entries(u.$set ?? {})) set(doc, k, structuredClone(v))
  for (const k of Object.keys(u.$unset ?? {})) unset(doc, k)
  for (const [k, v] of Object.entries(u.$inc ?? {})) set(doc, k, ((get(doc, k) as number) ?? 0) + v)
  for (const [k, v] of Object.entries(u.$push ?? {})) {
    const arr = (get(doc, k) as unknown[]) ?? []
    arr.push(structuredClone(v))
    set(doc, k, arr)
  }
  if (inserting) for (const [k, v] of Object.entries(u.$setOnInsert ?? {})) set(doc, k, structuredClone(v))
}

class MemCollection<T extends Doc> implements Collection<T> {
  docs = new Map<string, T>()
  indexes: IndexSpec[] = []
  constructor(readonly name: string) {}
  private check(doc: T, selfId?: string): void {
    for (const ix of this.indexes.filter((i) => i.unique)) {
      const key = ix.fields.map((f) => get(doc, f))
      if (key.every((x) => x === undefined)) continue
      for (const [id, d] of this.docs) {
        if (id === selfId) continue
        if (eq(ix.fields.map((f) => get(d, f)), key)) throw new DuplicateKeyError(this.name, ix.fields.join(','))
      }
    }
  }
  async findOne(filter: Filter): Promise<T | null> {
    if (typeof filter._id === 'string') {
      const d = this.docs.get(filter._id)
      return d && matches(d, filter) ? structuredClone(d) : null
    }
    for (const d of this.docs.values()) if (matches(d, filter)) return structuredClone(d)
    return null
  }
  async find(filter: Filter, opts: FindOptions = {}): Promise<T[]> {
    let out = [...this.docs.values()].filter((d) => matches(d, filter))
    if (opts.sort) {
      const s = Object.entries(opts.sort)
      out.sort((a, b) => {
        for (const [k, dir] of s) {
          const c = cmp(get(a, k), get(b, k))
          if (c) return c * dir
        }
        return 0
      })
    }
    if (opts.skip) out = out.slice(opts.skip)
    if (opts.limit) out = out.slice(0, opts.limit)
    return out.map((d) => structuredClone(d))
  }
  async count(filter: Filter): Promise<number> {
    return (await this.find(filter)).length
  }
  async insertOne(doc: T): Promise<string> {
    const d = structuredClone(doc) as any
    if (d._id === undefined) d._id = randomUUID()
    if (this.docs.has(d._id)) throw new DuplicateKeyError(this.name, `_id ${d._id}`)
    this.check(d)
    this.docs.set(d._id, d)
    return d._id
  }
  async replaceOne(filter: Filter, doc: T, opts: { upsert?: boolean } = {}): Promise<UpdateResult> {
    const cur = await this.findOne(filter)
    if (!cur) {
      if (!opts.upsert) return { matched: 0, modified: 0 }
      const id = await this.insertOne({ ...(filter._id !== undefined && !isOps(filter._id) ? { _id: filter._id } : {}), ...doc })
      return { matched: 0, modified: 0, upsertedId: id }
    }
    const d = { ...structuredClone(doc), _id: cur._id } as T
    this.check(d, cur._id as string)
    this.docs.set(cur._id as string, d)
    return { matched: 1, modified: 1 }
  }
  private async upd(filter: Filter, u: Update, upsert: boolean, many: boolean): Promise<{ r: UpdateResult; before?: T; after?: T }> {
    const targets = many ? await this.find(filter) : [await this.findOne(filter)].filter(Boolean) as T[]
    if (targets.length === 0) {
      if (!upsert) return { r: { matched: 0, modified: 0 } }
      const base: any = {}
      for (const [k, v] of Object.entries(filter)) if (!isOps(v)) set(base, k, v)
      applyUpdate(base, u, true)
      const id = await this.insertOne(base)
      return { r: { matched: 0, modified: 0, upsertedId: id }, after: this.docs.get(id) }
    }
    let before: T | undefined, after: T | undefined
    for (const t of targets) {
      const d = structuredClone(t)
      applyUpdate(d, u, false)
      this.check(d, t._id as string)
      this.docs.set(t._id as string, d)
      before ??= t
      after ??= d
    }
    return { r: { matched: targets.length, modified: targets.length }, before, after }
  }
  async updateOne(filter: Filter, update: Update, opts: { upsert?: boolean } = {}): Promise<UpdateResult> {
    return (await this.upd(filter, update, !!opts.upsert, false)).r
  }
  async updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return (await this.upd(filter, update, false, true)).r
  }
  async findOneAndUpdate(filter: Filter, update: Update, opts: { upsert?: boolean; returnDocument?: 'before' | 'after' } = {}): Promise<T | null> {
    const { before, after } = await this.upd(filter, update, !!opts.upsert, false)
    const d = opts.returnDocument === 'before' ? before : after
    return d ? structuredClone(d) : null
  }
  async findOneAndDelete(filter: Filter): Promise<T | null> {
    const d = await this.findOne(filter)
    if (d) this.docs.delete(d._id as string)
    return d
  }
  async deleteOne(filter: Filter): Promise<number> {
    return (await this.findOneAndDelete(filter)) ? 1 : 0
  }
  async deleteMany(filter: Filter): Promise<number> {
    const ds = await this.find(filter)
    for (const d of ds) this.docs.delete(d._id as string)
    return ds.length
  }
  async createIndex(spec: IndexSpec): Promise<void> {
    if (!this.indexes.some((i) => eq(i.fields, spec.fields))) this.indexes.push(spec)
  }
}

export function createMemStore(): DocumentStore {
  const cols = new Map<string, MemCollection<any>>()
  return {
    kind: 'sqlite',
    collection<T extends Doc = Doc>(name: string) {
      let c = cols.get(name)
      if (!c) cols.set(name, (c = new MemCollection<T>(name)))
      return c as unknown as Collection<T>
    },
    async dropAll() {
      cols.clear()
    },
    async close() {},
  }
}
