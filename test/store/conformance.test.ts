/**
 * One conformance suite for both adapters of the store port (DESIGN.md §4), hono-style:
 * `runConformance({ name, open })` registers the same tests for each. The MongoDB half runs when
 * MONGODB_URI is set (CI starts FerretDB, see .ci/run) and says so in one line when it is not.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { DuplicateKeyError, type Collection, type Doc, type DocumentStore, type Filter } from '../../store/port.ts'
import { createSqliteStore } from '../../store/sqlite.ts'
import type { MongoStore } from '../../store/mongo.ts'
import { ferretDbVersion, mongoAvailable, openTestStore, tempSqlitePath } from '../helpers/store.ts'

interface Target {
  name: string
  open: () => Promise<DocumentStore>
  /** Why the server cannot pass the concurrency test (then it is skipped, saying so), if it cannot. */
  notAtomic?: (store: DocumentStore) => Promise<string | undefined>
  /** Adapter-specific tests, given the suite's store. */
  extra?: (store: () => DocumentStore, coll: () => Collection) => void
}

async function rejectsWith(p: Promise<unknown>, type: new (...a: any[]) => Error): Promise<Error> {
  try {
    await p
  } catch (e) {
    expect(e).to.be.instanceOf(type)
    return e as Error
  }
  throw new Error(`expected ${type.name}`)
}

const ids = (docs: Doc[]) => docs.map((d) => d._id)

/** 200 concurrent guarded decrements on a counter starting at 150. */
async function decrements(c: Collection, id: string, n: number): Promise<number> {
  const rs = await Promise.all(Array.from({ length: n }, () => c.updateOne({ _id: id, n: { $gte: 1 } }, { $inc: { n: -1 } })))
  return rs.filter((r) => r.matched === 1 && r.modified === 1).length
}

