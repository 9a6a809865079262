/**
 * Embedded adapter of the store port (DESIGN.md §4): one SQLite file (better-sqlite3, WAL), one
 * table per collection `(_id TEXT PRIMARY KEY, doc TEXT, "@<path>"…)` holding the whole document as
 * JSON plus one column per indexed path; a row cache by `_id` (store/README.md explains both).
 *
 * Durability: `synchronous` FULL or NORMAL (store/README.md); a call resolves after its commit (and a
 * reply goes out only after its write is committed). Atomicity: every read-then-write runs in
 * `BEGIN IMMEDIATE`, which takes the file's write lock up front, so a guarded update is a true
 * compare-and-set even when several processes (several `mvno start` on one data dir) share the file;
 * `busy_timeout` makes the others wait for the lock instead of failing.
 *
 * Group commit (`groupCommit`, on in openStore): the first write of an event-loop turn opens
 * `BEGIN IMMEDIATE`, every operation of the turn runs inside it (a write that is a read-modify-write
 * in a savepoint of its own), and `setImmediate` commits; every promise of the turn settles only after
 * that COMMIT (rejected if it fails). Same durability and per-operation atomicity, one commit for many
 * concurrent requests instead of one each.
 */
import Database from 'better-sqlite3'
import { DuplicateKeyError } from './port.ts'
import type {
  Collection, CollectionOptions, Doc, DocumentStore, Filter, FindOneAndUpdateOptions, FindOneOptions, FindOptions, IndexSpec,
  Update, UpdateOptions, UpdateResult,
} from './port.ts'
import { applyUpdate, applyUpdateShared, clone, isOperatorObject, newId, setPath, upsertSeed } from './doc.ts'
import { columnIdent, jsonPath, orderClause, quoteIdent, whereClause, type Param } from './sqlite-sql.ts'
import { matchesFilter, sqlValueOf } from './match.ts'
import { WalCheckpointer } from './sqlite-checkpointer.ts'

export interface SqliteStoreOptions {
  /** 'FULL' (default): durable at commit. 'NORMAL' is faster but may lose the last commits on power loss. */
  synchronous?: 'FULL' | 'NORMAL'
  /** How long a writer waits for another process's lock (ms); default 10000. */
  busyTimeoutMs?: number
  /**
   * Group commit: the writes issued in one event-loop turn share one transaction, committed at the end
   * of the turn (setImmediate); every operation of the turn resolves only after that COMMIT, so a reply
   * still goes out only after its write is durable. Each write keeps its own atomicity (a savepoint).
   */
  groupCommit?: boolean
  /**
   * WAL checkpoints in a worker thread (store/sqlite-checkpointer.ts) instead of inside the COMMIT that
   * crosses 1000 pages; the main connection then checkpoints itself only past `SAFETY_CHECKPOINT_BYTES` of WAL.
   * Ignored for `:memory:`.
   */
  checkpointInWorker?: boolean
}

/** The main connection's own automatic checkpoint when a worker does the regular ones: at ~40 MB of WAL. */
const SAFETY_CHECKPOINT_BYTES = 40 * 1024 * 1024

interface Row {
  rowid: number
  doc: string
}

/** A row cache entry; the document is parsed from the text on first use. */
interface Cached {
  rowid: number
  text: string
  doc?: Doc
  /**
   * `doc` (or part of it) is held outside the cache: handed out to a readonly reader, or holding values an
   * update adopted. An update must not change it (copy on write) and nothing hands it out uncopied.
   */
  lent?: boolean
}

/**
 * A matched row: its rowid, its stored text and the parsed document. The document may be the row cache's
 * own copy: hand it out only as a readonly loan (marking it lent), a copy, or once it has left the cache and
 * nobody else holds it (findOneAndDelete); only updateFirst, inside a transaction, changes it.
 */
type Found = Cached & { doc: Doc }

/** A PRAGMA watched for change: each call says whether its value differs from the previous call's. */
function pragmaWatch(db: Database.Database, pragma: string): () => boolean {
  const st = db.prepare(`PRAGMA ${pragma}`).pluck()
  let last: unknown
  return () => {
    const v = st.get()
    if (v === last) return false
    last = v
    return true
  }
}

