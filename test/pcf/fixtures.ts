/**
 * What free5GC's and Open5GS's SMF and AMF send the PCF (INTEROP §1.1, §1.2, §7; free5gc/smf
 * internal/sbi/consumer/pcf_service.go, open5gs src/smf/npcf-build.c, src/amf/npcf-build.c), and fake
 * Nudr_DR / Nchf_SpendingLimitControl peers speaking TS 29.519 / TS 29.594 shapes.
 */
import { createPcf, type PcfOptions } from '../../nf/pcf/index.ts'
import { startFakePeer, type FakePeer, type RecordedRequest } from '../helpers/h2.ts'
import { startTestNf, type StartTestNfOptions, type TestNf } from '../helpers/nf.ts'

export const SUPI = 'imsi-999700000000001'
export const GPSI = 'msisdn-491700000001'
export const F5_REF = 'urn:uuid:5b0b0f3e-1d1c-4bd8-9b1a-4f1b3e3c2a10'

const nrLocation = {
  tai: { plmnId: { mcc: '999', mnc: '70' }, tac: '000001' },
  ncgi: { plmnId: { mcc: '999', mnc: '70' }, nrCellId: '000000010' },
  ueLocationTimestamp: '2026-11-29T09:00:00.000000Z',
}

/** free5GC SMF SmPolicyContextData (v4.2.x). */
export function f5SmCreate(smf: string, over: Record<string, unknown> = {}) {
  return {
    supi: SUPI,
    pduSessionId: 1,
    notificationUri: `${smf}/nsmf-callback/sm-policies/${F5_REF}`,
    dnn: 'internet',
    pduSessionType: 'IPV4',
    accessType: '3GPP_ACCESS',
    ratType: 'NR',
    ipv4Address: '10.60.0.1',
    subsSessAmbr: { uplink: '1000 Mbps', downlink: '1000 Mbps' },
    subsDefQos: { '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' }, priorityLevel: 8 },
    sliceInfo: { sst: 1, sd: '010203' },
    servingNetwork: { mcc: '999', mnc: '70' },
    suppFeat: 'F',
    ...over,
  }
}

/** Open5GS SMF SmPolicyContextData (v2.7.x / main). */
export function o5SmCreate(smf: string, over: Record<string, unknown> = {}) {
  return {
    supi: SUPI,
    gpsi: GPSI,
    pduSessionId: 1,
    pduSessionType: 'IPV4',
    chargingcharacteristics: '00000800',
    dnn: 'internet',
    notificationUri: `${smf}/nsmf-callback/v1/sm-policy-notify/1`,
    ratType: 'NR',
    servingNetwork: { mcc: '999', mnc: '70' },
    userLocationInfo: { nrLocation },
    ueTimeZone: '+00:00',
    ipv4Address: '10.45.0.2',
    subsSessAmbr: { uplink: '1 Gbps', downlink: '1 Gbps' },
    subsDefQos: { '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' }, priorityLevel: 8 },
    suppFeat: '4000000',
    sliceInfo: { sst: 1, sd: '010203' },
    ...over,
  }
}

/** free5GC SMF update for a UE-requested modification. */
export const F5_SM_UPDATE = {
  repPolicyCtrlReqTriggers: ['RES_MO_RE'],
  ueInitResReq: {
    ruleOp: 'CREATE_PCC_RULE',
    precedence: 10,
    reqQos: { '5qi': 1, gbrUl: '128 Kbps', gbrDl: '128 Kbps' },
    packFiltInfo: [{ packFiltCont: 'permit out ip from 10.60.0.1 to 198.51.100.1', flowDirection: 'BIDIRECTIONAL' }],
  },
}

/** Open5GS SMF delete when the UE deregisters (INTEROP §7.5). */
export const O5_SM_DELETE = {
  ranNasRelCauses: [{ ngApCause: { group: 2, value: 0 } }],
  userLocationInfo: { nrLocation },
  ueTimeZone: '+00:00',
  servingNetwork: { mcc: '999', mnc: '70' },
}

