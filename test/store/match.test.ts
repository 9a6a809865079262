/**
 * The SQLite adapter answers a filter two ways: in SQL (store/sqlite-sql.ts, json_extract or index
 * columns) and in JS (store/match.ts, for filters that pin `_id`). Both must agree on every document;
 * and an index column (store/match.ts sqlValueOf) must hold exactly what json_extract gives.
 */
import Database from 'better-sqlite3'
import { expect } from 'chai'
import { matchesFilter, sqlValueOf } from '../../store/match.ts'
import { columnIdent, jsonPath, whereClause } from '../../store/sqlite-sql.ts'
import type { Doc, Filter } from '../../store/port.ts'

const docs: Doc[] = [
  { _id: 'a', n: 1, s: 'x', b: true, z: null, o: { p: 1, q: 'y' }, arr: [1, 'a', { k: 2 }], ops: { 'o_1@2': { id: 1 } } },
  { _id: 'b', n: 1.5, s: '1', b: false, o: { p: 2 }, arr: [], ops: {} },
  { _id: 'c', n: '1', s: 'y', b: 1, o: { q: 'y', p: 1 }, arr: [1] },
  { _id: 'd', n: -3, s: '', b: null, o: [1, 2], arr: { 0: 'not an array' }, available: 0 },
  { _id: 'e', available: 120, bundles: { k1: { id: 'k1', available: 5 } }, state: 'OPEN', lastRequestAt: '2026-11-29T10:00:00Z' },
  { _id: 'f', state: 'CLOSED', lastRequestAt: '2026-11-29T09:00:00Z', nested: { deep: { v: [true, false] } } },
]

const filters: Filter[] = [
  {},
  { n: 1 }, { n: '1' }, { n: true }, { b: true }, { b: 1 }, { b: null }, { z: null }, { missing: null },
  { n: { $ne: 1 } }, { b: { $ne: null } }, { s: { $ne: 'x' } },
  { n: { $gt: 0 } }, { n: { $gte: 1.5 } }, { n: { $lt: 1 } }, { n: { $lte: 1 } }, { s: { $gt: '' } }, { s: { $lte: 'x' } },
  { n: { $gt: 0, $lt: 1.5 } },
  { s: { $in: ['x', 'y'] } }, { n: { $in: [1, '1'] } }, { n: { $in: [] } }, { b: { $in: [null, false] } },
  { z: { $exists: true } }, { z: { $exists: false } }, { o: { $exists: true } }, { 'o.p': { $exists: true } },
  { 'ops.o_1@2': { $exists: false } }, { 'ops.o_1@2': { $exists: true } }, { 'ops.x': { $exists: false } },
  { 'o.p': 1 }, { 'o.q': 'y' }, { o: { p: 1, q: 'y' } }, { o: { q: 'y', p: 1 } }, { o: [1, 2] }, { arr: [] },
  { 'arr.0': 1 }, { 'arr.1': 'a' }, { 'arr.2.k': 2 }, { 'arr.5': { $exists: true } }, { 'arr.0': { $exists: true } },
  { 'nested.deep.v.0': true }, { 'nested.deep.v': [true, false] },
  { available: { $gte: 0 } }, { available: { $gte: 120 } }, { 'bundles.k1.available': { $gte: 5 }, 'bundles.k1.id': { $exists: true } },
  { state: 'OPEN', lastRequestAt: { $lt: '2026-11-29T11:00:00Z' } }, { state: { $in: ['OPEN', 'CLOSED'] }, lastRequestAt: { $gte: '2026-11-29T09:30:00Z' } },
  { _id: 'a' }, { _id: { $eq: 'b' } }, { _id: { $in: ['a', 'c', 'zz'] } }, { _id: { $ne: 'a' } }, { _id: { $gt: 'c' } }, { _id: { $exists: true } }, { _id: 1 },
  { _id: 'a', n: 1, 'ops.o_1@2': { $exists: true } }, { _id: 'a', n: 2 },
  // strings against values whose SQL form is also text or a number: an object or array (its JSON text),
  // a number, a boolean (1/0); only a string may match
  { o: '{"p":1,"q":"y"}' }, { o: '[1,2]' }, { arr: '[]' }, { arr: '[1]' }, { 'o.p': '1' }, { b: '1' }, { b: '0' }, { n: '-3' },
  { s: '1' }, { 'arr.0': '1' }, { n: { $in: ['1', '1.5'] } }, { o: { $in: ['[1,2]', 'x'] } }, { s: { $ne: '1' } },
]

const indexed = ['n', 's', 'b', 'z', 'o', 'o.p', 'arr', 'arr.0', 'available', 'state', 'lastRequestAt', 'nested.deep.v']

describe('store: filters in SQL and in JS agree (store/match.ts)', () => {
  const db = new Database(':memory:')
  db.exec(`CREATE TABLE t (_id TEXT PRIMARY KEY, doc TEXT NOT NULL, ${indexed.map(columnIdent).join(', ')})`)
  const insert = db.prepare(`INSERT INTO t VALUES (?, ?, ${indexed.map(() => '?').join(', ')})`)
  for (const d of docs) insert.run(d._id, JSON.stringify(d), ...indexed.map((p) => sqlValueOf(d, p)))

  it('an index column holds what json_extract gives, for every document and path', () => {
    for (const p of indexed) {
      const rows = db.prepare(`SELECT _id, ${columnIdent(p)} AS col, json_extract(doc, ${jsonPath(p)}) AS ext FROM t`).all() as Array<{ _id: string; col: unknown; ext: unknown }>
      for (const r of rows) expect(r.col, `${r._id} ${p}`).to.deep.equal(r.ext)
    }
  })

  const sqlIds = (f: Filter, cols?: ReadonlySet<string>) => {
    const w = whereClause(f, cols)
    return (db.prepare(`SELECT _id FROM t${w.sql} ORDER BY _id`).pluck().all(...w.params) as string[])
  }
  const jsIds = (f: Filter) => docs.filter((d) => matchesFilter(d, f)).map((d) => d._id as string).sort()

  for (const f of filters) {
    it(`${JSON.stringify(f)}`, () => {
      const js = jsIds(f)
      expect(sqlIds(f), 'json_extract').to.deep.equal(js)
      expect(sqlIds(f, new Set(indexed)), 'index columns').to.deep.equal(js)
    })
  }

  it('refuses the operators SQL refuses', () => {
    expect(() => matchesFilter(docs[0]!, { $or: [] } as never)).to.throw(/unsupported top-level operator/)
    expect(() => matchesFilter(docs[0]!, { n: { $regex: 'x' } })).to.throw(/unsupported filter operator/)
    expect(() => whereClause({ n: { $regex: 'x' } })).to.throw(/unsupported filter operator/)
    expect(() => matchesFilter(docs[0]!, { n: { $gt: true } })).to.throw(/needs a number or a string/)
  })
})
