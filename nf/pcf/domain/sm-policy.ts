/**
 * The SM policy decision (TS 29.512 §4.2.2, TS 23.503 §6.3): pure, from the SMF's context, the
 * subscriber's policy-data, the plan's policy profile, the CHF's policy counter statuses and the
 * PCF's config defaults. No I/O; the same inputs always give the same decision.
 */
import type { PolicyDefaults } from '../../../config/schema.ts'
import { normalizeBitRate } from './bitrate.ts'
import { negotiateFeatures, SM_POLICY_FEATURES } from './features.ts'
import { findSmPolicyDnnData, isBarred, policyCounterIdsOf, policyProfileOf, subscriberState } from './policy-data.ts'
import type {
  Ambr,
  Arp,
  ChargingData,
  FlowInformation,
  PccRule,
  PolicyProfile,
  QosData,
  SmPolicyContextData,
  SmPolicyData,
  SmPolicyDecision,
  SubscriberState,
  TrafficControlData,
} from './types.ts'

/** Open5GS's SMF applies authSessAmbr/authDefQos only with these triggers (INTEROP gotcha 7). */
export const ALWAYS_TRIGGERS = ['SE_AMBR_CH', 'DEF_QOS_CH'] as const

/** Session-level IPFilterRule: every packet of the PDU session (TS 29.512 §5.4.2, free5GC's session charging). */
export const SESSION_FLOW = 'permit out ip from any to assigned'

export const DEFAULT_RULE_ID = 'PccRuleId-default'
export const DEFAULT_QOS_ID = 'QosId-default'
export const DEFAULT_CHG_ID = 'ChgId-default'
export const GATE_TC_ID = 'TcId-gate'
export const ALLOW_TC_ID = 'TcId-allow'
export const TOPUP_CHG_ID = 'ChgId-topup'
/** Precedence of the default rule: the lowest priority, so any other rule wins (free5GC uses 255 too). */
export const DEFAULT_PRECEDENCE = 255

export const DEFAULT_EXHAUSTED_STATUSES = ['exhausted']
const GATED_AMBR: Ambr = { uplink: '1 Mbps', downlink: '1 Mbps' }

export type PolicyMode = 'NORMAL' | 'THROTTLED' | 'GATED'

export interface SmPolicyInput {
  context: SmPolicyContextData
  /** The subscriber's SmPolicyData from the UDR; undefined when the UDR has none. */
  policyData?: SmPolicyData
  /** policyCounterId → currentStatus, as last reported by the CHF. */
  counterStatuses?: Record<string, string>
  defaults: PolicyDefaults
}

/** Why the decision is what it is: stored with the association, logged and put on the event feed. */
export interface SmPolicySummary {
  mode: PolicyMode
  profileId?: string
  sessAmbr: Ambr
  fiveQi: number
  subscriberState: SubscriberState
  policyCounterIds: string[]
  /** Counters whose status is an "exhausted" one. */
  exhaustedCounters: string[]
}

export type SmPolicyOutcome =
  | { kind: 'decision'; decision: SmPolicyDecision; summary: SmPolicySummary }
  | { kind: 'denied'; cause: 'POLICY_CONTEXT_DENIED'; detail: string; subscriberState: SubscriberState }

const PREEMPT_CAP = ['NOT_PREEMPT', 'MAY_PREEMPT']
const PREEMPT_VULN = ['NOT_PREEMPTABLE', 'PREEMPTABLE']

/** An ARP with valid enums only: an unknown value crashes Open5GS's SMF (INTEROP §7.7). */
export function sanitizeArp(arp: Partial<Arp> | undefined, fallbackLevel: number): Arp {
  const level = Number(arp?.priorityLevel)
  return {
    priorityLevel: Number.isInteger(level) && level >= 1 && level <= 15 ? level : fallbackLevel,
    preemptCap: PREEMPT_CAP.includes(arp?.preemptCap as string) ? (arp!.preemptCap as Arp['preemptCap']) : 'NOT_PREEMPT',
    preemptVuln: PREEMPT_VULN.includes(arp?.preemptVuln as string)
      ? (arp!.preemptVuln as Arp['preemptVuln'])
      : 'NOT_PREEMPTABLE',
  }
}

/** A valid Ambr in canonical spelling, or undefined when either direction does not parse. */
export function sanitizeAmbr(a: Partial<Ambr> | undefined): Ambr | undefined {
  const uplink = normalizeBitRate(a?.uplink)
  const downlink = normalizeBitRate(a?.downlink)
  return uplink && downlink ? { uplink, downlink } : undefined
}

function validFiveQi(v: unknown): number | undefined {
  const n = Number(v)
  return v !== undefined && v !== null && Number.isInteger(n) && n >= 1 && n <= 255 ? n : undefined
}