export function runConformance(t: Target): void {
  describe(`store conformance: ${t.name}`, function () {
    let store: DocumentStore
    let c: Collection
    let seq = 0
    before(async () => {
      store = await t.open()
    })
    after(async () => {
      await store?.close()
    })
    // A fresh collection per test (dotted, like free5GC's names) is cheaper than a fresh store.
    beforeEach(() => {
      c = store.collection(`subscriptionData.t${++seq}`)
    })

    it('insertOne generates a string _id, keeps a given one, and findOne returns the same document', async () => {
      const id = await c.insertOne({ supi: 'imsi-001010000000001', n: 1, ok: true, x: { y: [1, 'a'] }, z: null })
      expect(id).to.be.a('string').with.length.greaterThan(8)
      expect(await c.findOne({ _id: id })).to.deep.equal({ _id: id, supi: 'imsi-001010000000001', n: 1, ok: true, x: { y: [1, 'a'] }, z: null })
      expect(await c.insertOne({ _id: 'mine', a: 1 })).to.equal('mine')
      expect(await c.findOne({ _id: 'mine' })).to.deep.equal({ _id: 'mine', a: 1 })
      expect(await c.findOne({ _id: 'absent' })).to.equal(null)
      const id2 = await c.insertOne({ _id: undefined, b: 1 })
      expect(await c.findOne({ b: 1 })).to.deep.equal({ _id: id2, b: 1 })
      await rejectsWith(c.insertOne({ _id: 'mine', a: 2 }), DuplicateKeyError)
    })

    it('equality keeps types apart: 1, "1", true and null/missing', async () => {
      for (const [_id, a] of [['num', 1], ['str', '1'], ['bool', true], ['nul', null]] as const) await c.insertOne({ _id, a })
      await c.insertOne({ _id: 'missing' })
      expect(ids(await c.find({ a: 1 }))).to.deep.equal(['num'])
      expect(ids(await c.find({ a: '1' }))).to.deep.equal(['str'])
      expect(ids(await c.find({ a: true }))).to.deep.equal(['bool'])
      expect(ids(await c.find({ a: false }))).to.deep.equal([])
      expect(ids(await c.find({ a: null }, { sort: { _id: 1 } }))).to.deep.equal(['missing', 'nul'])
      expect(ids(await c.find({ a: { $eq: 1 } }))).to.deep.equal(['num'])
    })

    it('dotted paths and embedded documents', async () => {
      await c.insertOne({ _id: 'a', am: { nssai: { sst: 1 }, dnn: 'internet' } })
      await c.insertOne({ _id: 'b', am: { nssai: { sst: 2 }, dnn: 'ims' } })
      expect(ids(await c.find({ 'am.nssai.sst': 2 }))).to.deep.equal(['b'])
      expect(ids(await c.find({ 'am.dnn': 'internet', 'am.nssai.sst': 1 }))).to.deep.equal(['a'])
      expect(ids(await c.find({ 'am.nssai': { sst: 1 } }))).to.deep.equal(['a'])
      expect(await c.count({ 'am.nope': { $exists: true } })).to.equal(0)
    })

    it('exists: by _id (with more conditions), by an indexed field, by any field', async () => {
      await c.createIndex({ fields: ['supi'] })
      await c.insertOne({ _id: 'a', supi: 'imsi-1', am: { dnn: 'internet' } })
      await c.insertOne({ _id: 'b', supi: 'imsi-1', am: { dnn: 'ims' } })
      expect(await c.exists({ _id: 'a' })).to.equal(true)
      expect(await c.exists({ _id: 'a', 'am.dnn': 'ims' })).to.equal(false)
      expect(await c.exists({ _id: 'zz' })).to.equal(false)
      expect(await c.exists({ supi: 'imsi-1' })).to.equal(true)
      expect(await c.exists({ supi: 'imsi-2' })).to.equal(false)
      expect(await c.exists({ 'am.dnn': 'ims', supi: 'imsi-1' })).to.equal(true)
      expect(await c.exists({ 'am.dnn': { $in: ['x', 'y'] } })).to.equal(false)
      await c.deleteOne({ _id: 'b' })
      expect(await c.exists({ 'am.dnn': 'ims' })).to.equal(false)
    })

    it('operators: $ne $gt $gte $lt $lte $in $exists', async () => {
      await c.insertOne({ _id: 'a', n: 1, s: 'apple' })
      await c.insertOne({ _id: 'b', n: 5, s: 'banana' })
      await c.insertOne({ _id: 'c', n: 10, s: 'cherry' })
      await c.insertOne({ _id: 'd', n: '7', s: null })
      await c.insertOne({ _id: 'e' })
      const q = async (f: Filter) => ids(await c.find(f, { sort: { _id: 1 } }))
      expect(await q({ n: { $gt: 1 } })).to.deep.equal(['b', 'c']) // '7' is a string: not in the number bracket
      expect(await q({ n: { $gte: 5, $lte: 10 } })).to.deep.equal(['b', 'c'])
      expect(await q({ n: { $lt: 5 } })).to.deep.equal(['a'])
      expect(await q({ s: { $gt: 'b' } })).to.deep.equal(['b', 'c'])
      expect(await q({ s: { $lte: 'apple' } })).to.deep.equal(['a'])
      expect(await q({ n: { $ne: 5 } })).to.deep.equal(['a', 'c', 'd', 'e']) // missing fields match $ne
      expect(await q({ s: { $ne: null } })).to.deep.equal(['a', 'b', 'c'])
      expect(await q({ n: { $in: [1, 10, '7'] } })).to.deep.equal(['a', 'c', 'd'])
      expect(await q({ s: { $in: ['banana', null] } })).to.deep.equal(['b', 'd', 'e'])
      expect(await q({ n: { $in: [] } })).to.deep.equal([])
      expect(await q({ s: { $exists: true } })).to.deep.equal(['a', 'b', 'c', 'd']) // null exists
      expect(await q({ s: { $exists: false } })).to.deep.equal(['e'])
      expect(await q({ _id: { $in: ['a', 'e', 'zz'] } })).to.deep.equal(['a', 'e'])
      expect(await q({ _id: { $ne: 'a' }, n: { $exists: true } })).to.deep.equal(['b', 'c', 'd'])
    })

    it('sort (several keys, dotted, descending), limit, skip and count', async () => {
      for (let i = 0; i < 10; i++) await c.insertOne({ _id: `k${i}`, g: i % 2, v: { n: i } })
      expect(ids(await c.find({}, { sort: { 'v.n': -1 }, limit: 3 }))).to.deep.equal(['k9', 'k8', 'k7'])
      expect(ids(await c.find({}, { sort: { g: 1, 'v.n': -1 }, skip: 3, limit: 3 }))).to.deep.equal(['k2', 'k0', 'k9'])
      expect(ids(await c.find({ g: 1 }, { sort: { 'v.n': 1 }, skip: 4 }))).to.deep.equal(['k9'])
      expect(await c.count({})).to.equal(10)
      expect(await c.count({ g: 0, 'v.n': { $gte: 4 } })).to.equal(3)
    })

    it('find with a projection returns _id and the named fields only (dotted, objects, arrays, indexed or not; missing ones absent)', async () => {
      await c.createIndex({ fields: ['g'] })
      await c.insertOne({ _id: 'p1', g: 1, s: 'x', v: { n: 2, m: 3 }, a: [1, { b: 'c' }], big: 'y'.repeat(500) })
      await c.insertOne({ _id: 'p2', g: 1, v: { n: 5, m: 4 }, flag: false, z: null })
      await c.insertOne({ _id: 'p3', g: 2, s: 'other' })
      const got = await c.find({ g: 1 }, { sort: { _id: -1 }, projection: { s: 1, 'v.n': 1, a: 1, g: 1, flag: 1, z: 1 } })
      expect(got).to.deep.equal([
        { _id: 'p2', g: 1, v: { n: 5 }, flag: false, z: null },
        { _id: 'p1', g: 1, s: 'x', v: { n: 2 }, a: [1, { b: 'c' }] },
      ])
      expect(await c.find({ g: 2 }, { projection: { _id: 1 } })).to.deep.equal([{ _id: 'p3' }])
    })

    it('updateOne: $set (creating dotted parents), $unset, $inc, $push, and modified = 0 for a no-op', async () => {
      await c.insertOne({ _id: 'u', a: 1, tags: ['x'], gone: 1 })
      const r = await c.updateOne({ _id: 'u' }, { $set: { 'b.c.d': 'deep' }, $unset: { gone: '' }, $inc: { a: 4, cnt: 2 }, $push: { tags: 'y', fresh: 1 } })
      expect(r).to.deep.equal({ matched: 1, modified: 1 })
      expect(await c.findOne({ _id: 'u' })).to.deep.equal({ _id: 'u', a: 5, tags: ['x', 'y'], b: { c: { d: 'deep' } }, cnt: 2, fresh: [1] })
      expect(await c.updateOne({ _id: 'u' }, { $set: { a: 5 } })).to.deep.equal({ matched: 1, modified: 0 })
      expect(await c.updateOne({ _id: 'none' }, { $set: { a: 5 } })).to.deep.equal({ matched: 0, modified: 0 })
      await c.updateOne({ _id: 'u' }, { $push: { tags: { $each: ['p', 'q'] } } })
      expect((await c.findOne({ _id: 'u' }))!.tags).to.deep.equal(['x', 'y', 'p', 'q'])
      // Two operators on one path (or a path and its parent) are refused, as Mongo does.
      await rejectsWith(c.updateOne({ _id: 'u' }, { $set: { a: 1 }, $inc: { a: 1 } }), Error)
      await rejectsWith(c.updateOne({ _id: 'u' }, { $set: { b: {} }, $unset: { 'b.c': '' } }), Error)
      await rejectsWith(c.updateOne({ _id: 'u' }, { $set: { 'b-x': 1, 'b.c.d': 2 }, $unset: { b: '' } }), Error)
      expect((await c.findOne({ _id: 'u' }))!.a).to.equal(5)
      // a shared prefix that is not a parent is no conflict
      expect(await c.updateOne({ _id: 'u' }, { $set: { bc: 1, 'b.cc': 1 } })).to.deep.equal({ matched: 1, modified: 1 })
    })

    it('updateMany and replaceOne', async () => {
      for (const _id of ['a', 'b', 'c']) await c.insertOne({ _id, kind: _id === 'c' ? 'y' : 'x', v: 1 })
      expect(await c.updateMany({ kind: 'x' }, { $inc: { v: 1 } })).to.deep.equal({ matched: 2, modified: 2 })
      expect(await c.count({ v: 2 })).to.equal(2)
      expect(await c.replaceOne({ kind: 'y' }, { other: true })).to.deep.equal({ matched: 1, modified: 1 })
      expect(await c.findOne({ _id: 'c' })).to.deep.equal({ _id: 'c', other: true }) // _id kept, fields replaced
      expect(await c.replaceOne({ _id: 'zz' }, { q: 1 })).to.deep.equal({ matched: 0, modified: 0 })
      const r = await c.replaceOne({ _id: 'zz' }, { q: 1 }, { upsert: true })
      expect(r).to.deep.equal({ matched: 0, modified: 0, upsertedId: 'zz' })
      expect(await c.findOne({ _id: 'zz' })).to.deep.equal({ _id: 'zz', q: 1 })
      const r2 = await c.replaceOne({ q: 42 }, { q: 43 }, { upsert: true })
      expect(r2.upsertedId).to.be.a('string')
      expect(await c.findOne({ q: 43 })).to.deep.equal({ _id: r2.upsertedId, q: 43 })
    })

    it('upsert copies the filter equality fields and applies $setOnInsert only when inserting', async () => {
      const f = { 'ue.supi': 'imsi-1', plmn: '00101' }
      const u = { $set: { seen: 1 }, $setOnInsert: { created: 'now' }, $inc: { hits: 1 } }
      const r = await c.updateOne(f, u, { upsert: true })
      expect(r.matched).to.equal(0)
      expect(r.upsertedId).to.be.a('string')
      expect(await c.findOne({ _id: r.upsertedId })).to.deep.equal({ _id: r.upsertedId, ue: { supi: 'imsi-1' }, plmn: '00101', seen: 1, created: 'now', hits: 1 })
      const r2 = await c.updateOne(f, { ...u, $setOnInsert: { created: 'later' } }, { upsert: true })
      expect(r2).to.deep.equal({ matched: 1, modified: 1 })
      expect(await c.findOne(f)).to.include({ created: 'now', hits: 2 })
      const r3 = await c.updateOne({ _id: 'given' }, { $set: { a: 1 } }, { upsert: true })
      expect(r3.upsertedId).to.equal('given')
      expect(await c.count({})).to.equal(2)
    })

    it('guarded compare-and-set matches once', async () => {
      await c.insertOne({ _id: 'acct', version: 1, balance: { remaining: 700 } })
      const cas = () => c.updateOne({ _id: 'acct', version: 1 }, { $set: { version: 2 } })
      expect(await cas()).to.deep.equal({ matched: 1, modified: 1 })
      expect(await cas()).to.deep.equal({ matched: 0, modified: 0 })
      const debit = () => c.updateOne({ _id: 'acct', 'balance.remaining': { $gte: 500 } }, { $inc: { 'balance.remaining': -500 } })
      expect((await debit()).matched).to.equal(1)
      expect((await debit()).matched).to.equal(0)
      expect(await c.findOne({ _id: 'acct' })).to.deep.equal({ _id: 'acct', version: 2, balance: { remaining: 200 } })
    })

    it('findOneAndUpdate returns the document after (default) or before; upserts', async () => {
      await c.insertOne({ _id: 'f', n: 1 })
      expect(await c.findOneAndUpdate({ _id: 'f' }, { $inc: { n: 1 } })).to.deep.equal({ _id: 'f', n: 2 })
      expect(await c.findOneAndUpdate({ _id: 'f' }, { $inc: { n: 1 } }, { returnDocument: 'before' })).to.deep.equal({ _id: 'f', n: 2 })
      expect(await c.findOneAndUpdate({ _id: 'f', n: 99 }, { $inc: { n: 1 } })).to.equal(null)
      const up = await c.findOneAndUpdate({ key: 'k' }, { $set: { v: 1 }, $setOnInsert: { first: true } }, { upsert: true })
      expect(up).to.deep.include({ key: 'k', v: 1, first: true })
      expect(up!._id).to.be.a('string')
      expect(await c.findOneAndUpdate({ key: 'k2' }, { $set: { v: 1 } }, { upsert: true, returnDocument: 'before' })).to.equal(null)
      expect(await c.count({ key: 'k2' })).to.equal(1)
    })

    it('findOneAndDelete, deleteOne, deleteMany', async () => {
      for (let i = 0; i < 5; i++) await c.insertOne({ _id: `d${i}`, g: i < 3 ? 'a' : 'b' })
      expect(await c.findOneAndDelete({ _id: 'd0' })).to.deep.equal({ _id: 'd0', g: 'a' })
      expect(await c.findOneAndDelete({ _id: 'd0' })).to.equal(null)
      expect(await c.deleteOne({ g: 'a' })).to.equal(1)
      expect(await c.deleteOne({ g: 'zz' })).to.equal(0)
      expect(await c.deleteMany({ g: 'b' })).to.equal(2)
      expect(await c.count({})).to.equal(1)
    })

    it('unique indexes reject duplicates on insert, update, upsert and replace', async () => {
      await c.createIndex({ fields: ['ueId'], unique: true })
      await c.createIndex({ fields: ['ueId'], unique: true }) // idempotent
      await c.createIndex({ fields: ['plmn', 'servingNf.id'], unique: true, name: 'serving' })
      await c.createIndex({ fields: ['plain'] })
      await c.insertOne({ _id: 'a', ueId: 'imsi-1', plmn: 'p', servingNf: { id: 'n1' } })
      await c.insertOne({ _id: 'b', ueId: 'imsi-2', plmn: 'p', servingNf: { id: 'n2' } })
      await rejectsWith(c.insertOne({ ueId: 'imsi-1' }), DuplicateKeyError)
      await rejectsWith(c.insertOne({ ueId: 'imsi-3', plmn: 'p', servingNf: { id: 'n1' } }), DuplicateKeyError)
      await rejectsWith(c.updateOne({ _id: 'b' }, { $set: { ueId: 'imsi-1' } }), DuplicateKeyError)
      await rejectsWith(c.updateOne({ ueId: 'imsi-9' }, { $set: { plmn: 'p', 'servingNf.id': 'n2' } }, { upsert: true }), DuplicateKeyError)
      await rejectsWith(c.replaceOne({ _id: 'b' }, { ueId: 'imsi-1' }), DuplicateKeyError)
      await rejectsWith(c.findOneAndUpdate({ _id: 'b' }, { $set: { ueId: 'imsi-1' } }), DuplicateKeyError)
      const e = await rejectsWith(c.insertOne({ ueId: 'imsi-2' }), DuplicateKeyError)
      expect((e as DuplicateKeyError).code).to.equal('DUPLICATE_KEY')
      expect(await c.findOne({ _id: 'b' })).to.deep.include({ ueId: 'imsi-2' }) // nothing half-applied
      expect(await c.count({})).to.equal(2)
      expect(await c.count({ plain: { $exists: true } })).to.equal(0)
    })

    it('a sparse index answers like any other: with, without and comparing the field', async () => {
      await c.createIndex({ fields: ['flag'], sparse: true })
      await c.createIndex({ fields: ['flag'], sparse: true }) // idempotent
      await c.insertOne({ _id: 'a', flag: 'x', n: 1 })
      await c.insertOne({ _id: 'b', n: 2 })
      await c.insertOne({ _id: 'c', flag: 'y', n: 3 })
      await c.updateOne({ _id: 'b' }, { $set: { flag: 'x' } })
      await c.updateOne({ _id: 'c' }, { $unset: { flag: '' } })
      expect((await c.find({ flag: 'x' }, { sort: { _id: 1 } })).map((d) => d._id)).to.deep.equal(['a', 'b'])
      expect((await c.find({ flag: { $exists: false } })).map((d) => d._id)).to.deep.equal(['c'])
      expect((await c.find({ flag: { $in: ['x', 'y'] }, n: { $lt: 2 } })).map((d) => d._id)).to.deep.equal(['a'])
    })

    it('200 concurrent guarded decrements on 150 give exactly 150 successes and leave 0', async function () {
      const why = await t.notAtomic?.(store)
      if (why) {
        console.log(`    concurrency test skipped: ${why}`)
        this.skip()
      }
      await c.insertOne({ _id: 'ctr', n: 150 })
      expect(await decrements(c, 'ctr', 200)).to.equal(150)
      expect(await c.findOne({ _id: 'ctr' })).to.deep.equal({ _id: 'ctr', n: 0 })
    })

    it('dropAll empties every collection and they stay usable', async () => {
      await c.insertOne({ _id: 'x' })
      await store.dropAll()
      expect(await c.count({})).to.equal(0)
      await c.insertOne({ _id: 'x' })
      expect(await c.count({})).to.equal(1)
    })

    t.extra?.(() => store, () => c)
  })
}

