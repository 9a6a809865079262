/**
 * SQLite group commit (store/sqlite.ts `groupCommit`): the operations of one event-loop turn share one
 * transaction, and each resolves only after its COMMIT, so what a caller was told is on disk; each
 * write stays atomic on its own (a failing one does not take the others down).
 */
import { expect } from 'chai'
import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { DuplicateKeyError } from '../../store/port.ts'
import { createSqliteStore, type SqliteStore } from '../../store/sqlite.ts'
import { tempSqlitePath } from '../helpers/store.ts'

describe('store/sqlite: group commit', () => {
  let dir: string
  let store: SqliteStore
  let other: Database.Database

  beforeEach(() => {
    const t = tempSqlitePath()
    dir = t.dir
    store = createSqliteStore(t.file, { synchronous: 'NORMAL', groupCommit: true })
    other = new Database(t.file)
  })
  afterEach(async () => {
    other?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const seenByOther = (table: string, id: string) => {
    try {
      return other.prepare(`SELECT count(*) AS n FROM "${table}" WHERE _id = ?`).get(id) as { n: number }
    } catch {
      return { n: 0 } // table not created yet (not committed)
    }
  }

  it('a write resolves only once another connection sees it committed', async () => {
    const c = store.collection('gc')
    const p = c.insertOne({ _id: 'a', v: 1 })
    expect(seenByOther('gc', 'a').n, 'not committed before the end of the turn').to.equal(0)
    await p
    expect(seenByOther('gc', 'a').n).to.equal(1)
  })

  it('the writes of one turn commit together; a duplicate key fails alone', async () => {
    const c = store.collection('gc')
    await c.insertOne({ _id: 'dup', v: 0 })
    const rs = await Promise.allSettled([c.insertOne({ _id: 'x1' }), c.insertOne({ _id: 'dup' }), c.insertOne({ _id: 'x2' }), c.updateOne({ _id: 'dup' }, { $inc: { v: 1 } })])
    expect(rs.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    expect((rs[1] as PromiseRejectedResult).reason).to.be.instanceOf(DuplicateKeyError)
    for (const id of ['x1', 'x2', 'dup']) expect(seenByOther('gc', id).n).to.equal(1)
    expect((await c.findOne({ _id: 'dup' }))?.v).to.equal(1)
  })

  it('an update that fails half-way inside the shared transaction leaves neither the row nor the cached document changed', async () => {
    const c = store.collection('gc')
    await c.insertOne({ _id: 'h', x: 1, s: 'text' })
    await c.findOne({ _id: 'h' }) // cached
    // one statement per write, no savepoint: the failed one must still leave nothing behind
    const rs = await Promise.allSettled([
      c.insertOne({ _id: 'ok1' }),
      c.updateOne({ _id: 'h' }, { $set: { x: 2 }, $inc: { s: 1 } }),
      c.updateOne({ _id: 'h', x: 5 }, { $set: { y: 1 } }, { upsert: true }),
      c.insertOne({ _id: 'ok2' }),
    ])
    expect(rs.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((rs[2] as PromiseRejectedResult).reason).to.be.instanceOf(DuplicateKeyError)
    expect(await c.findOne({ _id: 'h' })).to.deep.equal({ _id: 'h', x: 1, s: 'text' })
    expect(JSON.parse((other.prepare(`SELECT doc FROM "gc" WHERE _id = 'h'`).get() as { doc: string }).doc)).to.deep.equal({ _id: 'h', x: 1, s: 'text' })
    for (const id of ['ok1', 'ok2']) expect(seenByOther('gc', id).n).to.equal(1)
  })

  it('a read issued in the turn of a write resolves after the commit, with what was committed', async () => {
    const c = store.collection('gc')
    const w = c.insertOne({ _id: 'r', v: 1 })
    const r = c.findOne({ _id: 'r' })
    let readDone = false
    void r.then(() => (readDone = true))
    await Promise.resolve()
    expect(readDone).to.equal(false)
    expect((await r)?.v).to.equal(1)
    await w
    expect(seenByOther('gc', 'r').n).to.equal(1)
  })

  it('guarded updates of one turn stay compare-and-set: 200 decrements on 150 give 150', async () => {
    const c = store.collection('gc')
    await c.insertOne({ _id: 'n', n: 150 })
    const rs = await Promise.all(Array.from({ length: 200 }, () => c.updateOne({ _id: 'n', n: { $gte: 1 } }, { $inc: { n: -1 } })))
    expect(rs.filter((r) => r.modified === 1)).to.have.length(150)
    expect((await c.findOne({ _id: 'n' }))?.n).to.equal(0)
  })
})