/** Counters of the profile whose reported status is one of the profile's "exhausted" statuses. */
export function exhaustedCounters(profile: PolicyProfile, counterIds: string[], statuses: Record<string, string> | undefined): string[] {
  const bad = (profile.exhaustedStatuses?.length ? profile.exhaustedStatuses : DEFAULT_EXHAUSTED_STATUSES).map((s) => s.toLowerCase())
  return counterIds.filter((id) => {
    const s = statuses?.[id]
    return typeof s === 'string' && bad.includes(s.toLowerCase())
  })
}

function sessionFlows(description: string): FlowInformation[] {
  // Both directions: Open5GS installs a packet filter per flowInfo; free5GC reads flowInfos[0] only.
  return [
    { flowDescription: description, flowDirection: 'DOWNLINK' },
    { flowDescription: description, flowDirection: 'UPLINK' },
  ]
}

/**
 * Npcf_SMPolicyControl decision for one PDU session.
 *
 * Precedence of each value: the plan's profile in policy-data, then what the SMF reports as subscribed
 * (`subsSessAmbr`, `subsDefQos` from the UDM), then `config.pcf.defaults`. When a counter named by
 * the plan is exhausted and the plan says what to do then, the AMBR is throttled, or traffic is gated
 * off except the top-up flows (with an optional redirect). A suspended or terminated subscriber is denied.
 *
 * @example
 * decideSmPolicy({ context, policyData, counterStatuses: { 'data-allowance': 'exhausted' }, defaults })
 * // → { kind: 'decision', summary: { mode: 'THROTTLED', … }, decision: { sessRules: { 'SessRuleId-1': … }, … } }
 */
