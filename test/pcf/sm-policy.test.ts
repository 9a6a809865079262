import { expect } from 'chai'
import { createPcf } from '../../nf/pcf/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { has3gppSpecs, validate3gpp } from '../helpers/schemas.ts'
import { openTestStore } from '../helpers/store.ts'
import { F5_SM_UPDATE, f5SmCreate, O5_SM_DELETE, o5SmCreate, smPolicyData, startFakeChf, startFakeUdr, SUPI, type FakeChf, type FakeUdr, resetPcfTest, startPcfWithFakePeers, type PcfUnderTest } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'

function check3gpp(schema: string, value: unknown, file = 'TS29512_Npcf_SMPolicyControl.yaml') {
  if (!has3gppSpecs()) return
  expect(validate3gpp(file, schema, value), `${schema} per ${file}`).to.deep.equal([])
}

describe('PCF Npcf_SMPolicyControl over HTTP/2 (free5GC and Open5GS SMF bodies)', () => {
  let t: PcfUnderTest
  let udr: FakeUdr
  let chf: FakeChf
  let smf: FakePeer
  let pcf: TestNf

  before(async function () {
    this.timeout(120_000) // starting NFs compiles their OpenAPI documents: seconds on a loaded machine
    // A short linger, so the release by the sweeper is observable (nf/pcf/peer-subscriptions.ts).
    t = await startPcfWithFakePeers({ subscriptionLingerMs: 150 })
    ;({ udr, chf, smf, pcf } = t)
  })
  after(async () => t?.close())
  beforeEach(async () => resetPcfTest(t))

  it('the fixtures are what TS 29.512 calls SmPolicyContextData / UpdateContextData / DeleteData', function () {
    if (!has3gppSpecs()) this.skip() // ../shared/3gpp absent: cannot validate against the 3GPP schemas
    check3gpp('SmPolicyContextData', f5SmCreate(smf.url))
    check3gpp('SmPolicyContextData', o5SmCreate(smf.url))
    check3gpp('SmPolicyUpdateContextData', F5_SM_UPDATE)
    check3gpp('SmPolicyDeleteData', O5_SM_DELETE)
  })

  it('free5GC create: 201, absolute Location matching its regex, sessRules with AMBR+QoS, default rule → qosDecs/chgDecs', async () => {
    const res = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    expect(res.status, res.text).to.equal(201)
    expect(res.headers.location).to.match(/^http[s]?:\/\/.*\/npcf-smpolicycontrol\/v\d+\/sm-policies\/(.*)$/)
    expect(String(res.headers['content-type'])).to.contain('application/json')
    const d = res.body
    check3gpp('SmPolicyDecision', d)
    // What free5GC's SMF reads (sm_context_policy.go, datapath.go)
    const rules = Object.values(d.sessRules) as any[]
    expect(rules).to.have.length.greaterThan(0)
    expect(rules[0].authSessAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })
    expect(rules[0].authDefQos).to.deep.include({ '5qi': 9 })
    expect(rules[0].authDefQos.arp).to.deep.equal({ priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' })
    const pcc = d.pccRules['PccRuleId-default']
    expect(pcc.flowInfos[0].flowDescription).to.equal('permit out ip from any to assigned')
    expect(d.qosDecs[pcc.refQosData[0]].maxbrDl).to.match(/^\d+ (bps|Kbps|Mbps|Gbps|Tbps)$/)
    expect(d.chgDecs[pcc.refChgData[0]]).to.include({ ratingGroup: 100, online: true, offline: false, meteringMethod: 'VOLUME' })
    expect(d.suppFeat).to.match(/^[0-9A-F]+$/)
    expect(d.policyCtrlReqTriggers).to.include.members(['SE_AMBR_CH', 'DEF_QOS_CH'])
  })

  it('Open5GS create: triggers gate AMBR/QoS, pccRules with flowDirection and refQosData, hex suppFeat ANDed with its own', async () => {
    const res = await pcf.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url))
    expect(res.status, res.text).to.equal(201)
    const loc = new URL(res.headers.location as string)
    expect(loc.pathname.split('/').filter(Boolean)).to.have.length(4) // npcf-smpolicycontrol / v1 / sm-policies / id
    check3gpp('SmPolicyDecision', res.body)
    expect(res.body.policyCtrlReqTriggers).to.include.members(['SE_AMBR_CH', 'DEF_QOS_CH'])
    for (const r of Object.values(res.body.pccRules) as any[]) {
      expect(r.refQosData).to.have.length(1)
      expect(res.body.qosDecs[r.refQosData[0]]).to.be.an('object')
      for (const f of r.flowInfos) expect(['UPLINK', 'DOWNLINK', 'BIDIRECTIONAL']).to.include(f.flowDirection)
    }
    expect(parseInt(res.body.suppFeat, 16) & ~parseInt('4000000', 16)).to.equal(0)
  })

  it('subscribes at the UDR and the CHF once per SUPI with TS 29.519 / TS 29.594 bodies', async () => {
    await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    await pcf.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url, { pduSessionId: 2 }))
    const udrSubs = udr.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/subs-to-notify'))
    const chfSubs = chf.requests.filter((r) => r.method === 'POST')
    expect(udrSubs).to.have.length(1)
    expect(chfSubs).to.have.length(1)
    check3gpp('PolicyDataSubscription', udrSubs[0]!.body, 'TS29519_Policy_Data.yaml')
    expect(udrSubs[0]!.body.notificationUri).to.match(/^http:\/\/127\.0\.0\.1:\d+\/npcf-callback\/v1\/policy-data-notify\//)
    expect(udrSubs[0]!.body.monitoredResourceUris.some((u: string) => u.endsWith(`/policy-data/ues/${SUPI}/sm-data`))).to.equal(true)
    check3gpp('SpendingLimitContext', chfSubs[0]!.body, 'TS29594_Nchf_SpendingLimitControl.yaml')
    expect(chfSubs[0]!.body).to.deep.include({ supi: SUPI, policyCounterIds: ['data-allowance'] })
  })

  it('decides throttled from the start when the CHF already reports the counter exhausted', async () => {
    chf.statuses['data-allowance'] = 'exhausted'
    const res = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    expect((Object.values(res.body.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '1 Mbps', downlink: '1 Mbps' })
  })

  it('uses config defaults when the UDR has no policy-data, and then asks the CHF nothing', async () => {
    udr.smData.clear()
    const res = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url, { subsSessAmbr: undefined }))
    expect(res.status).to.equal(201)
    expect((Object.values(res.body.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '100 Mbps', downlink: '200 Mbps' })
    expect(chf.requests).to.have.length(0)
  })

  it('get answers SmPolicyControl; update (free5GC RES_MO_RE) answers the decision; delete {} answers 204 and unsubscribes after the linger', async () => {
    const c = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    const path = new URL(c.headers.location as string).pathname
    const g = await pcf.request('GET', path)
    expect(g.status).to.equal(200)
    check3gpp('SmPolicyControl', g.body)
    expect(g.body.context.supi).to.equal(SUPI)
    const u = await pcf.request('POST', `${path}/update`, F5_SM_UPDATE)
    expect(u.status, u.text).to.equal(200)
    check3gpp('SmPolicyDecision', u.body)
    expect(Object.keys(u.body.sessRules)).to.have.length(1)
    const d = await pcf.request('POST', `${path}/delete`, {})
    expect(d.status).to.equal(204)
    expect((await pcf.request('GET', path)).status).to.equal(404)
    await chf.waitFor((r) => r.method === 'DELETE', 3000)
    await udr.waitFor((r) => r.method === 'DELETE', 3000)
  })

  it('Open5GS delete via POST {Location}/delete with ranNasRelCauses', async () => {
    const c = await pcf.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url))
    const d = await pcf.request('POST', `${new URL(c.headers.location as string).pathname}/delete`, O5_SM_DELETE)
    expect(d.status, d.text).to.equal(204)
  })

  it('keeps the CHF subscription until the last session of the SUPI ends (and the linger after it)', async () => {
    const a = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    const b = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url, { pduSessionId: 2 }))
    await pcf.request('POST', `${new URL(a.headers.location as string).pathname}/delete`, {})
    await new Promise((r) => setTimeout(r, 400))
    expect(chf.requests.filter((r) => r.method === 'DELETE')).to.have.length(0)
    await pcf.request('POST', `${new URL(b.headers.location as string).pathname}/delete`, {})
    await chf.waitFor((r) => r.method === 'DELETE', 3000)
    await new Promise((r) => setTimeout(r, 200))
    expect(chf.requests.filter((r) => r.method === 'DELETE')).to.have.length(1)
  })

  it('answers problem+json: 400 for a body without supi, 404 for an unknown association, 403 for a suspended subscriber', async () => {
    const { supi: _s, ...noSupi } = f5SmCreate(smf.url)
    const bad = await pcf.request('POST', `${SM}/sm-policies`, noSupi)
    expect(bad.status).to.equal(400)
    expect(String(bad.headers['content-type'])).to.contain('application/problem+json')
    const missing = await pcf.request('POST', `${SM}/sm-policies/nope/delete`, {})
    expect(missing.status).to.equal(404)
    expect(missing.body.cause).to.equal('CONTEXT_NOT_FOUND')
    udr.smData.set(SUPI, smPolicyData(undefined, { mvnoSubscriberState: 'SUSPENDED' }))
    const denied = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    expect(denied.status).to.equal(403)
    expect(denied.body.cause).to.equal('POLICY_CONTEXT_DENIED')
  })

  it('another PCF instance on the same store serves the update and delete (nothing kept in memory)', async () => {
    const store = await openTestStore()
    const a = await startTestNf(createPcf, { name: 'pcf', store, keepStore: true, peers: { udr: [udr.url], chf: [chf.url] } })
    const c = await a.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url))
    await a.close()
    const b = await startTestNf(createPcf, { name: 'pcf', store, keepStore: true, peers: { udr: [udr.url], chf: [chf.url] } })
    try {
      const path = new URL(c.headers.location as string).pathname
      expect((await b.request('POST', `${path}/update`, {})).status).to.equal(200)
      expect((await b.request('POST', `${path}/delete`, {})).status).to.equal(204)
    } finally {
      await b.close()
      await store.close()
    }
  })
})

