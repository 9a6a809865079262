/**
 * The floor under chf-update (bench/floor.ts): the same update with nothing but node:http2 and
 * better-sqlite3. Seeded by the real CHF (the scenario's 200 accounts and sessions, one update each), so
 * every account row is the ~2.2 KB document the CHF keeps, with its session in the op marker. Per request,
 * as the CHF's steady update does it: parse the SMF's ChargingDataRequest; release each requested rating
 * group's reservation and reserve 1 MB again at its tariff; rewrite the account row (balances, version,
 * the marker holding the session's next state) and COMMIT; answer the two multipleUnitInformation as the CHF
 * does (test/bench/floors.test.ts compares them). No routing, validation, metrics, replay detection, rating
 * engine, guards or store adapter.
 */
import { openFloorDb, serveFloor } from '../floor.ts'
import type { Scenario } from '../scenario.ts'
import { seedChf, updateBody } from './chf-update.ts'

const MB = 1_048_576
const TRIGGERS = ['QUOTA_THRESHOLD', 'QUOTA_EXHAUSTED', 'VALIDITY_TIME'] as const

interface Rg {
  reservation?: { money: number; bundles: Record<string, number>; units: number; expiresAt: string }
  [k: string]: unknown
}
interface Account {
  _id: string
  reserved: number
  available: number
  version: number
  plan: { tariffs: Array<{ ratingGroup: number; price: number }> }
  ops: Record<string, { session: { version: number; rgs: Record<string, Rg> } & Record<string, unknown>; [k: string]: unknown }>
  [k: string]: unknown
}

export const scenario: Scenario = {
  name: 'floor-chf',
  description: 'floor under chf-update: the same account row rewrite (session in its op marker), commit and answer with only node:http2 + better-sqlite3 (no runtime, no adapter, no CHF rules)',
  async start() {
    const seeded = await seedChf()
    const byRef = new Map<string, Account>()
    for (const [i, p] of seeded.paths.entries()) {
      const r = await seeded.nf.request('POST', p, updateBody)
      if (r.status !== 200) throw new Error(`seeding update answered ${r.status}`)
      byRef.set(p.split('/').at(-2)!, (await seeded.chf.chfStore.getAccount(`imsi-99970${String(i).padStart(10, '0')}`)) as unknown as Account)
    }
    await seeded.nf.close()
    await seeded.store.close()

    const f = openFloorDb('mvno-bench-floor-chf-')
    f.table('chf.accounts', ['pendingOps', 'gpsi', 'nextBundleRenewal'])
    const insert = f.db.prepare('INSERT INTO "chf.accounts" (_id, doc, "@pendingOps") VALUES (?, ?, 1)')
    const rewrite = f.db.prepare('UPDATE "chf.accounts" SET doc = ? WHERE rowid = ?')
    const rows = new Map<string, { rowid: number; acct: Account }>()
    for (const [ref, acct] of byRef) rows.set(ref, { rowid: Number(insert.run(acct._id, JSON.stringify(acct)).lastInsertRowid), acct })

    const server = await serveFloor(async (body, headers) => {
      const req = body as typeof updateBody
      const ref = String(headers[':path']).split('/').at(-2)!
      const row = rows.get(ref)!
      const a = row.acct
      const key = `s_${ref}`
      const s = a.ops[key]!.session
      const now = new Date()
      const at = now.toISOString()
      const expiresAt = new Date(now.getTime() + 3_660_000).toISOString()
      const rgs = { ...s.rgs }
      let released = 0
      let reserved = 0
      const mui = req.multipleUnitUsage.map((m) => {
        const k = `rg_${m.ratingGroup}`
        const price = a.plan.tariffs.find((t) => t.ratingGroup === m.ratingGroup)!.price
        released += rgs[k]?.reservation?.money ?? 0
        reserved += price
        rgs[k] = { ...rgs[k], reservation: { money: price, bundles: {}, units: MB, expiresAt }, granted: true }
        return { resultCode: 'SUCCESS', ratingGroup: m.ratingGroup, uPFID: m.uPFID, triggers: TRIGGERS.map((triggerType) => ({ triggerType, triggerCategory: 'IMMEDIATE_REPORT' })), grantedUnit: { totalVolume: MB }, validityTime: 3600, volumeQuotaThreshold: Math.floor(MB * 0.8) }
      })
      const version = s.version + 1
      const next = { ...s, version, updatedAt: at, lastRequestAt: at, rgs, nextExpiry: expiresAt, last: { isn: req.invocationSequenceNumber, status: 200 } }
      const acct: Account = { ...a, reserved: a.reserved - released + reserved, available: a.available + released - reserved, ops: { ...a.ops, [key]: { id: `o_${ref}@${version}`, kind: 'session', ref, session: next, rated: [], at } }, updatedAt: at, version: a.version + 1 }
      await f.write(() => rewrite.run(JSON.stringify(acct), row.rowid))
      row.acct = acct
      return { status: 200, body: { invocationTimeStamp: at, invocationSequenceNumber: req.invocationSequenceNumber, multipleUnitInformation: mui } }
    })
    return {
      url: server.url,
      paths: seeded.paths,
      method: 'POST',
      body: updateBody,
      async stop() {
        await server.close()
        f.close()
      },
    }
  },
}
