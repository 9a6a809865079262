/**
 * The 3GPP shapes the PCF reads and writes, in the spec's names: TS 29.512 (Npcf_SMPolicyControl),
 * TS 29.507 (Npcf_AMPolicyControl), TS 29.519 (policy-data in the UDR), TS 29.594 (spending limits),
 * TS 29.571 (common data). Only the members we read or write; peers send more, and we keep it.
 */

export interface Snssai {
  sst: number
  sd?: string
}

/** TS 29.571 Ambr: bitrates as "<n> bps|Kbps|Mbps|Gbps|Tbps". */
export interface Ambr {
  uplink: string
  downlink: string
}

export type PreemptionCapability = 'NOT_PREEMPT' | 'MAY_PREEMPT'
export type PreemptionVulnerability = 'NOT_PREEMPTABLE' | 'PREEMPTABLE'

export interface Arp {
  priorityLevel: number
  preemptCap: PreemptionCapability
  preemptVuln: PreemptionVulnerability
}

/** TS 29.571 SubscribedDefaultQos. */
export interface SubscribedDefaultQos {
  '5qi': number
  arp: Arp
  priorityLevel?: number
}

/** TS 29.512 §5.6.2.3 SmPolicyContextData (what we read of it). */
export interface SmPolicyContextData {
  supi: string
  pduSessionId: number
  pduSessionType: string
  dnn: string
  notificationUri: string
  sliceInfo: Snssai
  gpsi?: string
  accessType?: string
  ratType?: string
  ipv4Address?: string
  ipv6AddressPrefix?: string
  subsSessAmbr?: Ambr
  subsDefQos?: SubscribedDefaultQos
  servingNetwork?: { mcc: string; mnc: string }
  chargingcharacteristics?: string
  online?: boolean
  offline?: boolean
  suppFeat?: string
  [k: string]: unknown
}

export interface SessionRule {
  sessRuleId: string
  authSessAmbr?: Ambr
  authDefQos?: {
    '5qi': number
    arp: Arp
    priorityLevel?: number
  }
}

export type FlowDirection = 'DOWNLINK' | 'UPLINK' | 'BIDIRECTIONAL' | 'UNSPECIFIED'

export interface FlowInformation {
  flowDescription?: string
  flowDirection?: FlowDirection
}

export interface PccRule {
  pccRuleId: string
  flowInfos?: FlowInformation[]
  precedence?: number
  refQosData?: string[]
  refChgData?: string[]
  refTcData?: string[]
}

export interface QosData {
  qosId: string
  '5qi'?: number
  maxbrUl?: string
  maxbrDl?: string
  gbrUl?: string
  gbrDl?: string
  arp?: Arp
  priorityLevel?: number
  defQosFlowIndication?: boolean
}

export type MeteringMethod = 'DURATION' | 'VOLUME' | 'DURATION_VOLUME' | 'EVENT'

export interface ChargingData {
  chgId: string
  meteringMethod?: MeteringMethod
  online?: boolean
  offline?: boolean
  ratingGroup?: number
  reportingLevel?: 'SER_ID_LEVEL' | 'RAT_GR_LEVEL' | 'SPON_CON_LEVEL'
}

export interface RedirectInformation {
  redirectEnabled?: boolean
  redirectAddressType?: 'IPV4_ADDR' | 'IPV6_ADDR' | 'URL' | 'SIP_URI'
  redirectServerAddress?: string
}

export type FlowStatus = 'ENABLED-UPLINK' | 'ENABLED-DOWNLINK' | 'ENABLED' | 'DISABLED' | 'REMOVED'

export interface TrafficControlData {
  tcId: string
  flowStatus?: FlowStatus
  redirectInfo?: RedirectInformation
}

/** TS 29.512 ChargingInformation (addresses of the CHF the SMF shall use). */
export interface ChargingInformation {
  primaryChfAddress: string
  secondaryChfAddress?: string
}

/** TS 29.512 §5.6.2.4 SmPolicyDecision (the members we decide). */
export interface SmPolicyDecision {
  sessRules: Record<string, SessionRule>
  pccRules: Record<string, PccRule | null>
  qosDecs: Record<string, QosData>
  chgDecs?: Record<string, ChargingData>
  traffContDecs?: Record<string, TrafficControlData>
  chargingInfo?: ChargingInformation
  policyCtrlReqTriggers: string[]
  online?: boolean
  offline?: boolean
  suppFeat?: string
}

