/**
 * Peer subscriptions that outlive the last session (linger, released by the sweeper) and the sm-data
 * cache they make safe (nf/pcf/peer-subscriptions.ts): a cached copy is used only by the instance the
 * UDR notifies, and every change notification makes it stale before anything is re-decided.
 */
import { expect } from 'chai'
import { createPcf } from '../../nf/pcf/index.ts'
import type { FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { openTestStore } from '../helpers/store.ts'
import { f5SmCreate, PLAN, postJson, smPolicyData, SUPI, type FakeChf, type FakeUdr, resetPcfTest, startPcfWithFakePeers, type PcfUnderTest } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'
const LINGER_MS = 300
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ambrDl = (decision: any) => (Object.values(decision.sessRules)[0] as any).authSessAmbr.downlink as string

describe('PCF: subscriptions linger after the last session; sm-data cached while they live', () => {
  let udr: FakeUdr
  let chf: FakeChf
  let smf: FakePeer
  let pcf: TestNf

  const smGets = () => udr.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/sm-data')).length
  const udrNotifyUri = () => [...udr.subscriptions.values()].at(-1)!.notificationUri
  const create = async (nf: TestNf, over: Record<string, unknown> = {}) => {
    const r = await nf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url, over))
    expect(r.status, r.text).to.equal(201)
    return r
  }
  const del = async (nf: TestNf, r: { headers: Record<string, unknown> }) => {
    const d = await nf.request('POST', `${new URL(r.headers.location as string).pathname}/delete`, {})
    expect(d.status, d.text).to.equal(204)
  }

  let t: PcfUnderTest
  before(async function () {
    this.timeout(120_000)
    t = await startPcfWithFakePeers({ subscriptionLingerMs: LINGER_MS, sweepIntervalMs: 50 })
    ;({ udr, chf, smf, pcf } = t)
  })
  after(async () => t?.close())
  beforeEach(async () => resetPcfTest(t))

  it('a session within the linger period subscribes nothing and reads no sm-data; the sweeper releases both subscriptions after it', async () => {
    const a = await create(pcf)
    expect(smGets()).to.equal(1)
    await del(pcf, a)
    const b = await create(pcf, { pduSessionId: 2 })
    expect(ambrDl(b.body)).to.equal('100 Mbps')
    await del(pcf, b)
    expect(udr.requests.filter((r) => r.method === 'POST')).to.have.length(1)
    expect(chf.requests.filter((r) => r.method === 'POST')).to.have.length(1)
    expect(smGets(), 'second session decided from the cached sm-data').to.equal(1)
    expect(udr.requests.some((r) => r.method === 'DELETE') || chf.requests.some((r) => r.method === 'DELETE')).to.equal(false)
    await chf.waitFor((r) => r.method === 'DELETE', 3000)
    await udr.waitFor((r) => r.method === 'DELETE', 3000)
    expect(await pcf.store.collection('pcf.ues').count({})).to.equal(0)
    // After the release the next session subscribes again and reads the UDR again.
    await create(pcf)
    expect(udr.requests.filter((r) => r.method === 'POST')).to.have.length(2)
    expect(chf.requests.filter((r) => r.method === 'POST')).to.have.length(2)
    expect(smGets()).to.equal(2)
  })

  it('a new session ends the idle period: nothing is released while it lives', async () => {
    const a = await create(pcf)
    await del(pcf, a)
    await create(pcf, { pduSessionId: 2 })
    await sleep(LINGER_MS * 3)
    expect(udr.requests.some((r) => r.method === 'DELETE') || chf.requests.some((r) => r.method === 'DELETE')).to.equal(false)
    expect((await pcf.store.collection('pcf.ues').findOne({ _id: SUPI }))?.idleSince).to.equal(undefined)
  })

  it('a policy-data change while cached: the SMF gets the update-notify and a new session decides from the new data', async () => {
    await create(pcf)
    await create(pcf, { pduSessionId: 2 })
    expect(smGets()).to.equal(1)
    // The plan changes at the UDR, which notifies with the new data.
    const faster = smPolicyData({ ...PLAN, sessAmbr: { uplink: '20 Mbps', downlink: '40 Mbps' } })
    udr.smData.set(SUPI, faster)
    expect((await postJson(udrNotifyUri(), [{ ueId: SUPI, smPolicyData: faster }])).status).to.equal(204)
    await smf.waitFor((r) => r.path.endsWith('/update') && ambrDl(r.body.smPolicyDecision) === '40 Mbps', 1000)
    expect(ambrDl((await create(pcf, { pduSessionId: 3 })).body)).to.equal('40 Mbps')
    // Again, with a notification that carries no data (the PCF must re-read, not reuse its copy).
    udr.smData.set(SUPI, smPolicyData({ ...PLAN, sessAmbr: { uplink: '3 Mbps', downlink: '6 Mbps' } }))
    const gets = smGets()
    expect((await postJson(udrNotifyUri(), [{ ueId: SUPI }])).status).to.equal(204)
    await smf.waitFor((r) => r.path.endsWith('/update') && ambrDl(r.body.smPolicyDecision) === '6 Mbps', 1000)
    expect(ambrDl((await create(pcf, { pduSessionId: 4 })).body)).to.equal('6 Mbps')
    expect(smGets()).to.equal(gets + 1) // one re-read for the notification, then cached again
  })

  it('a deleted sm-data notified while cached: new sessions decide from the defaults', async () => {
    await create(pcf)
    udr.smData.clear()
    await postJson(udrNotifyUri(), [{ ueId: SUPI, delResources: [`${udr.url}/nudr-dr/v2/policy-data/ues/${SUPI}/sm-data`] }])
    expect(ambrDl((await create(pcf, { pduSessionId: 2, subsSessAmbr: undefined })).body)).to.equal('200 Mbps')
  })

  it('a second instance on the same store, which the UDR does not notify, reads the UDR every time', async function () {
    this.timeout(120_000)
    const store = await openTestStore()
    const opts = { subscriptionLingerMs: LINGER_MS, sweepIntervalMs: 50 }
    const a = await startTestNf((ctx) => createPcf(ctx, opts), { name: 'pcf', store, keepStore: true, peers: { udr: [udr.url], chf: [chf.url] } })
    const b = await startTestNf((ctx) => createPcf(ctx, opts), { name: 'pcf', store, keepStore: true, peers: { udr: [udr.url], chf: [chf.url] } })
    try {
      await create(a)
      await create(a, { pduSessionId: 2 })
      expect(smGets()).to.equal(1)
      await create(b, { pduSessionId: 3 })
      await create(b, { pduSessionId: 4 })
      expect(smGets()).to.equal(3)
      expect(udr.requests.filter((r) => r.method === 'POST')).to.have.length(1)
      expect(udrNotifyUri().startsWith(a.url)).to.equal(true)
      // A change notified to A: both decide from the new data.
      const slower = smPolicyData({ ...PLAN, sessAmbr: { uplink: '1 Mbps', downlink: '2 Mbps' } })
      udr.smData.set(SUPI, slower)
      await postJson(udrNotifyUri(), [{ ueId: SUPI, smPolicyData: slower }])
      expect(ambrDl((await create(a, { pduSessionId: 5 })).body)).to.equal('2 Mbps')
      expect(ambrDl((await create(b, { pduSessionId: 6 })).body)).to.equal('2 Mbps')
    } finally {
      await a.close()
      await b.close()
      await store.close()
    }
  })

  it('with a linger of 0 the last delete releases both subscriptions at once', async function () {
    this.timeout(120_000)
    const now = await startTestNf((ctx) => createPcf(ctx, { subscriptionLingerMs: 0 }), { name: 'pcf', peers: { udr: [udr.url], chf: [chf.url] } })
    try {
      const a = await create(now)
      await del(now, a)
      expect(chf.requests.filter((r) => r.method === 'DELETE')).to.have.length(1)
      expect(udr.requests.filter((r) => r.method === 'DELETE')).to.have.length(1)
    } finally {
      await now.close()
    }
  })
})
