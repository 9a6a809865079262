import { expect } from 'chai'
import type { FakePeer, RecordedRequest } from '../helpers/h2.ts'
import type { TestNf } from '../helpers/nf.ts'
import { has3gppSpecs, validate3gpp } from '../helpers/schemas.ts'
import { f5SmCreate, o5SmCreate, PLAN, postJson, smPolicyData, SUPI, type FakeChf, type FakeUdr, resetPcfTest, startPcfWithFakePeers, type PcfUnderTest } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'

function sessAmbrOf(n: RecordedRequest) {
  return (Object.values(n.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr
}

function checkNotification(n: RecordedRequest) {
  if (!has3gppSpecs()) return
  expect(validate3gpp('TS29512_Npcf_SMPolicyControl.yaml', 'SmPolicyNotification', n.body)).to.deep.equal([])
}

describe('PCF live policy changes pushed to the SMF', () => {
  let t: PcfUnderTest
  let udr: FakeUdr
  let chf: FakeChf
  let smf: FakePeer
  let pcf: TestNf

  before(async function () {
    this.timeout(120_000) // starting NFs compiles their OpenAPI documents: seconds on a loaded machine
    t = await startPcfWithFakePeers()
    ;({ udr, chf, smf, pcf } = t)
  })
  after(async () => t?.close())
  beforeEach(async () => {
    await resetPcfTest(t)
    smf.setHandler(() => undefined)
  })

  const udrNotifyUri = () => [...udr.subscriptions.values()].at(-1)!.notificationUri
  const chfNotifUri = () => [...chf.subscriptions.values()].at(-1)!.notifUri

  it('a plan change at the UDR reaches the SMF as update-notify with the new sessRules within a second', async () => {
    const c = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    expect(c.status).to.equal(201)
    udr.smData.set(SUPI, smPolicyData({ ...PLAN, profileId: 'premium', sessAmbr: { uplink: '200 Mbps', downlink: '1 Gbps' }, fiveQi: 8 }))
    const t0 = Date.now()
    // What the UDR sends (TS 29.519 PolicyDataChangeNotification list), here without the data: the PCF re-reads.
    const ack = await postJson(udrNotifyUri(), [{ ueId: SUPI }])
    expect(ack.status).to.equal(204)
    const n = await smf.waitFor((r) => r.path.endsWith('/update'), 1000)
    expect(Date.now() - t0).to.be.lessThan(1000)
    expect(n.path).to.equal(`/nsmf-callback/sm-policies/${'urn:uuid:5b0b0f3e-1d1c-4bd8-9b1a-4f1b3e3c2a10'}/update`)
    checkNotification(n)
    expect(n.body.resourceUri).to.equal(c.headers.location)
    expect(sessAmbrOf(n)).to.deep.equal({ uplink: '200 Mbps', downlink: '1 Gbps' })
    expect((Object.values(n.body.smPolicyDecision.sessRules)[0] as any).authDefQos['5qi']).to.equal(8)
    expect(n.body.smPolicyDecision.pccRules['PccRuleId-default']).to.be.an('object')
    expect(n.body.smPolicyDecision.policyCtrlReqTriggers).to.include.members(['SE_AMBR_CH', 'DEF_QOS_CH'])
  })

  it('uses the smPolicyData carried in the notification, and sends nothing when the decision is unchanged', async () => {
    await pcf.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url))
    await postJson(udrNotifyUri(), [{ ueId: SUPI, smPolicyData: smPolicyData() }])
    await new Promise((r) => setTimeout(r, 200))
    expect(smf.requests).to.have.length(0)
    await postJson(udrNotifyUri(), [{ ueId: SUPI, smPolicyData: smPolicyData({ ...PLAN, sessAmbr: { uplink: '5 Mbps', downlink: '10 Mbps' } }) }])
    const n = await smf.waitFor((r) => r.path.endsWith('/update'), 3000)
    expect(n.path).to.equal('/nsmf-callback/v1/sm-policy-notify/1/update')
    // Open5GS ignores sessRules in an update-notify: the new rate also rides on the default rule's QoS.
    expect(n.body.smPolicyDecision.qosDecs['QosId-default']).to.include({ maxbrUl: '5 Mbps', maxbrDl: '10 Mbps' })
  })

  it('a CHF spending-limit notification throttles the session, and a later one restores it', async () => {
    await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    const exhausted = { supi: SUPI, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'exhausted' } } }
    if (has3gppSpecs()) expect(validate3gpp('TS29594_Nchf_SpendingLimitControl.yaml', 'SpendingLimitStatus', exhausted)).to.deep.equal([])
    const a = await postJson(`${chfNotifUri()}/notify`, exhausted)
    expect(a.status).to.equal(204)
    const throttled = await smf.waitFor((r) => r.path.endsWith('/update'), 3000)
    checkNotification(throttled)
    expect(sessAmbrOf(throttled)).to.deep.equal({ uplink: '1 Mbps', downlink: '1 Mbps' })
    expect(throttled.body.smPolicyDecision.qosDecs['QosId-default']).to.include({ maxbrDl: '1 Mbps' })
    // Top-up: the CHF reports normal again (on the bare notifUri this time).
    const b = await postJson(chfNotifUri(), { supi: SUPI, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'normal' } } })
    expect(b.status).to.equal(204)
    const restored = await smf.waitFor((r) => r.path.endsWith('/update') && r !== throttled, 3000)
    expect(sessAmbrOf(restored)).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })
    const events = await pcf.store.collection('events').find({ supi: SUPI, type: 'pcf.policy.updated' })
    expect(events.map((e: any) => e.data.mode)).to.deep.equal(['THROTTLED', 'NORMAL'])
  })

  it('gating after exhaustion adds top-up rules, and restoring removes them (null for free5GC)', async () => {
    udr.smData.set(
      SUPI,
      smPolicyData({ ...PLAN, afterExhaustion: { action: 'GATE', redirectUrl: 'https://topup.example.com', allowedFlows: ['permit out ip from 198.51.100.10 to assigned'] } }),
    )
    await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    await postJson(`${chfNotifUri()}/notify`, { supi: SUPI, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'exhausted' } } })
    const gated = await smf.waitFor((r) => r.path.endsWith('/update'), 3000)
    expect(gated.body.smPolicyDecision.traffContDecs['TcId-gate']).to.include({ flowStatus: 'DISABLED' })
    expect(gated.body.smPolicyDecision.pccRules).to.have.property('PccRuleId-topup-1')
    await postJson(`${chfNotifUri()}/notify`, { supi: SUPI, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'normal' } } })
    const open = await smf.waitFor((r) => r.path.endsWith('/update') && r !== gated, 3000)
    expect(open.body.smPolicyDecision.pccRules['PccRuleId-topup-1']).to.equal(null)
    expect(open.body.smPolicyDecision.traffContDecs['TcId-gate']).to.equal(null)
  })

  it('a suspension in policy-data sends /terminate; free5GC\'s 501 counts as delivered (no retries)', async () => {
    smf.setHandler((r) => (r.path.endsWith('/terminate') ? { status: 501, body: { status: 501, cause: 'NOT_IMPLEMENTED' } } : undefined))
    const c = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    udr.smData.set(SUPI, smPolicyData(PLAN, { mvnoSubscriberState: 'SUSPENDED' }))
    await postJson(udrNotifyUri(), [{ ueId: SUPI }])
    const t = await smf.waitFor((r) => r.path.endsWith('/terminate'), 3000)
    expect(t.path).to.equal(`/nsmf-callback/sm-policies/urn:uuid:5b0b0f3e-1d1c-4bd8-9b1a-4f1b3e3c2a10/terminate`)
    if (has3gppSpecs()) expect(validate3gpp('TS29512_Npcf_SMPolicyControl.yaml', 'TerminationNotification', t.body)).to.deep.equal([])
    expect(t.body).to.deep.equal({ resourceUri: c.headers.location, cause: 'UE_SUBSCRIPTION' })
    await new Promise((r) => setTimeout(r, 600))
    expect(smf.requests.filter((r) => r.path.endsWith('/terminate'))).to.have.length(1)
    // A later change does not terminate again.
    await postJson(udrNotifyUri(), [{ ueId: SUPI }])
    await new Promise((r) => setTimeout(r, 200))
    expect(smf.requests.filter((r) => r.path.endsWith('/terminate'))).to.have.length(1)
  })

  it('Open5GS: /terminate answered 204, then the SMF deletes the association', async () => {
    const c = await pcf.request('POST', `${SM}/sm-policies`, o5SmCreate(smf.url))
    udr.smData.set(SUPI, smPolicyData(PLAN, { mvnoSubscriberState: 'TERMINATED' }))
    await postJson(udrNotifyUri(), [{ ueId: SUPI, smPolicyData: udr.smData.get(SUPI) }])
    const t = await smf.waitFor((r) => r.path === '/nsmf-callback/v1/sm-policy-notify/1/terminate', 3000)
    expect(t.body.cause).to.equal('UE_SUBSCRIPTION')
    const d = await pcf.request('POST', `${new URL(c.headers.location as string).pathname}/delete`, {})
    expect(d.status).to.equal(204)
  })

  it('the CHF ending the subscription (/terminate) is accepted, and the next session subscribes again', async () => {
    const c = await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url))
    const r = await postJson(`${chfNotifUri()}/terminate`, { supi: SUPI, termCause: 'REMOVED_SUBSCRIBER' })
    expect(r.status).to.equal(204)
    await pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(smf.url, { pduSessionId: 2 }))
    expect(chf.requests.filter((x) => x.method === 'POST')).to.have.length(2)
    expect(c.status).to.equal(201)
  })
})