runConformance({
  name: 'sqlite',
  open: () => openTestStore('sqlite'),
  extra() {
    it('two processes sharing the file: 200 guarded decrements on 150 give 150 successes, nothing lost', async function () {
      this.timeout(60000)
      const { dir, file } = tempSqlitePath()
      const store = createSqliteStore(file)
      try {
        const c = store.collection('counters')
        await c.insertOne({ _id: 'ctr', n: 150 })
        const childPath = fileURLToPath(new URL('./fixtures/decrement-child.ts', import.meta.url))
        const child = spawn(process.execPath, ['--import', 'tsx', childPath, file, 'ctr', '100'], { stdio: ['pipe', 'pipe', 'inherit'] })
        const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
        expect((await lines.next()).value).to.equal('ready')
        const at = Date.now() + 200
        child.stdin!.write(`go ${at}\n`)
        await new Promise((r) => setTimeout(r, at - Date.now()))
        const mine = await decrements(c, 'ctr', 100)
        const theirs = (JSON.parse((await lines.next()).value as string) as { ok: number }).ok
        if (process.env.STORE_TEST_VERBOSE) console.log(`    parent ${mine} + child ${theirs} successes`)
        expect(mine + theirs).to.equal(150)
        expect(await c.findOne({ _id: 'ctr' })).to.deep.equal({ _id: 'ctr', n: 0 })
      } finally {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      }
    })
  },
})

