/**
 * The session row of a running charging session is written behind (nf/chf/charging.ts): a steady update
 * is one guarded account update whose op marker holds the session; the row follows when something that
 * reads rows needs it. These tests pin what may and may not stay in the marker.
 */
import { expect } from 'chai'
import type { DocumentStore } from '../../store/port.ts'
import { ferretDbVersion, mongoAvailable, type StoreKind } from '../helpers/store.ts'
import { rowWriteNeeded } from '../../nf/chf/charging.ts'
import { currentSession, liveMarkerOf, markerKey, opKey, type ChfStore, type OpMarker, type SessionDoc } from '../../nf/chf/store.ts'
import { chfServices, f5Create, f5Update, MB, PLAN, withChfServices } from './fixtures.ts'

const T0 = Date.parse('2026-11-29T10:00:00Z')

function row(over: Partial<SessionDoc> = {}): SessionDoc {
  const at = new Date(T0).toISOString()
  return {
    _id: 'r', supi: 'imsi-001010000000001', version: 3, state: 'OPEN', createdAt: at, updatedAt: at, lastRequestAt: at, zone: 'home',
    rgs: {}, applied: [], cdr: { seq: 0, openedAt: at, count: 0, volume: 0, amount: 0 }, cdrPending: [], hasPendingCdr: false,
    nextExpiry: new Date(T0 + 3600_000).toISOString(), ...over,
  }
}

describe('chf session rows written behind: rowWriteNeeded', () => {
  it('rowWriteNeeded: close, pending CDR, an earlier expiry, or a row a minute behind', () => {
    const r = row()
    const later = (ms: number, over: Partial<SessionDoc> = {}) => row({ version: 4, lastRequestAt: new Date(T0 + ms).toISOString(), nextExpiry: new Date(T0 + ms + 3600_000).toISOString(), ...over })
    expect(rowWriteNeeded(r, later(1000))).to.equal(false)
    expect(rowWriteNeeded(r, later(59_999))).to.equal(false)
    expect(rowWriteNeeded(r, later(60_000))).to.equal(true)
    expect(rowWriteNeeded(r, later(1000, { state: 'CLOSED' }))).to.equal(true)
    expect(rowWriteNeeded(r, later(1000, { hasPendingCdr: true }))).to.equal(true)
    expect(rowWriteNeeded(row({ hasPendingCdr: true }), later(1000))).to.equal(true)
    expect(rowWriteNeeded(r, later(1000, { nextExpiry: new Date(T0 + 1800_000).toISOString() }))).to.equal(true)
    expect(rowWriteNeeded(row({ nextExpiry: undefined }), later(1000))).to.equal(true)
    // nothing reserved any more: the row's earlier expiry only makes the sweeper look once, which rewrites it
    expect(rowWriteNeeded(r, later(1000, { nextExpiry: undefined }))).to.equal(false)
  })
})