/** TS 29.519 SmPolicyDnnData, with our vendor extension (see nf/pcf/README.md). */
export interface SmPolicyDnnData {
  dnn: string
  allowedServices?: string[]
  subscCats?: string[]
  gbrUl?: string
  gbrDl?: string
  subscSpendingLimits?: boolean
  ipv4Index?: number
  ipv6Index?: number
  online?: boolean
  offline?: boolean
  chfInfo?: ChargingInformation
  mvnoPolicyProfile?: PolicyProfile
  [k: string]: unknown
}

export interface SmPolicySnssaiData {
  snssai: Snssai
  smPolicyDnnData?: Record<string, SmPolicyDnnData>
}

/** TS 29.519 SmPolicyData, with our vendor extension `mvnoSubscriberState`. */
export interface SmPolicyData {
  smPolicySnssaiData: Record<string, SmPolicySnssaiData>
  mvnoSubscriberState?: SubscriberState
  [k: string]: unknown
}

/** TS 29.519 AmPolicyData, with our vendor extension `mvnoAmPolicy`. */
export interface AmPolicyData {
  subscCats?: string[]
  praInfos?: Record<string, unknown>
  mvnoAmPolicy?: AmPolicyProfile
  [k: string]: unknown
}

/** Lifecycle state the BSS writes into policy-data (vendor extension). */
export type SubscriberState = 'ACTIVE' | 'SUSPENDED' | 'TERMINATED'

/** What to do once a policy counter the plan names reaches an "exhausted" status. */
export type AfterExhaustion =
  | { action: 'THROTTLE'; sessAmbr: Ambr; fiveQi?: number }
  | {
      action: 'GATE'
      /** Redirect target for web traffic (the top-up page), e.g. "https://topup.example.com". */
      redirectUrl?: string
      /** IPFilterRules still allowed (the top-up service), e.g. "permit out ip from 198.51.100.10 to assigned". */
      allowedFlows?: string[]
      /** Rating group for the allowed flows (zero-rated top-up service), default the plan's. */
      allowedRatingGroup?: number
      /** AMBR while gated (default 1 Mbps both ways), so the top-up service stays usable. */
      sessAmbr?: Ambr
    }

/**
 * The plan's policy profile (vendor extension `mvnoPolicyProfile` of SmPolicyDnnData). Written by the
 * BSS from the catalogue; every member is optional and falls back to the PCF's config defaults.
 */
export interface PolicyProfile {
  /** Plan or profile name, for logs and events only. */
  profileId?: string
  sessAmbr?: Ambr
  fiveQi?: number
  arp?: Partial<Arp> & { priorityLevel: number }
  ratingGroup?: number
  meteringMethod?: MeteringMethod
  /** Policy counters to subscribe to at the CHF (Nchf_SpendingLimitControl), e.g. ["data-allowance"]. */
  policyCounterIds?: string[]
  /** Counter statuses that mean "allowance used up" (default ["exhausted"]). */
  exhaustedStatuses?: string[]
  afterExhaustion?: AfterExhaustion
}

/** AM policy profile (vendor extension `mvnoAmPolicy` of AmPolicyData). */
export interface AmPolicyProfile {
  rfsp?: number
  servAreaRes?: Record<string, unknown>
  ueAmbr?: Ambr
  triggers?: string[]
}

/** TS 29.594 PolicyCounterInfo. */
export interface PolicyCounterInfo {
  policyCounterId: string
  currentStatus: string
  penPolCounterStatuses?: Array<{ policyCounterStatus: string; activationTime: string }>
}

/** TS 29.594 SpendingLimitStatus. */
export interface SpendingLimitStatus {
  supi?: string
  notifId?: string
  statusInfos?: Record<string, PolicyCounterInfo>
  expiry?: string
  supportedFeatures?: string
}

/** TS 29.507 PolicyAssociationRequest (what we read). */
export interface PolicyAssociationRequest {
  notificationUri: string
  supi: string
  suppFeat: string
  gpsi?: string
  accessType?: string
  pei?: string
  servingPlmn?: unknown
  guami?: unknown
  ueAmbr?: Ambr
  rfsp?: number
  servAreaRes?: Record<string, unknown>
  [k: string]: unknown
}

/** TS 29.507 PolicyAssociation (what we decide; `request` is echoed by the api layer when asked). */
export interface PolicyAssociation {
  triggers?: string[]
  servAreaRes?: Record<string, unknown>
  rfsp?: number
  ueAmbr?: Ambr
  suppFeat: string
}
