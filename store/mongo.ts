/**
 * MongoDB adapter of the store port (DESIGN.md §4), official driver 6. Also runs against FerretDB.
 *
 * Ids: we always write string `_id`s (generated when absent, never ObjectId), so both adapters return
 * identical documents; foreign documents (free5GC webconsole, Open5GS) may carry ObjectIds, which we
 * return as hex strings and accept back as hex strings in `_id` filters.
 * Numbers: a collection opened with `bsonNumbers: 'double'` writes every number as a BSON double,
 * because free5GC's PCF type-asserts float64 on documents it reads from the shared database.
 */
import { Double, MongoClient, MongoServerError, ObjectId } from 'mongodb'
import type { Collection as MongoCollection, Db, Document, WriteConcernSettings } from 'mongodb'
import { DuplicateKeyError } from './port.ts'
import type {
  Collection, CollectionOptions, Doc, DocumentStore, Filter, FindOneAndUpdateOptions, FindOneOptions, FindOptions, IndexSpec,
  Update, UpdateOptions, UpdateResult,
} from './port.ts'
import { isOperatorObject, newId } from './doc.ts'

export interface MongoStoreOptions {
  /** Default `{ w: 'majority', journal: true }`; pass `null` to use the URI's / server's default. */
  writeConcern?: WriteConcernSettings | null
}

/** Our writes: drops `undefined` (as JSON storage does) and, when asked, makes every number a Double. */
function toBson(v: unknown, doubles: boolean): unknown {
  if (typeof v === 'number') return doubles ? new Double(v) : v
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toBson(x, doubles)))
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toBson(x, doubles)
    return out
  }
  return v
}

/** What we read: plain JSON. ObjectIds become hex strings, Dates ISO strings. */
function fromBson(v: unknown): unknown {
  if (v instanceof ObjectId) return v.toHexString()
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(fromBson)
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = fromBson(x)
    return out
  }
  return v
}

/** Filters: `undefined` means null (never "no condition"), and a 24-hex `_id` also matches its ObjectId. */
function toFilter(filter: Filter, matchObjectId = true): Document {
  const out: Document = {}
  for (const [k, v] of Object.entries(filter)) out[k] = v === undefined ? null : v
  const id = out._id
  if (matchObjectId && typeof id === 'string' && ObjectId.isValid(id) && /^[0-9a-f]{24}$/i.test(id)) {
    out._id = { $in: [id, new ObjectId(id)] }
  }
  return out
}

function pinnedId(filter: Filter): string | undefined {
  const v = filter._id
  if (typeof v === 'string') return v
  if (isOperatorObject(v) && typeof v.$eq === 'string') return v.$eq
  return undefined
}

function isDuplicate(e: unknown): boolean {
  if (!(e instanceof MongoServerError)) return false
  if (e.code === 11000 || e.code === 11001) return true
  // FerretDB v1 (SQLite backend) answers an update that violates a unique index with code 1
  // (InternalError) and SQLite's own message instead of E11000.
  return e.code === 1 && /UNIQUE constraint failed/.test(e.message)
}

class MongoAdapterCollection<T extends Doc> implements Collection<T> {
  constructor(private readonly c: MongoCollection<Document>, readonly name: string, private readonly doubles: boolean) {}

  private async guard<R>(f: () => Promise<R>): Promise<R> {
    try {
      return await f()
    } catch (e) {
      if (isDuplicate(e)) throw new DuplicateKeyError(this.name, (e as Error).message)
      throw e
    }
  }

  private bson(v: unknown): Document {
    return toBson(v, this.doubles) as Document
  }

  /** An upsert must not let the server invent an ObjectId `_id`: give it a string one. */
  private upsertUpdate(filter: Filter, update: Update, upsert: boolean): Document {
    const u = this.bson(update)
    if (upsert && pinnedId(filter) === undefined) u.$setOnInsert = { _id: newId(), ...(u.$setOnInsert ?? {}) }
    return u
  }

  async findOne(filter: Filter, _opts?: FindOneOptions): Promise<T | null> {
    return fromBson(await this.c.findOne(toFilter(filter))) as T | null
  }

  async find(filter: Filter, opts: FindOptions = {}): Promise<T[]> {
    const docs = await this.c.find(toFilter(filter), { sort: opts.sort, limit: opts.limit, skip: opts.skip, ...(opts.projection ? { projection: opts.projection } : {}) }).toArray()
    return docs.map(fromBson) as T[]
  }