/** The index columns' paths of a table (columns named `@<path>`). */
function indexedPaths(db: Database.Database, table: string): string[] {
  const names = db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]
  return names.filter((n) => n.startsWith('@')).map((n) => n.slice(1))
}

/** Runs a write, turning SQLite's unique-constraint errors into the port's DuplicateKeyError. */
function guardUnique<T>(collection: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    const code = (e as { code?: string }).code ?? ''
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new DuplicateKeyError(collection, (e as Error).message)
    }
    throw e
  }
}

function idOf(doc: Doc): string | undefined {
  if (doc._id === undefined || doc._id === null) return undefined
  if (typeof doc._id !== 'string') throw new Error('_id must be a string')
  return doc._id
}

/** The filter's `_id` when it pins one (`{_id: 'x'}` or `{_id: {$eq: 'x'}}`). */
function filterId(filter: Filter): string | undefined {
  const v = filter._id
  if (typeof v === 'string') return v
  if (isOperatorObject(v) && typeof v.$eq === 'string') return v.$eq
  return undefined
}

/**
 * Bytes of document text the row cache of one collection holds (oldest written or read first out); the
 * parsed documents take about three times as much.
 */
const ROW_CACHE_BYTES = 8 * 1024 * 1024

/**
 * One collection = one table `(_id TEXT PRIMARY KEY, doc TEXT, "@<path>"…)`: the document as JSON plus
 * one index column per indexed path, holding what `json_extract(doc, path)` would give. The adapter
 * computes those values in JS from the document it writes, so SQLite never parses the JSON to keep an
 * index up to date (expression indexes cost ~20 µs per update of a 3 KB document).
 */
class SqliteCollection<T extends Doc> implements Collection<T> {
  private readonly table: string
  private ready = -1
  private paths: string[] = []
  private cols: ReadonlySet<string> = new Set()
  /** Prepared writes for the current columns (reset with them): INSERT, and UPDATE by changed-column mask. */
  private insertStmt: Database.Statement | undefined
  private updateStmts = new Map<number, Database.Statement>()
  /** Rows by _id as last read or written by this connection (see byId and SqliteStore.fresh). */
  private cache = new Map<string, Cached>()
  private cacheBytes = 0
  private cacheEpoch = -1

  constructor(private readonly store: SqliteStore, readonly name: string) {
    this.table = quoteIdent(name)
  }