if (mongoAvailable()) {
  runConformance({
    name: 'mongodb',
    open: () => openTestStore('mongodb'),
    // FerretDB v1 runs an update as a query followed by a separate write (no transaction, see its
    // internal/handler/msg_update.go), so concurrent guarded updates can all match. Real MongoDB is atomic.
    async notAtomic(store) {
      const v = await ferretDbVersion(store)
      return v ? `FerretDB ${v} does not make a guarded update atomic (query, then write); MongoDB does` : undefined
    },
    extra(store) {
      it("bsonNumbers: 'double' writes every number as a BSON double (free5GC's PCF asserts float64)", async () => {
        const s = store() as MongoStore
        const name = `policyData.doubles${Date.now()}`
        const d = s.collection(name, { bsonNumbers: 'double' })
        await d.insertOne({ _id: 'p', ambr: { n: 5 }, list: [1, 2] })
        await d.updateOne({ _id: 'p' }, { $inc: { hits: 1 }, $set: { q: 7 } })
        const raw = s.db.collection(name)
        expect(await raw.countDocuments({ 'ambr.n': { $type: 'double' }, hits: { $type: 'double' }, q: { $type: 'double' } })).to.equal(1)
        expect(await d.findOne({ _id: 'p' })).to.deep.equal({ _id: 'p', ambr: { n: 5 }, list: [1, 2], hits: 1, q: 7 })
        const plain = s.collection(`${name}.int`)
        await plain.insertOne({ _id: 'i', n: 5 })
        expect(await s.db.collection(`${name}.int`).countDocuments({ n: { $type: 'int' } })).to.equal(1)
      })

      it('foreign documents with ObjectId _ids read back as hex strings and are found by them', async () => {
        const { ObjectId } = await import('mongodb')
        const s = store() as MongoStore
        const oid = new ObjectId()
        await s.db.collection('subscribers').insertOne({ _id: oid, imsi: '001010000000001', slice: [{ _id: new ObjectId(), sst: 1 }] })
        const c = s.collection('subscribers')
        const doc = await c.findOne({ imsi: '001010000000001' })
        expect(doc!._id).to.equal(oid.toHexString())
        expect((doc!.slice as Doc[])[0]!._id).to.be.a('string')
        expect(await c.updateOne({ _id: oid.toHexString() }, { $set: { seen: true } })).to.deep.equal({ matched: 1, modified: 1 })
      })
    },
  })
} else {
  console.log('MongoDB adapter tests skipped: MONGODB_URI is not set')
}