/** free5GC AMF PolicyAssociationRequest. */
export function f5AmCreate(amf: string) {
  return {
    notificationUri: `${amf}/namf-callback/v1/am-policy/`,
    supi: SUPI,
    pei: 'imeisv-4370816125816151',
    gpsi: GPSI,
    accessType: '3GPP_ACCESS',
    servingPlmn: { mcc: '999', mnc: '70' },
    guami: { plmnId: { mcc: '999', mnc: '70' }, amfId: 'cafe00' },
    suppFeat: '0',
  }
}

/** Open5GS AMF PolicyAssociationRequest. */
export function o5AmCreate(amf: string) {
  return {
    notificationUri: `${amf}/namf-callback/v1/${SUPI}/am-policy-notify`,
    supi: SUPI,
    gpsi: GPSI,
    accessType: '3GPP_ACCESS',
    pei: 'imeisv-4370816125816151',
    userLoc: { nrLocation },
    timeZone: '+00:00',
    servingPlmn: { mcc: '999', mnc: '70' },
    ratType: 'NR',
    ueAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' },
    allowedSnssais: [{ sst: 1, sd: '010203' }],
    guami: { plmnId: { mcc: '999', mnc: '70' }, amfId: '020040' },
    serviceName: 'namf-callback',
    suppFeat: '1',
  }
}

/** The plan profile the BSS writes (nf/pcf/README.md). */
export const PLAN = {
  profileId: 'basic-10gb',
  sessAmbr: { uplink: '50 Mbps', downlink: '100 Mbps' },
  fiveQi: 9,
  arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' },
  ratingGroup: 100,
  policyCounterIds: ['data-allowance'],
  afterExhaustion: { action: 'THROTTLE', sessAmbr: { uplink: '1 Mbps', downlink: '1 Mbps' } },
}

export function smPolicyData(profile: Record<string, unknown> = PLAN, top: Record<string, unknown> = {}) {
  return {
    smPolicySnssaiData: {
      '1-010203': {
        snssai: { sst: 1, sd: '010203' },
        smPolicyDnnData: { internet: { dnn: 'internet', online: true, offline: false, subscSpendingLimits: true, mvnoPolicyProfile: profile } },
      },
    },
    ...top,
  }
}

export interface FakeUdr extends FakePeer {
  smData: Map<string, unknown>
  amData: Map<string, unknown>
  /** notificationUri of each live policy-data subscription, by id. */
  subscriptions: Map<string, { notificationUri: string; monitoredResourceUris: string[] }>
}

/** Nudr_DR policy-data (TS 29.519) at `/nudr-dr/v2`. */
export async function startFakeUdr(): Promise<FakeUdr> {
  const smData = new Map<string, unknown>()
  const amData = new Map<string, unknown>()
  const subscriptions = new Map<string, { notificationUri: string; monitoredResourceUris: string[] }>()
  let n = 0
  const peer = await startFakePeer((r: RecordedRequest) => {
    let m = /^\/nudr-dr\/v2\/policy-data\/ues\/([^/?]+)\/(sm-data|am-data)/.exec(r.path)
    if (m && r.method === 'GET') {
      const v = (m[2] === 'sm-data' ? smData : amData).get(decodeURIComponent(m[1]!))
      return v ? { status: 200, body: v } : { status: 404, body: { status: 404, cause: 'DATA_NOT_FOUND' } }
    }
    if (r.method === 'POST' && r.path === '/nudr-dr/v2/policy-data/subs-to-notify') {
      const id = `sub-${++n}`
      subscriptions.set(id, r.body)
      return { status: 201, body: r.body, headers: { location: `${peer.url}/nudr-dr/v2/policy-data/subs-to-notify/${id}` } }
    }
    m = /^\/nudr-dr\/v2\/policy-data\/subs-to-notify\/(.+)$/.exec(r.path)
    if (m && r.method === 'DELETE') return { status: subscriptions.delete(m[1]!) ? 204 : 404 }
    return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } }
  })
  return Object.assign(peer, { smData, amData, subscriptions })
}