  /** Creates the table on first use (and again after dropAll), and learns its index columns. */
  private t(): string {
    if (this.ready !== this.store.epoch) {
      this.store.db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)`)
      this.paths = indexedPaths(this.store.db, this.name)
      if (this.paths.length > 30) throw new Error(`${this.name}: more than 30 indexed paths`) // write() keys statements by a bit mask
      this.cols = new Set(this.paths)
      this.insertStmt = undefined
      this.updateStmts = new Map()
      this.ready = this.store.epoch
    }
    return this.table
  }

  private select(filter: Filter, opts: FindOptions = {}): Row[] {
    const q = this.query('rowid, doc', filter, opts)
    return this.store.stmt(q.sql).all(...q.params) as Row[]
  }

  /** `SELECT <columns>` of the matches, sorted, limited and skipped as `find` asks. */
  private query(columns: string, filter: Filter, opts: FindOptions): { sql: string; params: Param[] } {
    const w = whereClause(filter, this.cols)
    const params: Param[] = [...w.params]
    let sql = `SELECT ${columns} FROM ${this.t()}${w.sql}`
    if (opts.sort && Object.keys(opts.sort).length) sql += orderClause(opts.sort, this.cols)
    // Mongo: limit 0 means "no limit".
    if (opts.limit || opts.skip) {
      sql += ' LIMIT ? OFFSET ?'
      params.push(opts.limit || -1, opts.skip ?? 0)
    }
    return { sql, params }
  }

  /**
   * The first match. A filter that pins `_id` reads the row by its primary key and checks the rest of
   * the filter in JS (store/match.ts), so SQLite does not parse the document; `get` stops at the first
   * row (`all` with LIMIT 1 costs 3–4x more in better-sqlite3).
   */
  private first(filter: Filter): Found | undefined {
    const t = this.t()
    const id = filterId(filter)
    if (id !== undefined) {
      const row = this.byId(t, id)
      return row && matchesFilter(row.doc, filter) ? row : undefined
    }
    const w = whereClause(filter, this.cols)
    const row = this.store.stmt(`SELECT rowid, doc FROM ${t}${w.sql}`).get(...w.params) as Row | undefined
    return row ? { rowid: row.rowid, text: row.doc, doc: JSON.parse(row.doc) as Doc } : undefined
  }

  /**
   * A row by primary key, from the row cache when it is fresh: no other connection committed since this
   * one last looked (`PRAGMA data_version`, checked once per group-commit transaction or per read
   * outside one). It keeps the parsed document (a JSON.parse of a 3 KB document costs ~20 µs, a copy
   * ~4 µs). Rows this connection writes go into the cache as they are written; a rollback empties
   * every cache.
   */
  private byId(t: string, id: string): Found | undefined {
    if (this.store.fresh() !== this.cacheEpoch) this.resetCache()
    const hit = this.cache.get(id)
    if (hit) {
      hit.doc ??= JSON.parse(hit.text) as Doc
      return hit as Found
    }
    const row = this.store.stmt(`SELECT rowid, doc FROM ${t} WHERE _id = ?`).get(id) as Row | undefined
    if (!row) return undefined
    const entry = { rowid: row.rowid, text: row.doc, doc: JSON.parse(row.doc) as Doc }
    this.remember(id, entry)
    return entry
  }

  private resetCache(): void {
    this.cache.clear()
    this.cacheBytes = 0
    this.cacheEpoch = this.store.cacheEpoch
  }

  /** Caches a row; `entry.doc` must be a document nobody else holds. */
  private remember(id: string, entry: Cached): void {
    if (this.cacheEpoch !== this.store.cacheEpoch) this.resetCache()
    this.forgetOne(id)
    if (this.cacheBytes + entry.text.length > ROW_CACHE_BYTES) this.evict(ROW_CACHE_BYTES - (ROW_CACHE_BYTES >> 3) - entry.text.length)
    this.cache.set(id, entry)
    this.cacheBytes += entry.text.length
  }

  /**
   * Drops the oldest entries until the cache holds at most `target` bytes: an eighth of the budget at a
   * time, in one pass. (Evicting one entry per insert restarts a Map iterator at the front every time, and
   * V8 then skips over every slot deleted before it: that cost 10 % of an insert.)
   */
  private evict(target: number): void {
    for (const [id, e] of this.cache) {
      if (this.cacheBytes <= target) break
      this.cache.delete(id)
      this.cacheBytes -= e.text.length
    }
  }

  private forgetOne(id: string): void {
    const e = this.cache.get(id)
    if (!e) return
    this.cache.delete(id)
    this.cacheBytes -= e.text.length
  }

  private forget(ids: Iterable<string>): void {
    for (const id of ids) this.forgetOne(id)
  }

  /** The index column values of a document, in `paths` order. */
  private indexValues(doc: Doc): Param[] {
    return this.paths.map((p) => sqlValueOf(doc, p))
  }

  /**
   * Rewrites a row; index columns are set only where their value differs from `old` (when given). The
   * row cache keeps `doc`: the caller must not hand it out.
   */
  private write(rowid: number, doc: Doc, text: string, old?: Param[], lent = false): void {
    this.store.syncSchema()
    const t = this.t()
    const params: Param[] = [text]
    let mask = 0
    for (let i = 0; i < this.paths.length; i++) {
      const v = sqlValueOf(doc, this.paths[i]!)
      if (old && old.length === this.paths.length && v === old[i]) continue
      mask |= 1 << i
      params.push(v)
    }
    params.push(rowid)
    let st = this.updateStmts.get(mask)
    if (!st) {
      let sets = 'doc = ?'
      for (let i = 0; i < this.paths.length; i++) if (mask & (1 << i)) sets += `, ${columnIdent(this.paths[i]!)} = ?`
      st = this.store.db.prepare(`UPDATE ${t} SET ${sets} WHERE rowid = ?`)
      this.updateStmts.set(mask, st)
    }
    guardUnique(this.name, () => st.run(...params))
    this.remember(doc._id as string, lent ? { rowid, text, doc, lent } : { rowid, text, doc })
  }

  private insert(doc: Doc): string {
    this.store.syncSchema()
    const t = this.t()
    let full = doc
    let _id = idOf(doc)
    let first: string | undefined
    for (const k in doc) {
      first = k
      break
    }
    // `_id` goes first in the stored text (as MongoDB stores it); most callers already build it so.
    if (_id === undefined || first !== '_id') {
      const { _id: given, ...rest } = doc
      _id ??= newId()
      full = { _id, ...rest }
    }
    const text = JSON.stringify(full)
    const params: Param[] = [_id, text]
    for (const p of this.paths) params.push(sqlValueOf(full, p))
    if (!this.insertStmt) {
      const cols = this.paths.map((p) => `, ${columnIdent(p)}`).join('')
      const marks = this.paths.map(() => ', ?').join('')
      this.insertStmt = this.store.db.prepare(`INSERT INTO ${t} (_id, doc${cols}) VALUES (?, ?${marks})`)
    }
    const st = this.insertStmt
    const r = guardUnique(this.name, () => st.run(...params))
    // Cached as text, parsed on first use: many inserted rows (events, rated usage) are never read by id.
    this.remember(_id, { rowid: Number(r.lastInsertRowid), text })
    return _id
  }

  /**
   * Update-or-upsert of the first match, inside the caller's transaction. `keep` says which document
   * the caller returns (as a copy); the other is not built.
   */
  private updateFirst(filter: Filter, update: Update, upsert: boolean, keep: 'none' | 'before' | 'after', adopt = false) {
    const row = this.first(filter)
    if (row) {
      const before = keep === 'before' ? clone(row.doc) : null
      const old = this.indexValues(row.doc)
      // The update is applied to the row cache's own document, not a copy: it is what the row becomes.
      // Every caller runs inside store.tx()/tx1(), whose rollback (a throw half-way, a failed write) empties
      // the cache, so a document changed here never outlives a write that did not happen.
      // A document lent to a readonly reader is not changed: the update builds a new one sharing its
      // untouched parts.
      let after = row.doc
      if (row.lent) after = applyUpdateShared(after, update, adopt)
      else applyUpdate(after, update, false, adopt)
      const text = JSON.stringify(after)
      const modified = text !== row.text ? 1 : 0
      if (modified) this.write(row.rowid, after, text, old, adopt || !!row.lent)
      return { before, after: keep === 'after' ? clone(after) : null, matched: 1, modified }
    }
    if (!upsert) return { before: null, after: null, matched: 0, modified: 0 }
    const seed = upsertSeed(filter)
    applyUpdate(seed, update, true)
    const _id = this.insert(seed)
    return { before: null, after: keep === 'after' ? { _id, ...seed } : null, matched: 0, modified: 0, upsertedId: _id }
  }

  findOne(filter: Filter, opts?: FindOneOptions): Promise<T | null> {
    return this.store.run(() => this._findOne(filter, !!opts?.readonly), false)
  }

  private async _findOne(filter: Filter, readonly: boolean): Promise<T | null> {
    const row = this.first(filter)
    if (!row) return null
    if (!readonly) return clone(row.doc) as T
    row.lent = true
    return row.doc as T
  }

  find(filter: Filter, opts?: FindOptions): Promise<T[]> {
    return this.store.run(() => this._find(filter, opts), false)
  }

  private async _find(filter: Filter, opts?: FindOptions): Promise<T[]> {
    if (opts?.projection) return this.selectProjected(filter, opts, Object.keys(opts.projection).filter((f) => f !== '_id'))
    return this.select(filter, opts).map((r) => JSON.parse(r.doc) as T)
  }

  /** `find` with a projection: `_id` and each field's JSON (`doc -> path`, SQLite's own parser) per row. */
  private selectProjected(filter: Filter, opts: FindOptions, fields: string[]): T[] {
    const q = this.query(`_id${fields.map((f) => `, doc -> ${jsonPath(f)}`).join('')}`, filter, opts)
    // Its own statement (the SQL names the projection), always in raw mode: an array per row.
    const rows = this.store.stmt(q.sql).raw().all(...q.params) as Array<Array<string | null>>
    return rows.map((row) => {
      const doc: Doc = { _id: row[0] }
      for (let i = 0; i < fields.length; i++) {
        const v = row[i + 1]
        if (v !== null && v !== undefined) setPath(doc, fields[i]!, JSON.parse(v))
      }
      return doc as T
    })
  }

  count(filter: Filter): Promise<number> {
    return this.store.run(() => this._count(filter), false)
  }

  private async _count(filter: Filter): Promise<number> {
    const t = this.t()
    const w = whereClause(filter, this.cols)
    return (this.store.stmt(`SELECT count(*) AS n FROM ${t}${w.sql}`).get(...w.params) as { n: number }).n
  }

  exists(filter: Filter): Promise<boolean> {
    return this.store.run(() => this._exists(filter), false)
  }

  private async _exists(filter: Filter): Promise<boolean> {
    const t = this.t()
    if (filterId(filter) !== undefined) return this.first(filter) !== undefined
    const w = whereClause(filter, this.cols)
    return this.store.stmt(`SELECT 1 FROM ${t}${w.sql} LIMIT 1`).get(...w.params) !== undefined
  }

  insertOne(doc: T): Promise<string> {
    return this.store.run(() => this._insertOne(doc), true)
  }

  private async _insertOne(doc: T): Promise<string> {
    return this.insert(doc)
  }

  replaceOne(filter: Filter, doc: T, opts: UpdateOptions = {}): Promise<UpdateResult> {
    return this.store.run(() => this._replaceOne(filter, doc, opts), true)
  }

  private async _replaceOne(filter: Filter, doc: T, opts: UpdateOptions = {}): Promise<UpdateResult> {
    return this.store.tx1(() => {
      const row = this.first(filter)
      const { _id: given, ...rest } = doc
      if (row) {
        const _id = row.doc._id as string
        if (given !== undefined && given !== _id) throw new Error('the _id field cannot be changed')
        const next = clone({ _id, ...rest }) as Doc
        const text = JSON.stringify(next)
        if (text === row.text) return { matched: 1, modified: 0 }
        this.write(row.rowid, next, text, this.indexValues(row.doc))
        return { matched: 1, modified: 1 }
      }
      if (!opts.upsert) return { matched: 0, modified: 0 }
      const upsertedId = this.insert({ _id: idOf(doc) ?? filterId(filter) ?? newId(), ...rest })
      return { matched: 0, modified: 0, upsertedId }
    })
  }

  updateOne(filter: Filter, update: Update, opts: UpdateOptions = {}): Promise<UpdateResult> {
    return this.store.run(() => this._updateOne(filter, update, opts), true)
  }

  private async _updateOne(filter: Filter, update: Update, opts: UpdateOptions = {}): Promise<UpdateResult> {
    return this.store.tx1(() => {
      const { matched, modified, upsertedId } = this.updateFirst(filter, update, !!opts.upsert, 'none', !!opts.adopt)
      return upsertedId ? { matched, modified, upsertedId } : { matched, modified }
    })
  }

  updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return this.store.run(() => this._updateMany(filter, update), true)
  }

  private async _updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return this.store.tx(() => {
      const rows = this.select(filter)
      let modified = 0
      for (const row of rows) {
        const doc = JSON.parse(row.doc) as Doc
        const old = this.indexValues(doc)
        applyUpdate(doc, update, false)
        const text = JSON.stringify(doc)
        if (text !== row.doc) {
          this.write(row.rowid, doc, text, old)
          modified++
        }
      }
      return { matched: rows.length, modified }
    })
  }

  findOneAndUpdate(filter: Filter, update: Update, opts: FindOneAndUpdateOptions = {}): Promise<T | null> {
    return this.store.run(() => this._findOneAndUpdate(filter, update, opts), true)
  }

  private async _findOneAndUpdate(filter: Filter, update: Update, opts: FindOneAndUpdateOptions = {}): Promise<T | null> {
    return this.store.tx1(() => {
      const r = this.updateFirst(filter, update, !!opts.upsert, opts.returnDocument === 'before' ? 'before' : 'after')
      return (opts.returnDocument === 'before' ? r.before : r.after) as T | null
    })
  }

  findOneAndDelete(filter: Filter): Promise<T | null> {
    return this.store.run(() => this._findOneAndDelete(filter), true)
  }

  private async _findOneAndDelete(filter: Filter): Promise<T | null> {
    return this.store.tx1(() => {
      const row = this.first(filter)
      if (!row) return null
      this.store.stmt(`DELETE FROM ${this.t()} WHERE rowid = ?`).run(row.rowid)
      this.forget([row.doc._id as string])
      // out of the cache now: the caller may have the document itself unless someone else holds it
      return (row.lent ? clone(row.doc) : row.doc) as T
    })
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.store.run(() => this._deleteOne(filter), true)
  }

  private async _deleteOne(filter: Filter): Promise<number> {
    // One statement, hence atomic without an explicit transaction.
    const t = this.t()
    const w = whereClause(filter, this.cols)
    const gone = this.store.stmt(`DELETE FROM ${t} WHERE rowid = (SELECT rowid FROM ${t}${w.sql} LIMIT 1) RETURNING _id`).pluck().all(...w.params) as string[]
    this.forget(gone)
    return gone.length
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.store.run(() => this._deleteMany(filter), true)
  }

  private async _deleteMany(filter: Filter): Promise<number> {
    const t = this.t()
    const w = whereClause(filter, this.cols)
    const gone = this.store.stmt(`DELETE FROM ${t}${w.sql} RETURNING _id`).pluck().all(...w.params) as string[]
    this.forget(gone)
    return gone.length
  }

  /**
   * Adds the index columns the index needs (filled from the documents by `json_extract`, which is what
   * the adapter writes into them from then on) and indexes them. An expression index of the same name,
   * from a file written before index columns existed, is replaced.
   */
  async createIndex(spec: IndexSpec): Promise<void> {
    // Index names are global in a SQLite file, so they carry the collection name.
    const rawName = `${this.name}.${spec.name ?? spec.fields.join('_')}`
    const name = quoteIdent(rawName)
    const db = this.store.db
    this.store.tx(() => {
      const t = this.t()
      const have = new Set(indexedPaths(db, this.name))
      for (const f of spec.fields) {
        if (f === '_id' || have.has(f)) continue
        db.exec(`ALTER TABLE ${t} ADD COLUMN ${columnIdent(f)}`)
        db.exec(`UPDATE ${t} SET ${columnIdent(f)} = json_extract(doc, ${jsonPath(f)})`)
      }
      const old = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`).pluck().get(rawName)
      if (typeof old === 'string' && old.includes('json_extract(')) db.exec(`DROP INDEX ${name}`)
      const cols = spec.fields.map((f) => (f === '_id' ? '_id' : columnIdent(f))).join(', ')
      const where = spec.sparse && spec.fields[0] !== '_id' ? ` WHERE ${columnIdent(spec.fields[0]!)} IS NOT NULL` : ''
      guardUnique(this.name, () => db.exec(`CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${t} (${cols})${where}`))
    })
    this.store.syncSchema(true)
  }
}

