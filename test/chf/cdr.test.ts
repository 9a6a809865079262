/** CHF-CDR files: partial records on volume limits, flush at start of records left pending by a crash, no duplicates. */
import { expect } from 'chai'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { openTestStore } from '../helpers/store.ts'
import { CdrWriter, cdrFileName } from '../../nf/chf/cdr.ts'
import { ChargingService } from '../../nf/chf/charging.ts'
import { chfServices, f5Create, f5Update, MB, PLAN, SETTINGS, stubs } from './fixtures.ts'
import type { ChfStore } from '../../nf/chf/store.ts'

describe('chf CDR files', () => {
  it('names files the TS 32.297 way', () => {
    expect(cdrFileName('chf1', 7, new Date('2026-11-29T09:05:00Z'))).to.equal('chf1_-_0007.20261129_-_0905+0000')
  })

  it('cuts a partial record on the volume limit, and start() writes records left pending (once, even when started again)', async () => {
    const store = await openTestStore()
    const dir = mkdtempSync(join(tmpdir(), 'chf-cdr-'))
    try {
      const { accounts, chf } = await chfServices(store)
      const s = stubs()
      // no onCdrPending hook: records stay pending in the sessions, as after a crash before the flush
      const charging = new ChargingService({ store: chf, settings: { ...SETTINGS, partialVolume: 3 * MB }, homePlmns: ['00101'], clock: () => new Date(), log: pino({ level: 'silent' }), events: s.events, outbox: s.outbox })
      const supi = 'imsi-001010000000080'
      await accounts.create({ supi, plan: PLAN, openingBalance: 1000 })
      const { ref } = await charging.create(f5Create(supi) as any)
      await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB, total: 2 * MB, ts: new Date(Date.now() + 1).toISOString() }]) as any)
      expect((await chf.getSession(ref))!.cdrPending).to.have.length(0)
      await charging.update(ref, f5Update(supi, [{ rg: 2, requested: MB, total: 2 * MB, ts: new Date(Date.now() + 2).toISOString() }]) as any)
      const partial = (await chf.getSession(ref))!.cdrPending
      expect(partial).to.have.length(1)
      expect(partial[0]).to.include({ causeForRecordClosing: 'volumeLimit', partialRecord: true, recordSequenceNumber: 0, totalRatedAmount: 20 })
      await charging.release(ref, f5Update(supi, [{ rg: 2, total: MB, ts: new Date(Date.now() + 3).toISOString() }]) as any)
      expect((await chf.getSession(ref))!.cdrPending.map((r) => r.causeForRecordClosing)).to.deep.equal(['volumeLimit', 'normalRelease'])

      const writer = new CdrWriter({ dir, nodeId: 'chf1', store: chf, clock: () => new Date(), log: pino({ level: 'silent' }) })
      expect(await writer.start()).to.equal(2)
      writer.close()
      expect((await chf.getSession(ref))!.hasPendingCdr).to.equal(false)
      // a crash after the append but before the session was cleared: the records are pending again
      await chf.sessions.updateOne({ _id: ref }, { $set: { hasPendingCdr: true, cdrPending: partial } })
      const again = new CdrWriter({ dir, nodeId: 'chf1', store: chf, clock: () => new Date(), log: pino({ level: 'silent' }) })
      expect(await again.start()).to.equal(0)
      again.close()
      const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l))
      expect(lines.map((l) => l.recordId)).to.deep.equal([`${ref}:0`, `${ref}:1`])
      expect(lines[1]).to.include({ causeForRecordClosing: 'normalRelease', recordSequenceNumber: 1, partialRecord: true })
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("gathers a record's containers from the rated rows: the session document does not grow with the usage", async () => {
    await withFlushingChf('imsi-001010000000084', async ({ chf, charging, writer, dir, supi, ref }) => {
      const t0 = Date.now()
      let lsn = 0
      const sizes: number[] = []
      for (let i = 1; i <= 45; i++) {
        const body = f5Update(supi, [{ rg: 1, total: 1000, requested: MB, ts: new Date(t0 + i * 1000).toISOString() }, { rg: 2, total: 2000, requested: MB, ts: new Date(t0 + i * 1000).toISOString() }]) as any
        for (const m of body.multipleUnitUsage) m.usedUnitContainer[0].localSequenceNumber = ++lsn
        await charging.update(ref, body)
        sizes.push(JSON.stringify(await chf.getAccount(supi)).length)
      }
      await charging.release(ref, f5Update(supi, []) as any)
      writer.close()
      // 90 containers: a partial record at 50 (maxChangeCond), the other 40 in the final one
      const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l))
      expect(lines.map((l) => l.causeForRecordClosing)).to.deep.equal(['maxChangeCond', 'normalRelease'])
      const containers = lines.map((l) => l.listOfMultipleUnitUsage.flatMap((u: any) => u.usedUnitContainers))
      expect(containers.map((c) => c.length)).to.deep.equal([50, 40])
      expect(containers.flat().map((c: any) => c.localSequenceNumber).sort((a: number, b: number) => a - b)).to.deep.equal(Array.from({ length: 90 }, (_, i) => i + 1))
      expect(lines[0].listOfMultipleUnitUsage.map((u: any) => u.ratingGroup).sort()).to.deep.equal([1, 2])
      const rg2 = containers[1]!.filter((c: any) => c.ratingGroup === 2)
      expect(rg2[0]).to.include({ totalVolume: 2000, quotaManagementIndicator: 'ONLINE_CHARGING', currency: 'EUR' })
      expect(lines.reduce((a, l) => a + l.totalRatedAmount, 0)).to.equal(lines.flatMap((l, i) => containers[i]!).reduce((a: number, c: any) => a + c.ratedAmount, 0))
      // the account (whose op marker holds the session) stays the same size once the 64 applied report ids
      // are kept (32 updates), while the open record gains 20 containers
      expect(sizes[44]! - sizes[34]!).to.be.below(200)
    })
  })

  it('a session written before the containers moved keeps its own and adds the new ones to the same record', async () => {
    await withFlushingChf('imsi-001010000000085', async ({ chf, charging, writer, dir, supi, ref }) => {
      const old = (await chf.getSession(ref))!
      const legacy = [1, 2].map((n) => ({ ratingGroup: 2, localSequenceNumber: n, triggerTimestamp: old.createdAt, totalVolume: 100, ratedAmount: 0, bundleUnits: 0, currency: 'EUR', zone: 'home' }))
      await chf.sessions.updateOne({ _id: ref }, { $set: { cdr: { seq: 0, openedAt: old.createdAt, containers: legacy, volume: 200, amount: 0 } } })
      const body = f5Update(supi, [{ rg: 2, total: 1000, requested: MB, ts: new Date(Date.now() + 1000).toISOString() }]) as any
      body.multipleUnitUsage[0].usedUnitContainer[0].localSequenceNumber = 3
      await charging.update(ref, body)
      await charging.release(ref, f5Update(supi, []) as any)
      writer.close()
      const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l))
      expect(lines).to.have.length(1)
      expect(lines[0].listOfMultipleUnitUsage).to.have.length(1)
      expect(lines[0].listOfMultipleUnitUsage[0].usedUnitContainers.map((c: any) => c.localSequenceNumber)).to.deep.equal([1, 2, 3])
    })
  })
})

/** A CHF whose CDR writer flushes as records are cut, one account and one open session: runs `f`, then cleans up. */
async function withFlushingChf(supi: string, f: (t: { chf: ChfStore; charging: ChargingService; writer: CdrWriter; dir: string; supi: string; ref: string }) => Promise<void>): Promise<void> {
  const store = await openTestStore()
  const dir = mkdtempSync(join(tmpdir(), 'chf-cdr-'))
  try {
    const { accounts, chf } = await chfServices(store)
    const s = stubs()
    const writer = new CdrWriter({ dir, nodeId: 'chf1', store: chf, clock: () => new Date(), log: pino({ level: 'silent' }) })
    await writer.start()
    const charging = new ChargingService({
      store: chf, settings: SETTINGS, homePlmns: ['00101'], clock: () => new Date(), log: pino({ level: 'silent' }), events: s.events, outbox: s.outbox,
      onCdrPending: async (ref) => void (await writer.flush(ref)),
    })
    await accounts.create({ supi, plan: PLAN, openingBalance: 100_000 })
    const { ref } = await charging.create(f5Create(supi) as any)
    await f({ chf, charging, writer, dir, supi, ref })
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