describe('PCF: concurrent first sessions of one SUPI', () => {
  it('subscribe at the CHF once and both decide from its statuses', async function () {
    this.timeout(120_000)
    const udr = await startFakeUdr()
    const chf = await startFakeChf()
    const smf = await startFakePeer()
    chf.statuses['data-allowance'] = 'exhausted'
    chf.setHandler(async (r) => {
      await new Promise((res) => setTimeout(res, 150)) // a slow CHF
      if (r.method === 'POST') {
        return { status: 201, body: { supi: r.body.supi, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'exhausted' } } }, headers: { location: `${chf.url}/nchf-spendinglimitcontrol/v1/subscriptions/1` } }
      }
      return undefined
    })
    udr.smData.set(SUPI, smPolicyData())
    const pcf = await startTestNf(createPcf, { name: 'pcf', peers: { udr: [udr.url], chf: [chf.url] } })
    try {
      const [a, b] = await Promise.all([
        pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url)),
        pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url, { pduSessionId: 2 })),
      ])
      expect(chf.requests.filter((r) => r.method === 'POST')).to.have.length(1)
      for (const r of [a, b]) expect((Object.values(r.body.sessRules)[0] as any).authSessAmbr.downlink).to.equal('1 Mbps')
    } finally {
      await pcf.close()
      await Promise.all([udr.close(), chf.close(), smf.close()])
    }
  })
})
