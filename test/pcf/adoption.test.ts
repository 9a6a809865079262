/**
 * Two PCF instances on one store (nf/pcf/peer-subscriptions.ts, adoption): the UDR and CHF notify the
 * instance that subscribed. When it stops (or goes silent for three heart-beats), the other takes its
 * subscriptions over, and a plan change or a spending-limit change still reaches the SMF of a session the
 * dead instance created.
 */
import { expect } from 'chai'
import { createPcf } from '../../nf/pcf/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { openTestStore } from '../helpers/store.ts'
import { until } from '../helpers/wait.ts'
import { f5SmCreate, PLAN, postJson, smPolicyData, startFakeChf, startFakeUdr, SUPI, type FakeChf, type FakeUdr } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'
const sessAmbr = (n: { body: any }) => (Object.values(n.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr

describe('PCF: a stopped instance’s UDR and CHF subscriptions are adopted by a live one', function () {
  this.timeout(60_000)
  let udr: FakeUdr
  let chf: FakeChf
  let smf: FakePeer
  before(async () => {
    udr = await startFakeUdr()
    chf = await startFakeChf()
    smf = await startFakePeer()
    udr.smData.set(SUPI, smPolicyData())
  })
  after(async () => {
    await smf?.close()
    await chf?.close()
    await udr?.close()
  })

  it('adopts both subscriptions, re-subscribes at the UDR, moves the CHF notifUri, and pushes later changes to the SMF', async () => {
    const store = await openTestStore()
    const opts = { heartbeatMs: 100, sweepIntervalMs: 50 }
    const start = () => startTestNf((ctx) => createPcf(ctx, opts), { name: 'pcf', store, keepStore: true, peers: { udr: [udr.url], chf: [chf.url] } })
    const a: TestNf = await start()
    const b: TestNf = await start()
    try {
      const c = await a.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
      expect(c.status, c.text).to.equal(201)
      expect([...udr.subscriptions.values()]).to.have.length(1)
      expect([...udr.subscriptions.values()][0]!.notificationUri.startsWith(a.url)).to.equal(true)
      expect([...chf.subscriptions.values()][0]!.notifUri.startsWith(a.url)).to.equal(true)

      await a.close() // A is gone for good (a live A keeps its subscribers: nothing is adopted while it beats)

      const ofB = () => [...udr.subscriptions.values()].find((s) => s.notificationUri.startsWith(b.url))
      await until(() => !!ofB(), 5000, 'the UDR subscription of B')
      const sub = ofB()!
      await until(() => udr.subscriptions.size === 1, 5000, "A's UDR subscription deleted")
      await until(() => [...chf.subscriptions.values()].some((s) => s.notifUri.startsWith(b.url)), 5000, 'the CHF notifUri moved to B')
      expect([...chf.subscriptions.values()]).to.have.length(1)

      // a plan change notified to B reaches the SMF of the session A created
      udr.smData.set(SUPI, smPolicyData({ ...PLAN, profileId: 'premium', sessAmbr: { uplink: '200 Mbps', downlink: '1 Gbps' } }))
      expect((await postJson(sub.notificationUri, [{ ueId: SUPI }])).status).to.equal(204)
      const n = await smf.waitFor((r) => r.path.endsWith('/update') && sessAmbr(r).downlink === '1 Gbps', 3000)
      expect(n.body.resourceUri).to.equal(c.headers.location)

      // and so does a spending-limit change notified to B
      const slcUri = [...chf.subscriptions.values()][0]!.notifUri
      const exhausted = { supi: SUPI, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'exhausted' } } }
      expect((await postJson(`${slcUri}/notify`, exhausted)).status).to.equal(204)
      await smf.waitFor((r) => r.path.endsWith('/update') && sessAmbr(r).downlink === '1 Mbps', 3000)

      const ue = await store.collection('pcf.ues').findOne({ _id: SUPI })
      expect((ue as any).udrSub).to.include({ state: 'active', notifyRoot: b.url })
      expect((ue as any).slc).to.include({ state: 'active', notifyRoot: b.url })
    } finally {
      await b.close()
      await store.close()
    }
  })
})
