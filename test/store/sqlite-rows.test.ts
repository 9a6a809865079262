/**
 * The SQLite adapter's row cache and index columns (store/sqlite.ts): what they must never change is
 * what a reader sees. Another connection's commit is seen at once, a rolled-back write is never seen,
 * and a file written with the old expression indexes is migrated to index columns on createIndex.
 */
import Database from 'better-sqlite3'
import { expect } from 'chai'
import { createSqliteStore } from '../../store/sqlite.ts'
import { DuplicateKeyError } from '../../store/port.ts'
import { tempSqlitePath } from '../helpers/store.ts'
import { deepFreeze } from '../helpers/freeze.ts'

describe('store: SQLite row cache and index columns', () => {
  it("another connection's commit is seen by the next read and guards the next update", async () => {
    const path = tempSqlitePath().file
    const a = createSqliteStore(path, { synchronous: 'NORMAL', groupCommit: true })
    const b = createSqliteStore(path, { synchronous: 'NORMAL' })
    try {
      const ca = a.collection('acct')
      const cb = b.collection('acct')
      await ca.insertOne({ _id: 'x', available: 100 })
      expect((await ca.findOne({ _id: 'x' }))?.available).to.equal(100) // now cached in a
      expect((await cb.updateOne({ _id: 'x', available: { $gte: 80 } }, { $inc: { available: -80 } })).matched).to.equal(1)
      expect((await ca.findOne({ _id: 'x' }))?.available).to.equal(20)
      // a guarded update in a must see b's debit: 50 more would overdraw
      expect((await ca.updateOne({ _id: 'x', available: { $gte: 50 } }, { $inc: { available: -50 } })).matched).to.equal(0)
      expect((await ca.updateOne({ _id: 'x', available: { $gte: 20 } }, { $inc: { available: -20 } })).matched).to.equal(1)
      expect((await cb.findOne({ _id: 'x' }))?.available).to.equal(0)
      await cb.deleteOne({ _id: 'x' })
      expect(await ca.findOne({ _id: 'x' })).to.equal(null)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("reads share one data_version check per run of code: another process's commit is seen from the next callback on, and by a guarded update at once", async () => {
    const path = tempSqlitePath().file
    const a = createSqliteStore(path, { synchronous: 'NORMAL', groupCommit: true })
    const other = new Database(path) // another process's connection: not a store of this process
    try {
      const ca = a.collection('acct')
      await ca.insertOne({ _id: 'x', available: 100 })
      await new Promise((r) => setImmediate(r))
      expect((await ca.findOne({ _id: 'x' }))?.available).to.equal(100)
      other.prepare(`UPDATE "acct" SET doc = json_set(doc, '$.available', 20) WHERE _id = 'x'`).run()
      // a guarded update checks inside its own transaction, whatever the reads of this run saw
      expect((await ca.updateOne({ _id: 'x', available: { $gte: 50 } }, { $inc: { available: -50 } })).matched).to.equal(0)
      other.prepare(`UPDATE "acct" SET doc = json_set(doc, '$.available', 30) WHERE _id = 'x'`).run()
      await new Promise((r) => setImmediate(r))
      expect((await ca.findOne({ _id: 'x' }))?.available).to.equal(30)
      other.prepare(`UPDATE "acct" SET doc = json_set(doc, '$.available', 40) WHERE _id = 'x'`).run()
      await new Promise((r) => setTimeout(r, 1))
      expect((await ca.findOne({ _id: 'x' }, { readonly: true }))?.available).to.equal(40)
    } finally {
      other.close()
      await a.close()
    }
  })

  it('a write rolled back with its transaction is never read back', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('u')
      await c.createIndex({ fields: ['k'], unique: true })
      await c.insertOne({ _id: 'a', k: 1 })
      await c.insertOne({ _id: 'b', k: 2 })
      expect((await c.findOne({ _id: 'a' }))?.k).to.equal(1)
      // the first row is rewritten, the second violates the unique index: the whole updateMany rolls back
      let err: unknown
      await c.updateMany({}, { $set: { k: 5 } }).catch((e) => (err = e))
      expect(err).to.be.instanceOf(DuplicateKeyError)
      expect((await c.findOne({ _id: 'a' }))?.k).to.equal(1)
      expect((await c.findOne({ _id: 'b' }))?.k).to.equal(2)
    } finally {
      await s.close()
    }
  })

  it('documents handed out are copies: changing one changes neither the cache nor the row', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('d')
      const doc = { _id: 'a', nested: { n: 1 }, list: [1] }
      await c.insertOne(doc)
      doc.nested.n = 99
      const got = (await c.findOne({ _id: 'a' }))!
      expect(got.nested).to.deep.equal({ n: 1 })
      ;(got.nested as { n: number }).n = 42
      ;(got.list as number[]).push(2)
      const marker = { deep: { v: 1 } }
      await c.updateOne({ _id: 'a' }, { $set: { marker } })
      marker.deep.v = 2
      const after = await c.findOneAndUpdate({ _id: 'a' }, { $inc: { 'nested.n': 1 } })
      ;(after!.marker as { deep: { v: number } }).deep.v = 3
      expect(await c.findOne({ _id: 'a' })).to.deep.equal({ _id: 'a', nested: { n: 2 }, list: [1], marker: { deep: { v: 1 } } })
    } finally {
      await s.close()
    }
  })

  it('readonly reads share the cached document, and later updates copy on write instead of changing it', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL', groupCommit: true })
    try {
      const c = s.collection('d')
      await c.insertOne({ _id: 'a', n: 1, ops: { o1: { session: { v: 1, rgs: { r: { used: 5 } } } } }, list: [1, 2], keep: { big: 'x' } })
      const lent = deepFreeze((await c.findOne({ _id: 'a' }, { readonly: true }))!)
      expect(await c.findOne({ _id: 'a' }, { readonly: true })).to.equal(lent) // the same object: no copy
      const snapshot = JSON.stringify(lent)
      // every operator, on nested paths: a frozen document would throw if anything wrote into it
      await c.updateOne({ _id: 'a' }, { $inc: { n: 1, 'ops.o1.session.rgs.r.used': 2 }, $set: { 'ops.o2': { session: { v: 2 } } }, $unset: { 'ops.o1.session.v': '' }, $push: { list: 3 } })
      expect(JSON.stringify(lent)).to.equal(snapshot)
      const now = (await c.findOne({ _id: 'a' }, { readonly: true }))!
      expect(now).to.deep.equal({ _id: 'a', n: 2, ops: { o1: { session: { rgs: { r: { used: 7 } } } }, o2: { session: { v: 2 } } }, list: [1, 2, 3], keep: { big: 'x' } })
      expect(now.keep, 'untouched parts are shared, not copied').to.equal(lent.keep)
      // a document not lent since is updated in place again (the next reader gets the new state either way)
      await c.updateOne({ _id: 'a' }, { $inc: { n: 1 } })
      expect((await c.findOne({ _id: 'a' }))!.n).to.equal(3)
      expect(now.n, 'lent again by the last readonly read: still as read').to.equal(2)
    } finally {
      await s.close()
    }
  })

  it("a write keeps an index column that another process added up to date (schema checked once per group commit)", async () => {
    const path = tempSqlitePath().file
    const a = createSqliteStore(path, { synchronous: 'NORMAL', groupCommit: true })
    const b = createSqliteStore(path, { synchronous: 'NORMAL', groupCommit: true })
    try {
      const ca = a.collection('ix')
      await ca.insertOne({ _id: 'd1', x: 1 })
      await ca.updateOne({ _id: 'd1' }, { $set: { x: 2 } }) // A has written with the columns it knew
      await b.collection('ix').createIndex({ fields: ['x'] })
      // several writes in one turn of A: the first checks the schema for the whole transaction
      await Promise.all([ca.updateOne({ _id: 'd1' }, { $set: { x: 5 } }), ca.insertOne({ _id: 'd2', x: 5 }), ca.insertOne({ _id: 'd3', x: 6 })])
      const cb = b.collection('ix')
      expect((await cb.find({ x: 5 }, { sort: { _id: 1 } })).map((d) => d._id)).to.deep.equal(['d1', 'd2'])
      expect((await cb.find({ x: 6 })).map((d) => d._id)).to.deep.equal(['d3'])
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a document built by copy on write still shares parts with the lent one: the next update copies again', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL', groupCommit: true })
    try {
      const c = s.collection('d')
      await c.insertOne({ _id: 'a', n: 1, keep: { big: 'x', n: 1 } })
      const lent = deepFreeze((await c.findOne({ _id: 'a' }, { readonly: true }))!)
      await c.updateOne({ _id: 'a' }, { $inc: { n: 1 } }) // shares `keep` with the lent document
      // no readonly read in between: a frozen `keep` would throw if this wrote into it
      await c.updateOne({ _id: 'a' }, { $set: { 'keep.big': 'y' }, $inc: { 'keep.n': 1 } })
      expect(lent).to.deep.equal({ _id: 'a', n: 1, keep: { big: 'x', n: 1 } })
      expect(await c.findOne({ _id: 'a' })).to.deep.equal({ _id: 'a', n: 2, keep: { big: 'y', n: 2 } })
      // findOneAndDelete hands out a copy of a document someone else may hold
      const gone = (await c.findOneAndDelete({ _id: 'a' }))!
      ;(gone.keep as Record<string, unknown>).big = 'z'
      expect((lent.keep as { big: string }).big).to.equal('x')
    } finally {
      await s.close()
    }
  })

  it('adopt: values an update adopted are never written into by a later update', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('d')
      await c.insertOne({ _id: 'a', ops: {} })
      const marker = deepFreeze({ session: { v: 2 } })
      await c.updateOne({ _id: 'a' }, { $set: { 'ops.m': marker } }, { adopt: true })
      await c.updateOne({ _id: 'a' }, { $inc: { 'ops.m.session.v': 1 } })
      expect(marker.session.v).to.equal(2)
      expect(((await c.findOne({ _id: 'a' }))!.ops as { m: { session: { v: number } } }).m.session.v).to.equal(3)
    } finally {
      await s.close()
    }
  })

  it('adopt: the values of an update become the cached document\'s own (no copy in); the row holds the same', async () => {
    const path = tempSqlitePath().file
    const s = createSqliteStore(path, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('d')
      await c.insertOne({ _id: 'a', ops: {} })
      const marker = { session: { v: 2, rgs: { r: { used: 1 } } } }
      await c.updateOne({ _id: 'a' }, { $set: { 'ops.m': marker } }, { adopt: true })
      const got = (await c.findOne({ _id: 'a' }, { readonly: true }))!
      expect((got.ops as Record<string, unknown>).m).to.equal(marker)
      // without adopt the value is copied in
      const other = { x: 1 }
      await c.updateOne({ _id: 'a' }, { $set: { other } })
      expect((await c.findOne({ _id: 'a' }, { readonly: true }))!.other).to.not.equal(other)
      // what another connection reads from the file is the same document
      const b = createSqliteStore(path, { synchronous: 'NORMAL' })
      expect(await b.collection('d').findOne({ _id: 'a' })).to.deep.equal({ _id: 'a', ops: { m: marker }, other })
      await b.close()
    } finally {
      await s.close()
    }
  })

  it('migrates an expression index of an older file to an index column, and keeps the column up to date', async () => {
    const path = tempSqlitePath().file
    const raw = new Database(path)
    raw.exec(`CREATE TABLE "sess" (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)`)
    raw.exec(`CREATE INDEX "sess.supi" ON "sess" (json_extract(doc, '$."supi"'))`)
    raw.prepare(`INSERT INTO "sess" VALUES (?, ?)`).run('r1', JSON.stringify({ _id: 'r1', supi: 'imsi-1', open: true }))
    raw.prepare(`INSERT INTO "sess" VALUES (?, ?)`).run('r2', JSON.stringify({ _id: 'r2', supi: 'imsi-2', open: true }))
    raw.close()

    const s = createSqliteStore(path, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('sess')
      await c.createIndex({ fields: ['supi'] })
      const idx = s.db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'sess.supi'`).pluck().get() as string
      expect(idx).to.contain('"@supi"').and.not.contain('json_extract')
      const plan = s.db.prepare(`EXPLAIN QUERY PLAN SELECT rowid FROM "sess" WHERE "@supi" = ?`).all('imsi-1') as Array<{ detail: string }>
      expect(plan.map((p) => p.detail).join()).to.match(/USING (COVERING )?INDEX sess.supi/)
      expect((await c.find({ supi: 'imsi-1' })).map((d) => d._id)).to.deep.equal(['r1'])
      await c.updateOne({ _id: 'r1' }, { $set: { supi: 'imsi-3' } })
      await c.insertOne({ _id: 'r3', supi: 'imsi-1' })
      expect((await c.find({ supi: 'imsi-1' })).map((d) => d._id)).to.deep.equal(['r3'])
      expect((await c.find({ supi: 'imsi-3' })).map((d) => d._id)).to.deep.equal(['r1'])
      const cols = s.db.prepare(`SELECT _id, "@supi" AS col, json_extract(doc, '$.supi') AS ext FROM "sess"`).all() as Array<{ col: unknown; ext: unknown }>
      for (const r of cols) expect(r.col).to.equal(r.ext)
    } finally {
      await s.close()
    }
  })

  it('a sparse index is a partial index: documents without the field are not in it, comparisons use it', async () => {
    const { file } = tempSqlitePath()
    const s = createSqliteStore(file, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('assoc')
      await c.createIndex({ fields: ['terminated'], sparse: true })
      for (let i = 0; i < 20; i++) await c.insertOne({ _id: `a${i}`, n: i })
      await c.updateOne({ _id: 'a3' }, { $set: { terminated: true } })
      await c.updateOne({ _id: 'a4' }, { $set: { n: 40 } })
      const idx = s.db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'assoc.terminated'`).pluck().get() as string
      expect(idx).to.match(/WHERE "@terminated" IS NOT NULL$/)
      // One entry: the document that has the field.
      expect(s.db.prepare(`SELECT count(*) FROM "assoc" INDEXED BY "assoc.terminated" WHERE "@terminated" IS NOT NULL`).pluck().get()).to.equal(1)
      const plan = s.db.prepare(`EXPLAIN QUERY PLAN SELECT rowid FROM "assoc" WHERE "@terminated" = ?`).all(1) as Array<{ detail: string }>
      expect(plan.map((p) => p.detail).join()).to.match(/USING (COVERING )?INDEX assoc.terminated/)
      expect((await c.find({ terminated: true })).map((d) => d._id)).to.deep.equal(['a3'])
      expect(await c.count({ terminated: { $exists: false } })).to.equal(19)
    } finally {
      await s.close()
    }
  })

  it('WAL checkpoints run in a worker thread: the WAL stays small, nothing is lost', async function () {
    this.timeout(20000)
    const { file } = tempSqlitePath()
    const s = createSqliteStore(file, { synchronous: 'NORMAL', groupCommit: true, checkpointInWorker: true })
    const big = 'x'.repeat(3000)
    try {
      expect(s.db.pragma('page_size', { simple: true })).to.equal(8192)
      expect(s.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(5120) // 40 MB of 8 KB pages
      const c = s.collection('w')
      // 3000 rows of 3 KB: ~3000 WAL pages, three times the inline threshold the main connection no longer uses
      for (let i = 0; i < 30; i++) await Promise.all(Array.from({ length: 100 }, (_, j) => c.insertOne({ _id: `r${i * 100 + j}`, big })))
      const deadline = Date.now() + 5000
      while ((await s.checkpointer!.frames()) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(await s.checkpointer!.frames()).to.be.greaterThan(1000)
    } finally {
      await s.close()
    }
    const again = createSqliteStore(file, { synchronous: 'NORMAL' })
    try {
      expect(await again.collection('w').count({})).to.equal(3000)
      expect((await again.collection('w').findOne({ _id: 'r2999' }))?.big).to.equal(big)
    } finally {
      await again.close()
    }
  })

  it('an index column holds what is stored for values JSON converts (a Date becomes its ISO string)', async () => {
    const s = createSqliteStore(tempSqlitePath().file, { synchronous: 'NORMAL' })
    try {
      const c = s.collection('dates')
      await c.createIndex({ fields: ['at'] })
      await c.insertOne({ _id: 'a', at: new Date('2026-11-29T10:00:00Z') as unknown as string })
      await c.insertOne({ _id: 'b', at: '2026-11-29T12:00:00.000Z' })
      expect((await c.find({ at: { $lt: '2026-11-29T11:00:00Z' } })).map((d) => d._id)).to.deep.equal(['a'])
      const col = s.db.prepare(`SELECT "@at" FROM "dates" WHERE _id = 'a'`).pluck().get()
      expect(col).to.equal('2026-11-29T10:00:00.000Z')
    } finally {
      await s.close()
    }
  })
})