for (const kind of ['sqlite', ...(mongoAvailable() ? ['mongodb'] : [])] as StoreKind[]) {
  describe(`chf session rows written behind (${kind})`, () => {

    it('steady updates leave the row behind and charge from the marker; release writes the final row; the account adds up', async () => {
      await withOpenSession(kind, 'imsi-001010000000081', async ({ now, services: { charging, chf }, supi, ref }) => {
        const ts = (s: number) => new Date(T0 + s * 1000).toISOString()
        now.t = T0 + 1000
        await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB }]) as any) // first grant: expiry appears → row written
        const written = (await chf.getSession(ref))!
        // no usage report and sequence number 0: decided afresh if it comes again, so no answer is kept
        expect(written.last).to.include({ isn: 0 }).and.not.have.property('answer')
        for (let i = 1; i <= 5; i++) {
          now.t = T0 + (1 + i) * 1000
          await charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: ts(1 + i), requested: MB }]) as any)
        }
        const rowNow = (await chf.getSession(ref))!
        const acct = (await chf.getAccount(supi))!
        const live = liveMarkerOf(acct, ref)!
        expect(rowNow.version, 'row not rewritten by steady updates').to.equal(written.version)
        expect(live.session.version).to.equal(written.version + 5)
        expect(Object.keys(acct.ops)).to.have.length(1)
        const cur = currentSession(rowNow, acct)
        expect(cur.rgs.rg_2!.usedUnits).to.equal(5 * MB)
        expect(acct.balance).to.equal(1000 - 5 * 5)
        expect(acct.reserved).to.equal(cur.rgs.rg_2!.reservation!.money)
        // with usage reports the answer is kept: a retransmission gets it back, and nothing is charged
        expect(cur.last!.answer).to.have.property('multipleUnitInformation')
        await charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: ts(6), requested: MB }]) as any)
        expect((await chf.getAccount(supi))!.balance).to.equal(1000 - 25)
        // (rated rows were inserted as each op settled, not when the row is written)
        expect(await chf.rated.count({ chargingDataRef: ref })).to.equal(5)

        now.t = T0 + 10_000
        await charging.release(ref, f5Update(supi, [{ rg: 2, total: MB / 2, ts: ts(10) }]) as any)
        const closed = (await chf.getSession(ref))!
        const after = (await chf.getAccount(supi))!
        expect(closed.state).to.equal('CLOSED')
        expect(closed.version).to.equal(live.session.version + 1)
        expect(closed.rgs.rg_2!.usedUnits).to.equal(5.5 * MB)
        expect(after.pendingOps).to.equal(0)
        expect(after.reserved).to.equal(0)
        expect(after.balance).to.equal(1000 - 25 - 5)
      })
    })

    it('the stale sweeper does not close a session whose row is behind but whose consumer is still talking', async () => {
      await withOpenSession(kind, 'imsi-001010000000082', async ({ now, services: { charging, chf }, supi, ref }) => {
        now.t = T0 + 1000
        await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB }]) as any)
        now.t = T0 + 40_000
        await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB }]) as any) // stays in the marker (row 39 s behind)
        expect((await chf.getSession(ref))!.lastRequestAt).to.equal(new Date(T0 + 1000).toISOString())
        now.t = T0 + 60_000
        // idle limit 30 s: the row (last request at +1 s) looks silent, the session (last request at +40 s) is not
        expect(await charging.closeStaleSessions(30_000)).to.equal(0)
        const caught = (await chf.getSession(ref))!
        expect(caught.state).to.equal('OPEN')
        expect(caught.lastRequestAt, 'the row was brought up to date').to.equal(new Date(T0 + 40_000).toISOString())
        now.t = T0 + 80_000
        expect(await charging.closeStaleSessions(30_000)).to.equal(1)
        expect((await chf.getSession(ref))!.state).to.equal('CLOSED')
        expect((await chf.getAccount(supi))!.reserved).to.equal(0)
      })
    })

    it('a marker this process did not settle (a crash, another instance) is rolled forward before the next op', async () => {
      await withOpenSession(kind, 'imsi-001010000000083', async ({ store, now, services: first, supi, ref }) => {
        await grantThenReport(first, now, supi, ref)
        const marker = liveMarkerOf((await first.chf.getAccount(supi))!, ref)!
        expect((await first.chf.getSession(ref))!.version).to.be.below(marker.session.version)
        // a second service over the same store (a restarted process) settles nothing itself
        const second = await chfServices(store, () => new Date(now.t))
        now.t = T0 + 3000
        await second.charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: new Date(now.t).toISOString(), requested: MB }]) as any)
        const rowAfter = (await second.chf.getSession(ref))!
        expect(rowAfter.version, 'rolled forward: the row holds the marker it found').to.be.at.least(marker.session.version)
        const acct = (await second.chf.getAccount(supi))!
        expect(acct.balance).to.equal(1000 - 10)
        expect(currentSession(rowAfter, acct).rgs.rg_2!.usedUnits).to.equal(2 * MB)
      })
    })

    it('one marker key per session; markers older code stored under per-op keys are rolled forward and replaced', async () => {
      await withOpenSession(kind, 'imsi-001010000000084', async ({ store, now, services: first, supi, ref }) => {
        await grantThenReport(first, now, supi, ref)
        let acct = (await first.chf.getAccount(supi))!
        expect(Object.keys(acct.ops)).to.deep.equal([markerKey(ref)])
        expect(acct.pendingOps).to.equal(1)
        // what older code left: the same marker under its op id (a running session at the upgrade)
        const m = acct.ops[markerKey(ref)]!
        expect(m.id).to.equal(opKey(ref, m.session.version))
        await asLegacyMarker(first.chf, supi, m)
        const second = await chfServices(store, () => new Date(now.t))
        now.t = T0 + 3000
        await second.charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: new Date(now.t).toISOString(), requested: MB }]) as any)
        acct = (await second.chf.getAccount(supi))!
        expect(Object.keys(acct.ops)).to.deep.equal([markerKey(ref)])
        expect(acct.pendingOps).to.equal(1)
        expect(acct.balance).to.equal(1000 - 10)
        // a legacy marker found at start: reconcile() finishes it and removes it
        const m2 = acct.ops[markerKey(ref)]!
        await asLegacyMarker(second.chf, supi, m2)
        expect(await (await chfServices(store, () => new Date(now.t))).charging.reconcile()).to.equal(1)
        acct = (await second.chf.getAccount(supi))!
        expect(acct.ops).to.deep.equal({})
        expect(acct.pendingOps).to.equal(0)
        expect((await second.chf.getSession(ref))!.version).to.equal(m2.session.version)
      })
    })

    it('two ops planned from the same marker: the second is refused by the first one\'s replacement and planned again', async function () {
      let notAtomic: string | undefined
      await withOpenSession(kind, 'imsi-001010000000085', async ({ store, now, services: { charging, chf }, supi, ref }) => {
        // FerretDB v1 runs a guarded update as a query and then a write (store/README.md): MongoDB and SQLite are atomic
        notAtomic = await ferretDbVersion(store)
        if (notAtomic) return
        now.t = T0 + 1000
        await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB }]) as any)
        const ts = new Date(T0 + 2000).toISOString()
        now.t = T0 + 2000
        await Promise.all([
          charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts, requested: MB }]) as any),
          charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: new Date(T0 + 2001).toISOString(), requested: MB }]) as any),
        ])
        const acct = (await chf.getAccount(supi))!
        const cur = currentSession((await chf.getSession(ref))!, acct)
        expect(cur.rgs.rg_2!.usedUnits).to.equal(2 * MB)
        expect(acct.balance).to.equal(1000 - 10)
        expect(Object.keys(acct.ops)).to.deep.equal([markerKey(ref)])
        expect(acct.pendingOps).to.equal(1)
      })
      if (notAtomic) {
        console.log(`      (skipped: FerretDB ${notAtomic} does not make a guarded update atomic; MongoDB does)`)
        this.skip()
      }
    })
  })
}