export interface FakeChf extends FakePeer {
  /** policyCounterId → currentStatus answered on subscribe. */
  statuses: Record<string, string>
  subscriptions: Map<string, { supi: string; policyCounterIds: string[]; notifUri: string }>
}

/** Nchf_SpendingLimitControl (TS 29.594) producer. */
export async function startFakeChf(): Promise<FakeChf> {
  const statuses: Record<string, string> = { 'data-allowance': 'normal' }
  const subscriptions = new Map<string, { supi: string; policyCounterIds: string[]; notifUri: string }>()
  let n = 0
  const answer = (supi: string, ids: string[]) => ({
    supi,
    statusInfos: Object.fromEntries(ids.map((id) => [id, { policyCounterId: id, currentStatus: statuses[id] ?? 'normal' }])),
  })
  const peer = await startFakePeer((r: RecordedRequest) => {
    if (r.method === 'POST' && r.path === '/nchf-spendinglimitcontrol/v1/subscriptions') {
      const id = `slc-${++n}`
      subscriptions.set(id, r.body)
      return { status: 201, body: answer(r.body.supi, r.body.policyCounterIds), headers: { location: `${peer.url}/nchf-spendinglimitcontrol/v1/subscriptions/${id}` } }
    }
    const m = /^\/nchf-spendinglimitcontrol\/v1\/subscriptions\/(.+)$/.exec(r.path)
    if (m && r.method === 'DELETE') return { status: subscriptions.delete(m[1]!) ? 204 : 404 }
    if (m && r.method === 'PUT') {
      subscriptions.set(m[1]!, r.body)
      return { status: 200, body: answer(r.body.supi, r.body.policyCounterIds) }
    }
    return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } }
  })
  return Object.assign(peer, { statuses, subscriptions })
}

/** POSTs JSON to an absolute URI over h2c (what the UDR's or CHF's outbox would do). */
export async function postJson(uri: string, body: unknown) {
  const { h2request } = await import('../helpers/h2.ts')
  const u = new URL(uri)
  return h2request(u.origin, { method: 'POST', path: u.pathname + u.search, body })
}

/** Empties the PCF's collections and the peers' records, so one started PCF serves many tests (starting one costs seconds). */
export async function resetAll(pcf: { store: import('../../store/port.ts').DocumentStore }, ...peers: FakePeer[]): Promise<void> {
  for (const c of ['pcf.smPolicies', 'pcf.amPolicies', 'pcf.ues', 'outbox', 'events']) await pcf.store.collection(c).deleteMany({})
  for (const p of peers) p.requests.length = 0
}

/** A PCF (`createPcf` with `opts`) on a fresh store, with fake UDR, CHF and SMF peers. */
export interface PcfUnderTest {
  udr: FakeUdr
  chf: FakeChf
  smf: FakePeer
  pcf: TestNf
  close(): Promise<void>
}

export async function startPcfWithFakePeers(opts: PcfOptions = {}, nf: Pick<StartTestNfOptions, 'config' | 'clock'> = {}): Promise<PcfUnderTest> {
  const udr = await startFakeUdr()
  const chf = await startFakeChf()
  const smf = await startFakePeer()
  const pcf = await startTestNf((ctx) => createPcf(ctx, opts), { name: 'pcf', peers: { udr: [udr.url], chf: [chf.url] }, ...nf })
  return {
    udr,
    chf,
    smf,
    pcf,
    async close() {
      await pcf.close()
      await Promise.all([udr.close(), chf.close(), smf.close()])
    },
  }
}

/** Between tests: the PCF's stored state and every recorded request cleared, the default plan at the UDR, counters normal. */
export async function resetPcfTest(t: PcfUnderTest): Promise<void> {
  await resetAll(t.pcf, t.udr, t.chf, t.smf)
  t.udr.smData.clear()
  t.udr.smData.set(SUPI, smPolicyData())
  t.chf.statuses['data-allowance'] = 'normal'
}
