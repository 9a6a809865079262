import { expect } from 'chai'
import {
  amUpdateNotify,
  decideAmPolicy,
  decideSmPolicy,
  findSmPolicyDnnData,
  formatBitRate,
  negotiateFeatures,
  normalizeBitRate,
  parseSnssaiKey,
  smDecisionChanged,
  smfFlavour,
  smNotifyDecision,
  smTerminateNotify,
  smUpdateNotify,
  withNegotiatedFeatures,
  type PolicyProfile,
  type SmPolicyContextData,
  type SmPolicyData,
  type SmPolicyDecision,
} from '../../nf/pcf/domain/index.ts'
import type { PolicyDefaults } from '../../config/schema.ts'

const defaults: PolicyDefaults = { sessAmbrUl: '100 Mbps', sessAmbrDl: '200 Mbps', fiveQi: 9, arpPriorityLevel: 8, ratingGroup: 10 }

function ctx(over: Partial<SmPolicyContextData> = {}): SmPolicyContextData {
  return {
    supi: 'imsi-001010000000001',
    pduSessionId: 1,
    pduSessionType: 'IPV4',
    dnn: 'internet',
    notificationUri: 'http://smf/nsmf-callback/v1/sm-policy-notify/1',
    sliceInfo: { sst: 1, sd: '010203' },
    ...over,
  }
}

const planProfile: PolicyProfile = {
  profileId: 'basic-10gb',
  sessAmbr: { uplink: '50 Mbps', downlink: '150 Mbps' },
  fiveQi: 8,
  arp: { priorityLevel: 7, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' },
  ratingGroup: 100,
  policyCounterIds: ['data-allowance'],
  afterExhaustion: { action: 'THROTTLE', sessAmbr: { uplink: '1 Mbps', downlink: '1 Mbps' } },
}

function policyData(profile: PolicyProfile | undefined, extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}): SmPolicyData {
  return {
    smPolicySnssaiData: {
      '1-010203': {
        snssai: { sst: 1, sd: '010203' },
        smPolicyDnnData: { internet: { dnn: 'internet', online: true, offline: false, ...(profile ? { mvnoPolicyProfile: profile } : {}), ...extra } },
      },
    },
    ...top,
  }
}

const gateProfile: PolicyProfile = {
  ...planProfile,
  afterExhaustion: {
    action: 'GATE',
    redirectUrl: 'https://topup.example.com',
    allowedFlows: ['permit out ip from 198.51.100.10 to assigned'],
    allowedRatingGroup: 999,
  },
}

function decided(o: ReturnType<typeof decideSmPolicy>) {
  if (o.kind !== 'decision') throw new Error(`expected a decision, got ${o.kind}`)
  return o
}

