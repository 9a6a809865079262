/**
 * Embedded adapter of the store port (DESIGN.md §4): one SQLite file (better-sqlite3, WAL), one
 * table per collection `(_id TEXT PRIMARY KEY, doc TEXT)` holding the whole document as JSON.
 *
 * Durability: `synchronous=FULL`, so a commit is on disk before the call resolves (and a reply
 * goes out only after its write is committed). Atomicity: every read-then-write runs in
 * `BEGIN IMMEDIATE`, which takes the file's write lock up front, so a guarded update is a true
 * compare-and-set even when several processes (`mvno start --workers N`) share the file;
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
  Collection, CollectionOptions, Doc, DocumentStore, Filter, FindOneAndUpdateOptions, FindOptions, IndexSpec,
  Update, UpdateOptions, UpdateResult,
} from './port.ts'
import { applyUpdate, isOperatorObject, newId, upsertSeed } from './doc.ts'
import { fieldExpr, orderClause, quoteIdent, whereClause, type Param } from './sqlite-sql.ts'

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
}

interface Row {
  rowid: number
  doc: string
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

class SqliteCollection<T extends Doc> implements Collection<T> {
  private readonly table: string
  private ready = -1

  constructor(private readonly store: SqliteStore, readonly name: string) {
    this.table = quoteIdent(name)
  }

  /** Creates the table on first use (and again after dropAll). */
  private t(): string {
    if (this.ready !== this.store.generation) {
      this.store.db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)`)
      this.ready = this.store.generation
    }
    return this.table
  }

  private select(filter: Filter, opts: FindOptions = {}): Row[] {
    const w = whereClause(filter)
    const params: Param[] = [...w.params]
    let sql = `SELECT rowid, doc FROM ${this.t()}${w.sql}`
    if (opts.sort && Object.keys(opts.sort).length) sql += orderClause(opts.sort)
    // Mongo: limit 0 means "no limit".
    if (opts.limit || opts.skip) {
      sql += ' LIMIT ? OFFSET ?'
      params.push(opts.limit || -1, opts.skip ?? 0)
    }
    return this.store.stmt(sql).all(...params) as Row[]
  }

  private first(filter: Filter): Row | undefined {
    return this.select(filter, { limit: 1 })[0]
  }

  private write(rowid: number, doc: Doc): void {
    guardUnique(this.name, () => this.store.stmt(`UPDATE ${this.t()} SET doc = ? WHERE rowid = ?`).run(JSON.stringify(doc), rowid))
  }

  private insert(doc: Doc): string {
    const { _id: given, ...rest } = doc
    const _id = idOf(doc) ?? newId()
    const full = { _id, ...rest }
    guardUnique(this.name, () => this.store.stmt(`INSERT INTO ${this.t()} (_id, doc) VALUES (?, ?)`).run(_id, JSON.stringify(full)))
    return _id
  }

  /** Update-or-upsert of the first match, inside the caller's transaction. */
  private updateFirst(filter: Filter, update: Update, upsert: boolean) {
    const row = this.first(filter)
    if (row) {
      const before = JSON.parse(row.doc) as Doc
      const after = JSON.parse(row.doc) as Doc
      applyUpdate(after, update, false)
      const text = JSON.stringify(after)
      if (text !== row.doc) this.write(row.rowid, after)
      return { before, after, matched: 1, modified: text !== row.doc ? 1 : 0 }
    }
    if (!upsert) return { before: null, after: null, matched: 0, modified: 0 }
    const seed = upsertSeed(filter)
    applyUpdate(seed, update, true)
    const _id = this.insert(seed)
    return { before: null, after: { _id, ...seed }, matched: 0, modified: 0, upsertedId: _id }
  }

  findOne(filter: Filter): Promise<T | null> {
    return this.store.run(() => this._findOne(filter), false)
  }

  private async _findOne(filter: Filter): Promise<T | null> {
    const row = this.first(filter)
    return row ? (JSON.parse(row.doc) as T) : null
  }

  find(filter: Filter, opts?: FindOptions): Promise<T[]> {
    return this.store.run(() => this._find(filter, opts), false)
  }

  private async _find(filter: Filter, opts?: FindOptions): Promise<T[]> {
    return this.select(filter, opts).map((r) => JSON.parse(r.doc) as T)
  }

  count(filter: Filter): Promise<number> {
    return this.store.run(() => this._count(filter), false)
  }

  private async _count(filter: Filter): Promise<number> {
    const w = whereClause(filter)
    return (this.store.stmt(`SELECT count(*) AS n FROM ${this.t()}${w.sql}`).get(...w.params) as { n: number }).n
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
    return this.store.tx(() => {
      const row = this.first(filter)
      const { _id: given, ...rest } = doc
      if (row) {
        const _id = (JSON.parse(row.doc) as Doc)._id as string
        if (given !== undefined && given !== _id) throw new Error('the _id field cannot be changed')
        const text = JSON.stringify({ _id, ...rest })
        if (text === row.doc) return { matched: 1, modified: 0 }
        this.write(row.rowid, { _id, ...rest })
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
    return this.store.tx(() => {
      const { matched, modified, upsertedId } = this.updateFirst(filter, update, !!opts.upsert)
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
        applyUpdate(doc, update, false)
        if (JSON.stringify(doc) !== row.doc) {
          this.write(row.rowid, doc)
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
    return this.store.tx(() => {
      const r = this.updateFirst(filter, update, !!opts.upsert)
      return (opts.returnDocument === 'before' ? r.before : r.after) as T | null
    })
  }

  findOneAndDelete(filter: Filter): Promise<T | null> {
    return this.store.run(() => this._findOneAndDelete(filter), true)
  }

  private async _findOneAndDelete(filter: Filter): Promise<T | null> {
    return this.store.tx(() => {
      const row = this.first(filter)
      if (!row) return null
      this.store.stmt(`DELETE FROM ${this.t()} WHERE rowid = ?`).run(row.rowid)
      return JSON.parse(row.doc) as T
    })
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.store.run(() => this._deleteOne(filter), true)
  }

  private async _deleteOne(filter: Filter): Promise<number> {
    // One statement, hence atomic without an explicit transaction.
    const w = whereClause(filter)
    const t = this.t()
    return this.store.stmt(`DELETE FROM ${t} WHERE rowid = (SELECT rowid FROM ${t}${w.sql} LIMIT 1)`).run(...w.params).changes
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.store.run(() => this._deleteMany(filter), true)
  }

  private async _deleteMany(filter: Filter): Promise<number> {
    const w = whereClause(filter)
    return this.store.stmt(`DELETE FROM ${this.t()}${w.sql}`).run(...w.params).changes
  }

  async createIndex(spec: IndexSpec): Promise<void> {
    // Index names are global in a SQLite file, so they carry the collection name.
    const name = quoteIdent(`${this.name}.${spec.name ?? spec.fields.join('_')}`)
    const cols = spec.fields.map(fieldExpr).join(', ')
    const sql = `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${name} ON ${this.t()} (${cols})`
    guardUnique(this.name, () => this.store.db.exec(sql))
  }
}

export class SqliteStore implements DocumentStore {
  readonly kind = 'sqlite' as const
  readonly db: Database.Database
  /** Bumped by dropAll so collections recreate their tables. */
  generation = 0
  private readonly stmts = new Map<string, Database.Statement>()
  private readonly colls = new Map<string, SqliteCollection<Doc>>()
  private readonly txn: Database.Transaction<(f: () => unknown) => unknown>
  private readonly groupCommit: boolean
  private batch: Array<{ settle: (err?: unknown) => void }> | undefined

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`)
    this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10000}`)
    this.txn = this.db.transaction((f: () => unknown) => f())
    this.groupCommit = opts.groupCommit ?? process.env.MVNO_SQLITE_GROUP_COMMIT === '1'
  }

  /** Runs one collection operation, in the turn's shared transaction when group commit is on. */
  run<R>(op: () => Promise<R>, write: boolean): Promise<R> {
    if (!this.groupCommit || (!this.batch && !write) || !this.db.open) return op()
    // SQLite rolled the shared transaction back on its own (an I/O error, SQLITE_FULL): fail the turn's
    // operations so far and start another transaction for this one.
    if (this.batch && !this.db.inTransaction) this.commit()
    if (!this.batch) {
      this.db.exec('BEGIN IMMEDIATE')
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
    } catch (e) {
      err = e
      try {
        this.db.exec('ROLLBACK')
      } catch {}
    }
    for (const b of batch) b.settle(err)
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

  /** Runs `f` in BEGIN IMMEDIATE: the write lock is held from the read to the write. */
  tx<R>(f: () => R): R {
    return this.txn.immediate(f) as R
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
    this.generation++
  }

  async close(): Promise<void> {
    this.commit()
    if (this.db.open) this.db.close()
  }
}

export function createSqliteStore(path: string, opts?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(path, opts)
}