/** Writes committed by any SqliteStore of this process (ends every store's shared read check: fresh()). */
let writesInProcess = 0

export class SqliteStore implements DocumentStore {
  readonly kind = 'sqlite' as const
  readonly db: Database.Database
  /**
   * Bumped by dropAll and whenever the file's schema changed (an index column added, by this process
   * or another): collections then recreate their table if needed and re-read their index columns.
   */
  epoch = 0
  /** Bumped when the row caches can no longer be trusted: another connection committed, or a rollback. */
  cacheEpoch = 0
  /** Another connection committed since the last call (`PRAGMA data_version`). */
  private readonly dataChanged: () => boolean
  /** The file's schema changed since the last call (`PRAGMA schema_version`). */
  private readonly schemaChanged: () => boolean
  /** The open group-commit transaction already checked data_version (it holds the write lock). */
  private batchFresh = false
  /** The open group-commit transaction already checked schema_version. */
  private batchSchemaChecked = false
  /** The worker that runs WAL checkpoints, when `checkpointInWorker`. */
  checkpointer: WalCheckpointer | undefined
  private readonly stmts = new Map<string, Database.Statement>()
  private readonly colls = new Map<string, SqliteCollection<Doc>>()
  private readonly txn: Database.Transaction<(f: () => unknown) => unknown>
  private readonly groupCommit: boolean
  private batch: Array<{ settle: (err?: unknown) => void }> | undefined

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.db = new Database(path)
    // New files get 8 KB pages (an existing file keeps its own: changing it needs a VACUUM outside WAL).
    // Our documents are 0.3–3 KB: with 4 KB pages a 2 KB row takes a page of its own and every insert or
    // update writes a whole 4 KB frame to the WAL; 8 KB pages hold 3–4 of them. Measured on 2 KB inserts
    // with group commit: 23,000/s with 4 KB pages, 34,000/s with 8 KB.
    this.db.pragma('page_size = 8192')
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`)
    this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10000}`)
    this.txn = this.db.transaction((f: () => unknown) => f())
    this.dataChanged = pragmaWatch(this.db, 'data_version')
    this.schemaChanged = pragmaWatch(this.db, 'schema_version')
    this.groupCommit = opts.groupCommit ?? process.env.MVNO_SQLITE_GROUP_COMMIT === '1'
    if (opts.checkpointInWorker && path !== ':memory:' && !this.db.memory) {
      const pageSize = this.db.pragma('page_size', { simple: true }) as number
      this.db.pragma(`wal_autocheckpoint = ${Math.max(1000, Math.floor(SAFETY_CHECKPOINT_BYTES / pageSize))}`)
      this.checkpointer = new WalCheckpointer({ path, synchronous: opts.synchronous ?? 'FULL' })
    }
  }

  /** Runs one collection operation, in the turn's shared transaction when group commit is on. */
  run<R>(op: () => Promise<R>, write: boolean): Promise<R> {
    if (!this.groupCommit || (!this.batch && !write) || !this.db.open) {
      if (!write) return op()
      try {
        return op() // committed on its own (no group commit) when the promise is made
      } finally {
        writesInProcess++
      }
    }
    // SQLite rolled the shared transaction back on its own (an I/O error, SQLITE_FULL): fail the turn's
    // operations so far and start another transaction for this one.
    if (this.batch && !this.db.inTransaction) this.commit()
    if (!this.batch) {
      this.db.exec('BEGIN IMMEDIATE')
      this.batchFresh = false
      this.batchSchemaChecked = false
      this.batch = []
      setImmediate(() => this.commit())
    }
    const done = op()
    done.catch(() => {}) // observed after the commit, below
    const batch = this.batch
    return new Promise<R>((resolve, reject) => {
      batch.push({
        settle: (err) => {
          if (err) reject(err)
          else done.then(resolve, reject)
        },
      })
    })
  }

  private commit(): void {
    const batch = this.batch
    this.batch = undefined
    if (!batch) return
    let err: unknown
    try {
      if (!this.db.inTransaction) throw new Error('the group-commit transaction was rolled back')
      this.db.exec('COMMIT')
      writesInProcess++
    } catch (e) {
      err = e
      this.cacheEpoch++
      try {
        this.db.exec('ROLLBACK')
      } catch {}
    }
    for (const b of batch) b.settle(err)
  }

  /**
   * Checks the file's schema version (a PRAGMA, ~2 µs) before a write, so a write never misses an index
   * column that another process added since this one last looked. Once per group-commit transaction: it
   * holds the write lock, so no other connection can change the schema until it ends (this connection's
   * own createIndex forces the check).
   */
  syncSchema(force = false): void {
    if (!force && this.batch && this.batchSchemaChecked && this.db.inTransaction) return
    if (this.schemaChanged()) this.epoch++
    if (this.batch) this.batchSchemaChecked = true
  }

  /** Prepared statements are cached by SQL text, which is the query's shape (values are bound). */
  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql)
    if (!s) {
      // Bounded: `$in` lists of many lengths would otherwise grow it without end.
      if (this.stmts.size >= 1000) this.stmts.clear()
      s = this.db.prepare(sql)
      this.stmts.set(sql, s)
    }
    return s
  }

  /**
   * Runs `f`, which reads a row and then writes with at most ONE statement, with the write lock held from
   * the read to the write. Inside the turn's group-commit transaction the lock is already held and one
   * statement is atomic on its own, so no savepoint is opened (a SAVEPOINT + RELEASE pair cost ~3 µs per
   * write); outside one it is tx(). A throw still empties the row caches (`f` may have changed a cached
   * document before its write failed).
   */
  tx1<R>(f: () => R): R {
    if (!(this.batch && this.db.inTransaction)) return this.tx(f)
    try {
      return f()
    } catch (e) {
      this.cacheEpoch++
      throw e
    }
  }

  /** Runs `f` in BEGIN IMMEDIATE: the write lock is held from the read to the write. */
  tx<R>(f: () => R): R {
    try {
      return this.txn.immediate(f) as R
    } catch (e) {
      this.cacheEpoch++ // rolled back: rows cached by its writes were never committed
      throw e
    }
  }

  /**
   * The row caches' epoch, after making sure no other connection (another process sharing the file)
   * committed since this one last looked: `PRAGMA data_version` changes only for other connections'
   * commits. Checked once per group-commit transaction (which holds the write lock, so nobody else can
   * commit until it ends), and outside one once per run of synchronous code and promise continuations
   * (a PRAGMA outside a transaction takes the WAL read lock: ~3 µs, two per CHF update). Reads in one such
   * run may share the check: whatever tells this process about another process's commit (a request, a
   * notification, a timer) arrives in a later callback, after process.nextTick has ended the run; a commit
   * by another store of this process (any SqliteStore write or COMMIT) ends it at once.
   */
  fresh(): number {
    if (this.batch && this.db.inTransaction) {
      if (!this.batchFresh) {
        if (this.dataChanged()) this.cacheEpoch++
        this.batchFresh = true
      }
      return this.cacheEpoch
    }
    if (this.readFreshAt === writesInProcess) return this.cacheEpoch
    if (this.dataChanged()) this.cacheEpoch++
    if (this.readFreshAt === -1) process.nextTick(this.endReadRun)
    this.readFreshAt = writesInProcess
    return this.cacheEpoch
  }

  /** `writesInProcess` when this run of code last checked data_version outside a transaction; -1: not in this run. */
  private readFreshAt = -1
  private readonly endReadRun = () => {
    this.readFreshAt = -1
  }

  collection<T extends Doc = Doc>(name: string, _opts?: CollectionOptions): Collection<T> {
    let c = this.colls.get(name)
    if (!c) {
      c = new SqliteCollection<Doc>(this, name)
      this.colls.set(name, c)
    }
    return c as unknown as Collection<T>
  }

  async dropAll(): Promise<void> {
    const tables = this.db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      .pluck()
      .all() as string[]
    this.tx(() => {
      for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(t)}`)
    })
    this.stmts.clear()
    this.epoch++
    this.cacheEpoch++
    writesInProcess++
  }

  async close(): Promise<void> {
    this.commit()
    await this.checkpointer?.close()
    this.checkpointer = undefined
    if (this.db.open) this.db.close()
  }
}

export function createSqliteStore(path: string, opts?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(path, opts)
}
