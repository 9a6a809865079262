/**
 * The document-store port (DESIGN.md §4): a small, Mongo-shaped API with two adapters,
 * embedded SQLite (store/sqlite.ts) and MongoDB (store/mongo.ts). One conformance suite
 * (test/store/conformance.test.ts) runs against both.
 *
 * No multi-document transactions: every write is a single-document operation, and atomic
 * compare-and-set is done with a guarded filter, e.g.
 *   updateOne({ _id: acct, 'balance.remaining': { $gte: 500 } }, { $inc: { 'balance.remaining': -500 } })
 * which either matches and applies, or matches nothing (matched = 0) and changes nothing.
 */

export type Doc = Record<string, unknown>

/** Operators allowed on one field of a filter. A plain value means equality. */
export interface FieldOps {
  $eq?: unknown
  $ne?: unknown
  $gt?: number | string
  $gte?: number | string
  $lt?: number | string
  $lte?: number | string
  $in?: unknown[]
  $exists?: boolean
}

/** Equality or operators on (dotted) fields, all ANDed. */
export type Filter = Record<string, unknown | FieldOps>

export interface Update {
  $set?: Record<string, unknown>
  $unset?: Record<string, unknown>
  $inc?: Record<string, number>
  $push?: Record<string, unknown>
  /** Fields set only when an upsert inserts. */
  $setOnInsert?: Record<string, unknown>
}

export interface FindOptions {
  sort?: Record<string, 1 | -1>
  limit?: number
  skip?: number
  /**
   * Only these fields (and `_id`) of each match, as MongoDB's inclusion projection: `{ dnn: 1 }`. The
   * embedded adapter then reads them out of the stored JSON without parsing the whole document. Name
   * top-level fields or dotted paths into embedded documents that have them (where the parent lacks the
   * field, MongoDB answers an empty parent and the embedded adapter none).
   */
  projection?: Record<string, 1>
}

export interface FindOneOptions {
  /**
   * The caller promises to change nothing in the document it gets (nor keep it across its own writes
   * expecting it to stay as read): the adapter may hand out a document it shares (the SQLite row cache's
   * own, saving a copy). Later updates never change a document handed out this way (copy on write).
   */
  readonly?: boolean
}

export interface UpdateOptions {
  upsert?: boolean
  /**
   * The update's values become the store's own instead of being copied in: the caller never changes them
   * (nor anything in them) afterwards, and they are plain JSON values (no undefined, no Dates).
   */
  adopt?: boolean
}

export interface FindOneAndUpdateOptions extends UpdateOptions {
  /** Which version of the document to return; default 'after'. */
  returnDocument?: 'before' | 'after'
}

export interface UpdateResult {
  matched: number
  modified: number
  /** _id of the document an upsert inserted. */
  upsertedId?: string
}

export interface IndexSpec {
  /** Dotted field paths. */
  fields: string[]
  unique?: boolean
  /**
   * Index only the documents that have the (first) field: an insert or update of a document without it
   * costs nothing in this index (for a rare flag). A query uses it only when it compares that field
   * (=, <, >, $in …), never for `$exists: false`. MongoDB: a sparse index; SQLite: a partial index.
   */
  sparse?: boolean
  /** Optional name; defaults to one derived from the fields. */
  name?: string
}

export interface CollectionOptions {
  /**
   * How the MongoDB adapter writes numbers: 'double' (free5GC's UDR stores JSON numbers as BSON
   * doubles and its PCF asserts float64) or 'default' (the driver's int32/double choice).
   * Ignored by the SQLite adapter.
   */
  bsonNumbers?: 'double' | 'default'
}

/** Thrown by insertOne/replaceOne/updateOne when a unique index would be violated. */
const DUPLICATE_BRAND = Symbol.for('open-mvno.DuplicateKeyError')

export class DuplicateKeyError extends Error {
  /** `instanceof` by brand, so a second copy of this module (require vs import()) still matches. */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[DUPLICATE_BRAND] === true
  }
  readonly [DUPLICATE_BRAND] = true
  readonly code = 'DUPLICATE_KEY'
  constructor(readonly collection: string, detail: string) {
    super(`duplicate key in ${collection}: ${detail}`)
    this.name = 'DuplicateKeyError'
  }
}

/**
 * One collection. Every document has a string `_id`; insertOne generates one when absent.
 * Documents are plain JSON (strings, numbers, booleans, null, arrays, objects).
 */
export interface Collection<T extends Doc = Doc> {
  readonly name: string
  findOne(filter: Filter, opts?: FindOneOptions): Promise<T | null>
  find(filter: Filter, opts?: FindOptions): Promise<T[]>
  count(filter: Filter): Promise<number>
  /** Whether any document matches (stops at the first; nothing is parsed or copied). */
  exists(filter: Filter): Promise<boolean>
  /** Returns the _id. Throws DuplicateKeyError. */
  insertOne(doc: T): Promise<string>
  /** Replaces the first match (keeping its _id). */
  replaceOne(filter: Filter, doc: T, opts?: UpdateOptions): Promise<UpdateResult>
  updateOne(filter: Filter, update: Update, opts?: UpdateOptions): Promise<UpdateResult>
  updateMany(filter: Filter, update: Update): Promise<UpdateResult>
  findOneAndUpdate(filter: Filter, update: Update, opts?: FindOneAndUpdateOptions): Promise<T | null>
  /** Deletes the first match and returns it. */
  findOneAndDelete(filter: Filter): Promise<T | null>
  deleteOne(filter: Filter): Promise<number>
  deleteMany(filter: Filter): Promise<number>
  createIndex(spec: IndexSpec): Promise<void>
}

export interface DocumentStore {
  /** 'sqlite' or 'mongodb'. */
  readonly kind: 'sqlite' | 'mongodb'
  collection<T extends Doc = Doc>(name: string, opts?: CollectionOptions): Collection<T>
  /** Drops every collection (tests only). */
  dropAll(): Promise<void>
  close(): Promise<void>
}
