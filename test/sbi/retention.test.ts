import { expect } from 'chai'
import pino from 'pino'
import type { DocumentStore } from '../../store/port.ts'
import { createRetentionSweeper, daysToMs, purgeExpired, type RetentionRule } from '../../nf/sbi/retention.ts'
import { createEventSink, eventRetention } from '../../nf/sbi/events.ts'
import { outboxRetention } from '../../nf/sbi/outbox.ts'
import { ChfStore, chfRetention } from '../../nf/chf/store.ts'
import { storePerTest, type StoreKind } from '../helpers/store.ts'

const DAY = 24 * 3600_000
const T0 = Date.parse('2026-11-29T12:00:00Z')
const log = pino({ level: 'silent' })

async function ids(store: DocumentStore, collection: string): Promise<string[]> {
  return (await store.collection(collection).find({}, { sort: { _id: 1 } })).map((d) => String(d._id))
}

for (const kind of ['sqlite', 'mongodb'] as StoreKind[]) {
  describe(`retention: records past their retention are deleted, nothing else (${kind})`, function () {
    let store: DocumentStore
    storePerTest(kind, (s) => (store = s))

    it('events: by emission time, oldest first, in batches, at most maxBatches per sweep', async () => {
      const now = { t: T0 - 100 * DAY }
      const sink = createEventSink(store, () => new Date(now.t))
      for (let d = 0; d < 10; d++) {
        await sink.emit('pcf', { type: 'old', supi: 'imsi-1', data: { d } })
        now.t += DAY
      }
      now.t = T0 - 89 * DAY
      for (let d = 0; d < 3; d++) await sink.emit('pcf', { type: 'recent', supi: 'imsi-1' })
      const rule = eventRetention(90 * DAY)
      // batch 3, at most 2 batches: 6 of the 10 old ones (the oldest), the rest next time
      expect(await purgeExpired(store, rule, new Date(T0), { batch: 3, maxBatches: 2 })).to.equal(6)
      const left = await store.collection('events').find({}, { sort: { _id: 1 } })
      expect(left.map((e) => e.type)).to.deep.equal(['old', 'old', 'old', 'old', 'recent', 'recent', 'recent'])
      expect(left.map((e) => (e.data as { d?: number } | undefined)?.d).slice(0, 4)).to.deep.equal([6, 7, 8, 9])
      expect(await purgeExpired(store, rule, new Date(T0), { batch: 3 })).to.equal(4)
      expect((await store.collection('events').find({})).map((e) => e.type)).to.deep.equal(['recent', 'recent', 'recent'])
      expect(await purgeExpired(store, rule, new Date(T0), { batch: 3 })).to.equal(0)
      // keep 0 = for ever
      expect(await purgeExpired(store, eventRetention(0), new Date(T0 + 1000 * DAY))).to.equal(0)
      expect(await store.collection('events').count({})).to.equal(3)
    })

    it('outbox: records no longer pending, older than the retention; a pending one never', async () => {
      const col = store.collection('outbox')
      const rec = (id: string, state: string, createdAt: number) => ({ _id: id, kind: 'k', uri: 'http://x/y', method: 'POST', state, attempts: 1, createdAt, nextAttemptAt: createdAt, expiresAt: createdAt + 3600_000, leaseUntil: 0 })
      const old = T0 - 8 * DAY
      const recent = T0 - 6 * DAY
      for (const s of ['delivered', 'rejected', 'expired', 'superseded', 'pending']) {
        await col.insertOne(rec(`old-${s}`, s, old))
        await col.insertOne(rec(`new-${s}`, s, recent))
      }
      expect(await purgeExpired(store, outboxRetention(7 * DAY), new Date(T0))).to.equal(4)
      expect(await ids(store, 'outbox')).to.deep.equal(['new-delivered', 'new-expired', 'new-pending', 'new-rejected', 'new-superseded', 'old-pending'])
      // the BSS's webhook outbox has the same shape and rule
      const hooks = store.collection('bss.webhookOutbox')
      await hooks.insertOne(rec('m-old', 'delivered', old))
      await hooks.insertOne(rec('m-old-pending', 'pending', old))
      await hooks.insertOne(rec('m-new', 'rejected', recent))
      expect(await purgeExpired(store, outboxRetention(7 * DAY, 'bss.webhookOutbox'), new Date(T0))).to.equal(1)
      expect(await ids(store, 'bss.webhookOutbox')).to.deep.equal(['m-new', 'm-old-pending'])
    })

    it('CHF: closed sessions whose CDRs are written, closed before the cutoff; rated usage by time', async () => {
      const chf = new ChfStore(store)
      await chf.init()
      const iso = (t: number) => new Date(t).toISOString()
      const session = (id: string, state: string, lastRequestAt: number, closedAt: number | undefined, hasPendingCdr: boolean) => ({
        _id: id, supi: 'imsi-1', version: 3, state, createdAt: iso(lastRequestAt - DAY), updatedAt: iso(lastRequestAt), lastRequestAt: iso(lastRequestAt),
        ...(closedAt ? { closedAt: iso(closedAt) } : {}), rgs: {}, applied: [], cdr: { seq: 1, openedAt: iso(lastRequestAt), count: 0, volume: 0, amount: 0 }, cdrPending: [], hasPendingCdr,
      })
      const long = T0 - 40 * DAY
      await chf.sessions.insertOne(session('closed-old', 'CLOSED', long, long + 1000, false) as never)
      await chf.sessions.insertOne(session('closed-old-cdr-pending', 'CLOSED', long, long + 1000, true) as never)
      await chf.sessions.insertOne(session('open-old', 'OPEN', long, undefined, false) as never)
      // silent for long, closed recently (the stale sweeper closes a day after the last request)
      await chf.sessions.insertOne(session('closed-recently', 'CLOSED', long, T0 - 2 * DAY, false) as never)
      await chf.sessions.insertOne(session('closed-new', 'CLOSED', T0 - 3 * DAY, T0 - 3 * DAY, false) as never)
      const rated = (id: string, t: number) => ({ _id: id, supi: 'imsi-1', ratingGroup: 1, chargingDataRef: 'closed-old', unit: 'VOLUME', units: 1, uplinkVolume: 0, downlinkVolume: 1, bundleUnits: 0, amount: 1, currency: 'EUR', ts: iso(t) })
      await chf.rated.insertOne(rated('r-old', T0 - 401 * DAY) as never)
      await chf.rated.insertOne(rated('r-new', T0 - 399 * DAY) as never)
      const [sessions, ratedRule] = chfRetention(daysToMs(31), daysToMs(400))
      expect(await purgeExpired(store, sessions!, new Date(T0))).to.equal(1)
      expect(await ids(store, 'chf.sessions')).to.deep.equal(['closed-new', 'closed-old-cdr-pending', 'closed-recently', 'open-old'])
      expect(await purgeExpired(store, ratedRule!, new Date(T0))).to.equal(1)
      expect(await ids(store, 'chf.ratedUsage')).to.deep.equal(['r-new'])
    })

    it('stop ends a sweep after the batch under way', async () => {
      const sink = createEventSink(store, () => new Date(T0 - 200 * DAY))
      for (let i = 0; i < 30; i++) await sink.emit('udm', { type: 'x' })
      const sweeper = createRetentionSweeper({ store, rules: [eventRetention(90 * DAY)], log, clock: () => new Date(T0), everyMs: 3600_000, batch: 5 })
      const sweep = sweeper.sweep()
      await sweeper.stop()
      expect(await sweep).to.deep.equal({ events: 5 })
      expect(await store.collection('events').count({})).to.equal(25)
    })

    it('the sweeper runs every rule, reports what each deleted, and one failing rule does not stop the others', async () => {
      const sink = createEventSink(store, () => new Date(T0 - 200 * DAY))
      await sink.emit('udm', { type: 'x' })
      const broken: RetentionRule = { name: 'broken', collection: 'events', keepMs: DAY, expired: () => {
          throw new Error('broken rule')
        }, sort: { _id: 1 } }
      const sweeper = createRetentionSweeper({ store, rules: [broken, eventRetention(90 * DAY), outboxRetention(7 * DAY)], log, clock: () => new Date(T0), everyMs: 3600_000 })
      expect(await sweeper.sweep()).to.deep.equal({ events: 1 })
      expect(await sweeper.sweep()).to.deep.equal({})
      await sweeper.stop()
    })
  })
}