/** A fresh store of `kind`, the clock at T0, one account with 1000 and one open charging session on it; closed after `f`. */
async function withOpenSession(
  kind: StoreKind,
  supi: string,
  f: (t: { store: DocumentStore; now: { t: number }; services: Awaited<ReturnType<typeof chfServices>>; supi: string; ref: string }) => Promise<void>,
): Promise<void> {
  await withChfServices(T0, async ({ store, now, services }) => {
    await services.accounts.create({ supi, plan: PLAN, openingBalance: 1000 })
    const { ref } = await services.charging.create(f5Create(supi) as any)
    await f({ store, now, services, supi, ref })
  }, kind)
}

/** The first grant at T0 + 1 s, then one usage report of 1 MB at T0 + 2 s (rating group 2). */
async function grantThenReport({ charging }: Awaited<ReturnType<typeof chfServices>>, now: { t: number }, supi: string, ref: string): Promise<void> {
  now.t = T0 + 1000
  await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB }]) as any)
  now.t = T0 + 2000
  await charging.update(ref, f5Update(supi, [{ rg: 2, total: MB, ts: new Date(now.t).toISOString(), requested: MB }]) as any)
}

/** Moves the session's marker to the per-op key older code stored it under (what an upgrade finds). */
async function asLegacyMarker(chf: ChfStore, supi: string, m: OpMarker): Promise<void> {
  await chf.accounts.updateOne({ _id: supi }, { $unset: { [`ops.${markerKey(m.ref)}`]: '' }, $set: { [`ops.${m.id}`]: m } })
}