  async count(filter: Filter): Promise<number> {
    return this.c.countDocuments(toFilter(filter))
  }

  async exists(filter: Filter): Promise<boolean> {
    return (await this.c.findOne(toFilter(filter), { projection: { _id: 1 } })) !== null
  }

  async insertOne(doc: T): Promise<string> {
    const { _id: given, ...rest } = doc
    const _id = given === undefined || given === null ? newId() : given
    if (typeof _id !== 'string') throw new Error('_id must be a string')
    await this.guard(() => this.c.insertOne(this.bson({ _id, ...rest })))
    return _id
  }

  async replaceOne(filter: Filter, doc: T, opts: UpdateOptions = {}): Promise<UpdateResult> {
    const { _id, ...rest } = doc
    const r = await this.guard(() => this.c.replaceOne(toFilter(filter), this.bson(rest)))
    if (r.matchedCount || !opts.upsert) return { matched: r.matchedCount, modified: r.modifiedCount }
    // Not an upsert on the server: it would give the new document an ObjectId when the filter has no _id.
    const upsertedId = await this.insertOne({ ...rest, _id: (_id as string | undefined) ?? pinnedId(filter) ?? newId() } as unknown as T)
    return { matched: 0, modified: 0, upsertedId }
  }

  async updateOne(filter: Filter, update: Update, opts: UpdateOptions = {}): Promise<UpdateResult> {
    const upsert = !!opts.upsert
    const r = await this.guard(() =>
      this.c.updateOne(toFilter(filter, !upsert), this.upsertUpdate(filter, update, upsert), { upsert }),
    )
    const res: UpdateResult = { matched: r.matchedCount, modified: r.modifiedCount }
    if (r.upsertedId != null) res.upsertedId = fromBson(r.upsertedId) as string
    return res
  }

  async updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    const r = await this.guard(() => this.c.updateMany(toFilter(filter), this.bson(update)))
    return { matched: r.matchedCount, modified: r.modifiedCount }
  }

  async findOneAndUpdate(filter: Filter, update: Update, opts: FindOneAndUpdateOptions = {}): Promise<T | null> {
    const upsert = !!opts.upsert
    const doc = await this.guard(() =>
      this.c.findOneAndUpdate(toFilter(filter, !upsert), this.upsertUpdate(filter, update, upsert), {
        upsert,
        returnDocument: opts.returnDocument ?? 'after',
        includeResultMetadata: false,
      }),
    )
    return fromBson(doc) as T | null
  }

  async findOneAndDelete(filter: Filter): Promise<T | null> {
    return fromBson(await this.c.findOneAndDelete(toFilter(filter), { includeResultMetadata: false })) as T | null
  }

  async deleteOne(filter: Filter): Promise<number> {
    return (await this.c.deleteOne(toFilter(filter))).deletedCount
  }

  async deleteMany(filter: Filter): Promise<number> {
    return (await this.c.deleteMany(toFilter(filter))).deletedCount
  }

  async createIndex(spec: IndexSpec): Promise<void> {
    const keys = Object.fromEntries(spec.fields.map((f) => [f, 1 as const]))
    // Without a name the server's default (`supi_1`) is used, so an index a free5GC webconsole
    // already made on the same keys is recognised instead of conflicting by name.
    await this.guard(() => this.c.createIndex(keys, { unique: !!spec.unique, ...(spec.sparse ? { sparse: true } : {}), ...(spec.name ? { name: spec.name } : {}) }))
  }
}

export class MongoStore implements DocumentStore {
  readonly kind = 'mongodb' as const
  /** The driver's database, for tests and tools that need raw access (e.g. foreign documents). */
  readonly db: Db

  constructor(private readonly client: MongoClient, dbName: string) {
    this.db = client.db(dbName)
  }

  collection<T extends Doc = Doc>(name: string, opts: CollectionOptions = {}): Collection<T> {
    return new MongoAdapterCollection<T>(this.db.collection(name), name, opts.bsonNumbers === 'double')
  }

  async dropAll(): Promise<void> {
    await this.db.dropDatabase()
  }

  async close(): Promise<void> {
    await this.client.close()
  }
}

export async function createMongoStore(uri: string, dbName: string, opts: MongoStoreOptions = {}): Promise<MongoStore> {
  const writeConcern = opts.writeConcern === undefined ? { w: 'majority' as const, journal: true } : opts.writeConcern
  const client = new MongoClient(uri, writeConcern ? { writeConcern } : {})
  await client.connect()
  return new MongoStore(client, dbName)
}