export function decideSmPolicy(input: SmPolicyInput): SmPolicyOutcome {
  const { context, policyData, counterStatuses, defaults } = input
  const state = subscriberState(policyData)
  if (isBarred(policyData)) {
    return { kind: 'denied', cause: 'POLICY_CONTEXT_DENIED', detail: `subscriber is ${state.toLowerCase()}`, subscriberState: state }
  }
  const dnnData = findSmPolicyDnnData(policyData, context.sliceInfo, context.dnn)
  const profile = policyProfileOf(dnnData)
  const counterIds = policyCounterIdsOf(dnnData)
  const exhausted = exhaustedCounters(profile, counterIds, counterStatuses)
  const after = profile.afterExhaustion
  const mode: PolicyMode =
    exhausted.length > 0 && after?.action === 'THROTTLE' ? 'THROTTLED' : exhausted.length > 0 && after?.action === 'GATE' ? 'GATED' : 'NORMAL'

  const defaultAmbr = sanitizeAmbr({ uplink: defaults.sessAmbrUl, downlink: defaults.sessAmbrDl }) ?? { uplink: '100 Mbps', downlink: '100 Mbps' }
  const normalAmbr = sanitizeAmbr(profile.sessAmbr) ?? sanitizeAmbr(context.subsSessAmbr) ?? defaultAmbr
  let sessAmbr = normalAmbr
  let fiveQi = validFiveQi(profile.fiveQi) ?? validFiveQi(context.subsDefQos?.['5qi']) ?? validFiveQi(defaults.fiveQi) ?? 9
  if (mode === 'THROTTLED' && after?.action === 'THROTTLE') {
    sessAmbr = sanitizeAmbr(after.sessAmbr) ?? normalAmbr
    fiveQi = validFiveQi(after.fiveQi) ?? fiveQi
  } else if (mode === 'GATED' && after?.action === 'GATE') {
    sessAmbr = sanitizeAmbr(after.sessAmbr) ?? GATED_AMBR
  }
  const arp = sanitizeArp(profile.arp ?? context.subsDefQos?.arp, sanitizeArp({ priorityLevel: defaults.arpPriorityLevel }, 8).priorityLevel)
  const priorityLevel = context.subsDefQos?.priorityLevel

  const sessRuleId = `SessRuleId-${context.pduSessionId}`
  const authDefQos: NonNullable<SmPolicyDecision['sessRules'][string]['authDefQos']> = { '5qi': fiveQi, arp }
  if (typeof priorityLevel === 'number') authDefQos.priorityLevel = priorityLevel

  // The default QoS data also carries the AMBR as MBR. A throttle reaches both SMFs this way: Open5GS
  // ignores sessRules in an update-notify, and free5GC stores a changed session rule without
  // re-applying it, but rebuilds a rule's data path (QER) when its QoS data changes.
  const qosDecs: Record<string, QosData> = {
    [DEFAULT_QOS_ID]: {
      qosId: DEFAULT_QOS_ID,
      '5qi': fiveQi,
      maxbrUl: sessAmbr.uplink,
      maxbrDl: sessAmbr.downlink,
      arp,
      defQosFlowIndication: true,
    },
  }
  if (typeof priorityLevel === 'number') qosDecs[DEFAULT_QOS_ID]!.priorityLevel = priorityLevel

  const online = typeof dnnData?.online === 'boolean' ? dnnData.online : typeof context.online === 'boolean' ? context.online : false
  const offline = typeof dnnData?.offline === 'boolean' ? dnnData.offline : typeof context.offline === 'boolean' ? context.offline : !online
  const ratingGroup = Number.isInteger(profile.ratingGroup) ? profile.ratingGroup : defaults.ratingGroup
  const charged = (online || offline) && ratingGroup !== undefined
  const chgDecs: Record<string, ChargingData> = {}
  if (charged) {
    chgDecs[DEFAULT_CHG_ID] = {
      chgId: DEFAULT_CHG_ID,
      ratingGroup,
      online,
      offline,
      meteringMethod: profile.meteringMethod ?? 'VOLUME',
      reportingLevel: 'RAT_GR_LEVEL',
    }
  }

  const defaultRule: PccRule = {
    pccRuleId: DEFAULT_RULE_ID,
    flowInfos: sessionFlows(SESSION_FLOW),
    precedence: DEFAULT_PRECEDENCE,
    refQosData: [DEFAULT_QOS_ID],
  }
  if (charged) defaultRule.refChgData = [DEFAULT_CHG_ID]
  const pccRules: Record<string, PccRule> = { [DEFAULT_RULE_ID]: defaultRule }
  const traffContDecs: Record<string, TrafficControlData> = {}

  if (mode === 'GATED' && after?.action === 'GATE') {
    const gate: TrafficControlData = { tcId: GATE_TC_ID, flowStatus: 'DISABLED' }
    if (after.redirectUrl) {
      gate.redirectInfo = { redirectEnabled: true, redirectAddressType: 'URL', redirectServerAddress: after.redirectUrl }
    }
    traffContDecs[GATE_TC_ID] = gate
    defaultRule.refTcData = [GATE_TC_ID]
    const allowed = (after.allowedFlows ?? []).filter((f) => typeof f === 'string' && f.trim() !== '')
    if (allowed.length) {
      traffContDecs[ALLOW_TC_ID] = { tcId: ALLOW_TC_ID, flowStatus: 'ENABLED' }
      const topupRg = Number.isInteger(after.allowedRatingGroup) ? after.allowedRatingGroup : ratingGroup
      if (charged && topupRg !== undefined) {
        chgDecs[TOPUP_CHG_ID] = { chgId: TOPUP_CHG_ID, ratingGroup: topupRg, online, offline, meteringMethod: 'VOLUME', reportingLevel: 'RAT_GR_LEVEL' }
      }
      allowed.forEach((flow, i) => {
        const rule: PccRule = {
          pccRuleId: `PccRuleId-topup-${i + 1}`,
          flowInfos: sessionFlows(flow.trim()),
          precedence: 10 + i,
          refQosData: [DEFAULT_QOS_ID],
          refTcData: [ALLOW_TC_ID],
        }
        if (chgDecs[TOPUP_CHG_ID]) rule.refChgData = [TOPUP_CHG_ID]
        pccRules[rule.pccRuleId] = rule
      })
    }
  }

  const decision: SmPolicyDecision = {
    sessRules: { [sessRuleId]: { sessRuleId, authSessAmbr: sessAmbr, authDefQos } },
    pccRules,
    qosDecs,
    policyCtrlReqTriggers: [...ALWAYS_TRIGGERS],
    online,
    offline,
  }
  if (Object.keys(chgDecs).length) decision.chgDecs = chgDecs
  if (Object.keys(traffContDecs).length) decision.traffContDecs = traffContDecs
  if (dnnData?.chfInfo?.primaryChfAddress) decision.chargingInfo = dnnData.chfInfo

  return {
    kind: 'decision',
    decision,
    summary: {
      mode,
      ...(profile.profileId ? { profileId: profile.profileId } : {}),
      sessAmbr,
      fiveQi,
      subscriberState: state,
      policyCounterIds: counterIds,
      exhaustedCounters: exhausted,
    },
  }
}

/** The decision of a create answer: the decision plus the negotiated suppFeat (TS 29.512 §5.8). */
export function withNegotiatedFeatures(decision: SmPolicyDecision, requested: string | undefined): SmPolicyDecision {
  return { ...decision, suppFeat: negotiateFeatures(requested, SM_POLICY_FEATURES) }
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** True when two decisions differ in anything the SMF applies (suppFeat aside). */
export function smDecisionChanged(a: SmPolicyDecision | undefined, b: SmPolicyDecision): boolean {
  if (!a) return true
  const strip = (d: SmPolicyDecision) => ({ ...d, suppFeat: undefined })
  return stable(strip(a)) !== stable(strip(b))
}
