import { expect } from 'chai'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { defaultConfig } from '../../config/defaults.ts'
import { validateConfig } from '../../config/validate.ts'
import { startPlatform, type Platform } from '../../cli/platform.ts'
import type { DocumentStore } from '../../store/port.ts'
import { openTestStore } from '../helpers/store.ts'

const DAY = 24 * 3600_000

describe('mvno start: the retention sweep covers the platform and the NFs it runs', () => {
  let store: DocumentStore
  let platform: Platform | undefined
  const now = { t: Date.parse('2026-11-29T12:00:00Z') }

  before(async function () {
    this.timeout(120_000)
    const base = defaultConfig()
    const dir = mkdtempSync(join(tmpdir(), 'mvno-retention-'))
    const config = validateConfig({
      ...base,
      dataDir: dir,
      chf: { ...base.chf, port: 0, cdrDir: join(dir, 'cdr') },
      grpc: { ...base.grpc, port: 0 },
      retention: { ...base.retention, eventsDays: 30, chargingSessionsDays: 10 },
      log: { level: 'silent' },
    })
    store = await openTestStore()
    platform = await startPlatform({ config, store, nfs: ['chf'], clock: () => new Date(now.t), log: pino({ level: 'silent' }) })
  })
  after(async () => {
    await platform?.stop()
    await store?.close()
  })

  it('events past eventsDays and closed charging sessions past chargingSessionsDays go; the rest stays', async () => {
    const iso = (t: number) => new Date(t).toISOString()
    const old = now.t - 31 * DAY
    await store.collection('events').insertOne({ _id: `${old}-000001-aaaaaa`, ts: iso(old), nf: 'chf', type: 'old' })
    await store.collection('events').insertOne({ _id: `${now.t - DAY}-000002-aaaaaa`, ts: iso(now.t - DAY), nf: 'chf', type: 'recent' })
    const closed = { supi: 'imsi-1', version: 1, state: 'CLOSED', createdAt: iso(old), updatedAt: iso(old), lastRequestAt: iso(old), closedAt: iso(old), rgs: {}, applied: [], cdr: { seq: 1, openedAt: iso(old), count: 0, volume: 0, amount: 0 }, cdrPending: [], hasPendingCdr: false }
    await store.collection('chf.sessions').insertOne({ _id: 'closed-long-ago', ...closed })
    await store.collection('chf.sessions').insertOne({ _id: 'open', ...closed, state: 'OPEN' })
    expect(await platform!.sweepRetention()).to.deep.equal({ events: 1, 'chf.sessions closed': 1 })
    expect((await store.collection('events').find({})).map((e) => e.type)).to.deep.equal(['recent'])
    expect((await store.collection('chf.sessions').find({})).map((s) => s._id)).to.deep.equal(['open'])
  })
})