describe('pcf domain: decideSmPolicy', () => {
  const cases: Array<{
    name: string
    input: Parameters<typeof decideSmPolicy>[0]
    want: { mode?: string; ambr?: { uplink: string; downlink: string }; fiveQi?: number; rg?: number; online?: boolean; offline?: boolean; rules?: string[]; denied?: boolean }
  }> = [
    {
      name: 'uses config defaults when the UDR has no policy-data and the SMF reports nothing',
      input: { context: ctx(), defaults },
      want: { mode: 'NORMAL', ambr: { uplink: '100 Mbps', downlink: '200 Mbps' }, fiveQi: 9, rg: 10, online: false, offline: true, rules: ['PccRuleId-default'] },
    },
    {
      name: 'honours the subscribed AMBR and default QoS the SMF reports when the plan sets none',
      input: {
        context: ctx({ subsSessAmbr: { uplink: '1 Gbps', downlink: '2000 Mbps' }, subsDefQos: { '5qi': 7, arp: { priorityLevel: 3, preemptCap: 'MAY_PREEMPT', preemptVuln: 'PREEMPTABLE' }, priorityLevel: 3 } }),
        defaults,
      },
      want: { mode: 'NORMAL', ambr: { uplink: '1 Gbps', downlink: '2 Gbps' }, fiveQi: 7 },
    },
    {
      name: 'the plan profile wins over the subscribed values',
      input: { context: ctx({ subsSessAmbr: { uplink: '1 Gbps', downlink: '1 Gbps' } }), policyData: policyData(planProfile), defaults },
      want: { mode: 'NORMAL', ambr: { uplink: '50 Mbps', downlink: '150 Mbps' }, fiveQi: 8, rg: 100, online: true, offline: false },
    },
    {
      name: 'throttles the AMBR when the plan counter is exhausted',
      input: { context: ctx(), policyData: policyData(planProfile), counterStatuses: { 'data-allowance': 'exhausted' }, defaults },
      want: { mode: 'THROTTLED', ambr: { uplink: '1 Mbps', downlink: '1 Mbps' }, fiveQi: 8 },
    },
    {
      name: 'stays normal on a warning status',
      input: { context: ctx(), policyData: policyData(planProfile), counterStatuses: { 'data-allowance': 'warning' }, defaults },
      want: { mode: 'NORMAL', ambr: { uplink: '50 Mbps', downlink: '150 Mbps' } },
    },
    {
      name: 'matches operator-defined exhausted statuses case-insensitively',
      input: { context: ctx(), policyData: policyData({ ...planProfile, exhaustedStatuses: ['BLOCKED'] }), counterStatuses: { 'data-allowance': 'blocked' }, defaults },
      want: { mode: 'THROTTLED' },
    },
    {
      name: 'ignores counter statuses when subscSpendingLimits is false',
      input: { context: ctx(), policyData: policyData(planProfile, { subscSpendingLimits: false }), counterStatuses: { 'data-allowance': 'exhausted' }, defaults },
      want: { mode: 'NORMAL' },
    },
    {
      name: 'stays normal when exhausted but the plan defines no after-exhaustion action',
      input: { context: ctx(), policyData: policyData({ ...planProfile, afterExhaustion: undefined }), counterStatuses: { 'data-allowance': 'exhausted' }, defaults },
      want: { mode: 'NORMAL' },
    },
    {
      name: 'gates traffic except the top-up flows when the plan says GATE',
      input: { context: ctx(), policyData: policyData(gateProfile), counterStatuses: { 'data-allowance': 'exhausted' }, defaults },
      want: { mode: 'GATED', ambr: { uplink: '1 Mbps', downlink: '1 Mbps' }, rules: ['PccRuleId-default', 'PccRuleId-topup-1'] },
    },
    {
      name: 'finds the DNN under a free5GC-style slice key and a roaming DNN with operator id',
      input: {
        context: ctx({ dnn: 'Internet.mnc070.mcc999.gprs' }),
        policyData: { smPolicySnssaiData: { '01010203': { snssai: undefined as never, smPolicyDnnData: { internet: { dnn: 'internet', mvnoPolicyProfile: planProfile } } } } },
        defaults,
      },
      want: { ambr: { uplink: '50 Mbps', downlink: '150 Mbps' } },
    },
    {
      name: 'falls back to defaults for another slice',
      input: { context: ctx({ sliceInfo: { sst: 2 } }), policyData: policyData(planProfile), defaults },
      want: { ambr: { uplink: '100 Mbps', downlink: '200 Mbps' } },
    },
    {
      name: 'repairs badly spelled bitrates and falls back on unparsable ones',
      input: { context: ctx(), policyData: policyData({ sessAmbr: { uplink: '10 mbps', downlink: 'fast' } }), defaults },
      want: { ambr: { uplink: '100 Mbps', downlink: '200 Mbps' } },
    },
    {
      name: 'denies a suspended subscriber',
      input: { context: ctx(), policyData: policyData(planProfile, {}, { mvnoSubscriberState: 'SUSPENDED' }), defaults },
      want: { denied: true },
    },
    {
      name: 'denies a terminated subscriber',
      input: { context: ctx(), policyData: policyData(planProfile, {}, { mvnoSubscriberState: 'TERMINATED' }), defaults },
      want: { denied: true },
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const out = decideSmPolicy(c.input)
      if (c.want.denied) {
        expect(out.kind).to.equal('denied')
        return
      }
      const { decision, summary } = decided(out)
      const rule = Object.values(decision.sessRules)[0]!
      if (c.want.mode) expect(summary.mode).to.equal(c.want.mode)
      if (c.want.ambr) {
        expect(rule.authSessAmbr).to.deep.equal(c.want.ambr)
        expect(decision.qosDecs['QosId-default']).to.include({ maxbrUl: c.want.ambr.uplink, maxbrDl: c.want.ambr.downlink })
      }
      if (c.want.fiveQi !== undefined) expect(rule.authDefQos?.['5qi']).to.equal(c.want.fiveQi)
      if (c.want.rg !== undefined) expect(decision.chgDecs?.['ChgId-default']?.ratingGroup).to.equal(c.want.rg)
      if (c.want.online !== undefined) expect(decision.online).to.equal(c.want.online)
      if (c.want.offline !== undefined) expect(decision.offline).to.equal(c.want.offline)
      if (c.want.rules) expect(Object.keys(decision.pccRules)).to.deep.equal(c.want.rules)
    })
  }

  it('always carries what free5GC and Open5GS need: sessRule with AMBR+QoS, triggers, default rule → qosDecs/chgDecs', () => {
    const { decision } = decided(decideSmPolicy({ context: ctx({ pduSessionId: 5 }), policyData: policyData(planProfile), defaults }))
    expect(decision.policyCtrlReqTriggers).to.include.members(['SE_AMBR_CH', 'DEF_QOS_CH'])
    const sr = decision.sessRules['SessRuleId-5']!
    expect(sr.sessRuleId).to.equal('SessRuleId-5')
    expect(sr.authSessAmbr).to.have.keys('uplink', 'downlink')
    expect(sr.authDefQos).to.deep.include({ '5qi': 8, arp: { priorityLevel: 7, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' } })
    const pcc = decision.pccRules['PccRuleId-default']!
    expect(pcc.flowInfos).to.deep.equal([
      { flowDescription: 'permit out ip from any to assigned', flowDirection: 'DOWNLINK' },
      { flowDescription: 'permit out ip from any to assigned', flowDirection: 'UPLINK' },
    ])
    expect(decision.qosDecs[pcc.refQosData![0]!]).to.include({ '5qi': 8 })
    expect(decision.chgDecs![pcc.refChgData![0]!]).to.deep.equal({ chgId: 'ChgId-default', ratingGroup: 100, online: true, offline: false, meteringMethod: 'VOLUME', reportingLevel: 'RAT_GR_LEVEL' })
  })

  it('gates with a DISABLED traffic control and a URL redirect, and charges top-up flows to their own rating group', () => {
    const { decision } = decided(decideSmPolicy({ context: ctx(), policyData: policyData(gateProfile), counterStatuses: { 'data-allowance': 'exhausted' }, defaults }))
    expect(decision.pccRules['PccRuleId-default']!.refTcData).to.deep.equal(['TcId-gate'])
    expect(decision.traffContDecs!['TcId-gate']).to.deep.equal({
      tcId: 'TcId-gate',
      flowStatus: 'DISABLED',
      redirectInfo: { redirectEnabled: true, redirectAddressType: 'URL', redirectServerAddress: 'https://topup.example.com' },
    })
    const topup = decision.pccRules['PccRuleId-topup-1']!
    expect(topup.precedence).to.be.lessThan(decision.pccRules['PccRuleId-default']!.precedence!)
    expect(decision.chgDecs![topup.refChgData![0]!]!.ratingGroup).to.equal(999)
    expect(decision.traffContDecs![topup.refTcData![0]!]!.flowStatus).to.equal('ENABLED')
  })

  it('replaces an ARP enum Open5GS would crash on', () => {
    const { decision } = decided(
      decideSmPolicy({ context: ctx({ subsDefQos: { '5qi': 9, arp: { priorityLevel: 99, preemptCap: 'BOGUS' as never, preemptVuln: 'PREEMPTABLE' } } }), defaults }),
    )
    expect(decision.sessRules['SessRuleId-1']!.authDefQos!.arp).to.deep.equal({ priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' })
  })

  it('copies chfInfo into chargingInfo', () => {
    const { decision } = decided(decideSmPolicy({ context: ctx(), policyData: policyData(planProfile, { chfInfo: { primaryChfAddress: '10.0.0.9' } }), defaults }))
    expect(decision.chargingInfo).to.deep.equal({ primaryChfAddress: '10.0.0.9' })
  })

  it('negotiates suppFeat as the AND of the request and ours', () => {
    const { decision } = decided(decideSmPolicy({ context: ctx(), defaults }))
    expect(withNegotiatedFeatures(decision, 'F').suppFeat).to.equal('0')
    expect(withNegotiatedFeatures(decision, '4F').suppFeat).to.equal('40')
    expect(withNegotiatedFeatures(decision, undefined).suppFeat).to.equal('0')
  })
})

describe('pcf domain: helpers', () => {
  for (const [req, ours, want] of [
    ['F', '40', '0'],
    ['FFF', '40', '40'],
    ['1', '1', '1'],
    ['0001', 'F', '1'],
    ['zz', 'F', '0'],
  ] as const) {
    it(`negotiateFeatures(${req}, ${ours}) = ${want}`, () => expect(negotiateFeatures(req, ours)).to.equal(want))
  }
  for (const [inp, want] of [
    ['100 Mbps', '100 Mbps'],
    ['100 mbps', '100 Mbps'],
    ['1000 Kbps', '1 Mbps'],
    ['1.5 Gbps', '1500 Mbps'],
    ['64 bps', '64 bps'],
    ['10Mbps', '10 Mbps'],
    ['ten', undefined],
  ] as const) {
    it(`normalizeBitRate(${inp}) = ${want}`, () => expect(normalizeBitRate(inp)).to.equal(want))
  }
  it('formats 0', () => expect(formatBitRate(0)).to.equal('0 bps'))
  for (const [key, want] of [
    ['1-010203', { sst: 1, sd: '010203' }],
    ['01010203', { sst: 1, sd: '010203' }],
    ['1', { sst: 1 }],
    ['x', undefined],
  ] as const) {
    it(`parseSnssaiKey(${key})`, () => expect(parseSnssaiKey(key)).to.deep.equal(want))
  }
  it('finds a slice-wide (SST only) entry for a request with SD', () => {
    const d = findSmPolicyDnnData({ smPolicySnssaiData: { '1': { snssai: { sst: 1 }, smPolicyDnnData: { ims: { dnn: 'ims' } } } } }, { sst: 1, sd: '010203' }, 'IMS')
    expect(d?.dnn).to.equal('ims')
  })
})

describe('pcf domain: notifications', () => {
  const f5 = 'http://10.0.0.2:8000/nsmf-callback/sm-policies/urn:uuid:5b0b0f3e-1d1c-4bd8-9b1a-4f1b3e3c2a10'
  const o5 = 'http://10.0.0.3:7777/nsmf-callback/v1/sm-policy-notify/1'
  it('recognises the SMFs by their callback URIs', () => {
    expect(smfFlavour(f5)).to.equal('free5gc')
    expect(smfFlavour(o5)).to.equal('open5gs')
    expect(smfFlavour('http://x/cb')).to.equal('generic')
  })
  it('POSTs to the URI exactly as received plus /update and /terminate', () => {
    const d = decided(decideSmPolicy({ context: ctx(), defaults })).decision
    expect(smUpdateNotify(f5, 'http://pcf/r/1', d).uri).to.equal(`${f5}/update`)
    const t = smTerminateNotify(f5, 'http://pcf/r/1')
    expect(t.uri).to.equal(`${f5}/terminate`)
    expect(t.terminalStatuses).to.deep.equal([501])
    expect(t.body).to.deep.equal({ resourceUri: 'http://pcf/r/1', cause: 'UE_SUBSCRIPTION' })
  })
  it('removes dropped rules with null for free5GC but sends a plain full set to Open5GS', () => {
    const gated = decided(decideSmPolicy({ context: ctx(), policyData: policyData(gateProfile), counterStatuses: { 'data-allowance': 'exhausted' }, defaults })).decision
    const normal = decided(decideSmPolicy({ context: ctx(), policyData: policyData(gateProfile), defaults })).decision
    const toF5 = smNotifyDecision(gated, normal, 'free5gc')
    expect(toF5.pccRules['PccRuleId-topup-1']).to.equal(null)
    expect(toF5.pccRules['PccRuleId-default']).to.be.an('object')
    expect(toF5.sessRules).to.deep.equal(normal.sessRules)
    const toO5 = smNotifyDecision(gated, normal, 'open5gs')
    expect(Object.keys(toO5.pccRules)).to.deep.equal(['PccRuleId-default'])
    expect(toO5.traffContDecs).to.equal(undefined)
  })
  it('detects a changed decision and ignores suppFeat', () => {
    const a = decided(decideSmPolicy({ context: ctx(), defaults })).decision
    const b: SmPolicyDecision = { ...structuredClone(a), suppFeat: '40' }
    expect(smDecisionChanged(a, b)).to.equal(false)
    const c = decided(decideSmPolicy({ context: ctx(), policyData: policyData(planProfile), defaults })).decision
    expect(smDecisionChanged(a, c)).to.equal(true)
  })
})

describe('pcf domain: AM policy', () => {
  it('takes rfsp, servAreaRes and ueAmbr from mvnoAmPolicy and adds UE_AMBR_CH', () => {
    const p = decideAmPolicy({ suppFeat: '0' }, { mvnoAmPolicy: { rfsp: 3, servAreaRes: { restrictionType: 'ALLOWED_AREAS', areas: [{ tacs: ['000001'] }] }, ueAmbr: { uplink: '100 mbps', downlink: '1 Gbps' } } })
    expect(p).to.deep.equal({
      suppFeat: '0',
      rfsp: 3,
      servAreaRes: { restrictionType: 'ALLOWED_AREAS', areas: [{ tacs: ['000001'] }] },
      ueAmbr: { uplink: '100 Mbps', downlink: '1 Gbps' },
      triggers: ['UE_AMBR_CH'],
    })
  })
  it('answers only suppFeat when policy-data has nothing', () => {
    expect(decideAmPolicy({ suppFeat: 'F' }, undefined)).to.deep.equal({ suppFeat: '0' })
  })
  const resource = 'http://pcf/npcf-am-policy-control/v1/policies/abc'
  for (const c of [
    { name: 'free5GC: {notificationUri}{polAssoId}/update with a PolicyUpdate', uri: 'http://amf:8000/namf-callback/v1/am-policy/', wantUri: 'http://amf:8000/namf-callback/v1/am-policy/abc/update', body: true },
    { name: 'Open5GS: bodyless POST to the URI as received', uri: 'http://amf:7777/namf-callback/v1/imsi-001010000000001/am-policy-notify', wantUri: 'http://amf:7777/namf-callback/v1/imsi-001010000000001/am-policy-notify', body: false },
    { name: 'others: the TS 29.507 {notificationUri}/update', uri: 'http://amf/cb/am', wantUri: 'http://amf/cb/am/update', body: true },
  ]) {
    it(c.name, () => {
      const r = amUpdateNotify(c.uri, 'abc', resource, { suppFeat: '0', rfsp: 2 })
      expect(r.uri).to.equal(c.wantUri)
      if (c.body) expect(r.body).to.deep.equal({ resourceUri: resource, rfsp: 2 })
      else expect(r.body).to.equal(undefined)
    })
  }
})
