/**
 * Pure mappings from a catalogue plan (TMF620 productOffering) to what the network needs:
 * the CHF's rating snapshot and bundles (proto/account.proto) and the UDR's subscription and
 * policy data (the PCF's representation: nf/pcf/domain/types.ts, vendor extensions
 * `mvnoPolicyProfile`, `mvnoSubscriberState`, `mvnoAmPolicy`).
 */
import type { MvnoConfig, Snssai } from '../../config/schema.ts'
import type { Offering } from '../store.ts'

export interface ProtoBundle {
  id: string
  name: string
  ratingGroup: number
  unit: string
  total: number
  remaining: number
  validFrom: string
  validUntil: string
  source: string
  priority: number
  recurrence: string
}

export interface ProtoRatingPlan {
  planId: string
  name: string
  paymentType: 'PREPAID' | 'POSTPAID'
  tariffs: { ratingGroup: number; unit: string; price: number; unitSize: number; timeFrom: string; timeTo: string; zone: string }[]
  finalUnitAction: string
  redirectUrl: string
  creditLimit: number
  lowBalanceThreshold: number
  json: string
}

const DEFAULT_UNIT_SIZE: Record<string, number> = { VOLUME: 1048576, TIME: 60, EVENTS: 1 }

export function addPeriod(from: Date, period: string): Date {
  const d = new Date(from.getTime())
  const m = /^P(?:(\d+)([DWM])|T(\d+)H)$/.exec(period)
  if (!m) return d
  if (m[3]) d.setUTCHours(d.getUTCHours() + Number(m[3]))
  else if (m[2] === 'D') d.setUTCDate(d.getUTCDate() + Number(m[1]))
  else if (m[2] === 'W') d.setUTCDate(d.getUTCDate() + 7 * Number(m[1]))
  else d.setUTCMonth(d.getUTCMonth() + Number(m[1]))
  return d
}

export function ratingPlanOf(o: Offering): ProtoRatingPlan {
  const prepaid = o.paymentType === 'prepaid'
  return {
    planId: o.id,
    name: o.name,
    paymentType: prepaid ? 'PREPAID' : 'POSTPAID',
    tariffs: (o.tariffs ?? []).map((t) => ({
      ratingGroup: t.ratingGroup,
      unit: t.unit,
      price: t.price,
      unitSize: t.unitSize ?? DEFAULT_UNIT_SIZE[t.unit] ?? 1,
      timeFrom: t.timeFrom ?? '',
      timeTo: t.timeTo ?? '',
      zone: t.zone ?? '',
    })),
    finalUnitAction: o.policy.finalUnitAction ?? (o.policy.exhausted ? 'THROTTLE' : 'TERMINATE'),
    redirectUrl: o.policy.redirectUrl ?? '',
    creditLimit: prepaid ? 0 : (o.creditLimit ?? 0),
    lowBalanceThreshold: o.lowBalanceThreshold ?? 0,
    json: JSON.stringify({
      roamingZones: o.roamingZones ?? [],
      policyCounters: [{ id: 'data-allowance', unit: 'VOLUME', thresholds: [{ status: 'warning', usedRatio: 0.8 }] }],
      offering: { id: o.id, name: o.name, version: o.version, recurringCharge: o.recurringCharge },
    }),
  }
}

export function bundlesOf(o: Offering, now: Date): ProtoBundle[] {
  return (o.allowances ?? []).map((a, i) => {
    const validity = a.validity ?? o.recurringCharge?.period ?? ''
    return {
      id: `${o.id}:${a.ratingGroup}:${a.unit}`,
      name: a.name ?? `${o.name} ${a.unit.toLowerCase()} allowance`,
      ratingGroup: a.ratingGroup,
      unit: a.unit,
      total: a.amount,
      remaining: a.amount,
      validFrom: now.toISOString(),
      validUntil: validity ? addPeriod(now, validity).toISOString() : '',
      source: 'PLAN',
      priority: i,
      recurrence: o.recurringCharge?.period ?? '',
    }
  })
}

export const snssaiKeyF5 = (s: Snssai) => s.sst.toString(16).padStart(2, '0') + (s.sd ?? '')
export const escapeDnn = (dnn: string) => dnn.replace(/\./g, '_')

const ARP = (level: number) => ({ priorityLevel: level, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' })

export type SubscriberState = 'ACTIVE' | 'SUSPENDED' | 'TERMINATED'

export interface SubscriberKeys {
  supi: string
  msisdn: string
  k: string
  opc: string
}

/** Every UDR resource the BSS provisions for one subscriber: path (relative to the apiRoot) → body. */
export interface UdrWrite {
  name: string
  path: string
  body: unknown
}

export function udrWrites(cfg: MvnoConfig, o: Offering, keys: SubscriberKeys, state: SubscriberState = 'ACTIVE'): UdrWrite[] {
  const plmn = cfg.plmn.mcc + cfg.plmn.mnc
  const ue = encodeURIComponent(keys.supi)
  const base = '/nudr-dr/v2'
  const normal = o.policy.normal
  const ueAmbr = { uplink: normal.ambrUl, downlink: normal.ambrDl }
  return [
    {
      name: 'authentication-subscription',
      path: `${base}/subscription-data/${ue}/authentication-data/authentication-subscription`,
      body: authSubscription(keys),
    },
    { name: 'am-data', path: `${base}/subscription-data/${ue}/${plmn}/provisioned-data/am-data`, body: withOdb(amData(cfg, keys, ueAmbr), state) },
    {
      name: 'smf-selection-subscription-data',
      path: `${base}/subscription-data/${ue}/${plmn}/provisioned-data/smf-selection-subscription-data`,
      body: withOdb(smfSelection(cfg), state),
    },
    { name: 'sm-data', path: `${base}/subscription-data/${ue}/${plmn}/provisioned-data/sm-data`, body: smData(cfg, o) },
    ...policyWrites(cfg, o, keys.supi, state),
  ]
}

export function policyWrites(cfg: MvnoConfig, o: Offering, supi: string, state: SubscriberState): UdrWrite[] {
  const ue = encodeURIComponent(supi)
  const base = '/nudr-dr/v2'
  return [
    { name: 'policy-am-data', path: `${base}/policy-data/ues/${ue}/am-data`, body: amPolicyData(o, state) },
    { name: 'policy-sm-data', path: `${base}/policy-data/ues/${ue}/sm-data`, body: smPolicyData(cfg, o, state) },
  ]
}

/** A suspended subscriber is barred from packet services in the UDM's data too (TS 29.571 OdbPacketServices). */
function withOdb<T extends Record<string, unknown>>(d: T, state: SubscriberState): T {
  return state === 'ACTIVE' ? d : { ...d, odbPacketServices: 'ALL_PACKET_SERVICES' }
}

export function authSubscription(keys: SubscriberKeys) {
  return {
    authenticationMethod: '5G_AKA',
    encPermanentKey: keys.k.toLowerCase(),
    encOpcKey: keys.opc.toLowerCase(),
    authenticationManagementField: '8000',
    sequenceNumber: { sqnScheme: 'NON_TIME_BASED', sqn: '000000000000', lastIndexes: { ausf: 0 } },
  }
}

export function amData(cfg: MvnoConfig, keys: SubscriberKeys, ueAmbr: { uplink: string; downlink: string }) {
  const slices = cfg.snssais.map((s) => (s.sd ? { sst: s.sst, sd: s.sd } : { sst: s.sst }))
  return {
    gpsis: [`msisdn-${keys.msisdn}`],
    subscribedUeAmbr: ueAmbr,
    nssai: { defaultSingleNssais: slices, singleNssais: slices },
  }
}

export function smfSelection(cfg: MvnoConfig) {
  const infos: Record<string, unknown> = {}
  cfg.snssais.forEach((s) => {
    infos[`${s.sst}${s.sd ? '-' + s.sd : ''}`] = { dnnInfos: cfg.dnns.map((dnn, i) => ({ dnn, defaultDnnIndicator: i === 0 })) }
  })
  return { subscribedSnssaiInfos: infos }
}

export function smData(cfg: MvnoConfig, o: Offering) {
  const n = o.policy.normal
  return cfg.snssais.map((s) => ({
    singleNssai: s.sd ? { sst: s.sst, sd: s.sd } : { sst: s.sst },
    dnnConfigurations: Object.fromEntries(
      cfg.dnns.map((dnn) => [
        dnn,
        {
          pduSessionTypes: { defaultSessionType: 'IPV4', allowedSessionTypes: ['IPV4', 'IPV6', 'IPV4V6'] },
          sscModes: { defaultSscMode: 'SSC_MODE_1', allowedSscModes: ['SSC_MODE_1'] },
          '5gQosProfile': { '5qi': n.fiveQi, arp: ARP(n.arpPriorityLevel ?? 8), priorityLevel: 8 },
          sessionAmbr: { uplink: n.ambrUl, downlink: n.ambrDl },
        },
      ]),
    ),
  }))
}

export function policyProfileOf(o: Offering) {
  const n = o.policy.normal
  const ex = o.policy.exhausted
  const rg = o.allowances?.find((a) => a.unit === 'VOLUME')?.ratingGroup ?? o.tariffs?.find((t) => t.unit === 'VOLUME')?.ratingGroup
  const fua = o.policy.finalUnitAction
  return {
    profileId: `${o.id}@${o.version}`,
    sessAmbr: { uplink: n.ambrUl, downlink: n.ambrDl },
    fiveQi: n.fiveQi,
    arp: { priorityLevel: n.arpPriorityLevel ?? 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' },
    ...(rg !== undefined ? { ratingGroup: rg } : {}),
    meteringMethod: 'VOLUME',
    policyCounterIds: ['data-allowance'],
    exhaustedStatuses: ['exhausted'],
    ...(ex
      ? { afterExhaustion: { action: 'THROTTLE', sessAmbr: { uplink: ex.ambrUl, downlink: ex.ambrDl }, fiveQi: ex.fiveQi } }
      : fua === 'REDIRECT' || fua === 'RESTRICT_ACCESS' || fua === 'TERMINATE'
        ? { afterExhaustion: { action: 'GATE', ...(o.policy.redirectUrl ? { redirectUrl: o.policy.redirectUrl } : {}) } }
        : {}),
  }
}

export function smPolicyData(cfg: MvnoConfig, o: Offering, state: SubscriberState) {
  const profile = policyProfileOf(o)
  const snssaiData: Record<string, unknown> = {}
  for (const s of cfg.snssais) {
    snssaiData[snssaiKeyF5(s)] = {
      snssai: s.sd ? { sst: s.sst, sd: s.sd } : { sst: s.sst },
      smPolicyDnnData: Object.fromEntries(
        cfg.dnns.map((dnn) => [escapeDnn(dnn), { dnn, online: o.paymentType === 'prepaid', offline: o.paymentType === 'postpaid', subscSpendingLimits: true, mvnoPolicyProfile: profile }]),
      ),
    }
  }
  return { smPolicySnssaiData: snssaiData, mvnoSubscriberState: state }
}

export function amPolicyData(o: Offering, state: SubscriberState) {
  return {
    subscCats: [o.id],
    mvnoSubscriberState: state,
    mvnoAmPolicy: { ueAmbr: { uplink: o.policy.normal.ambrUl, downlink: o.policy.normal.ambrDl } },
  }
}

/**
 * Proration of a plan change at `at` within the current period [periodStart, periodEnd): credit for
 * the unused part of the old recurring charge, charge for the rest of the period on the new one.
 * Returns minor units (positive = the subscriber owes).
 */
export function prorate(oldPlan: Offering, newPlan: Offering, periodStart: Date, periodEnd: Date, at: Date): { credit: number; charge: number } {
  if ((newPlan.proration ?? 'daily') === 'none') return { credit: 0, charge: 0 }
  const total = periodEnd.getTime() - periodStart.getTime()
  if (total <= 0) return { credit: 0, charge: 0 }
  const left = Math.max(0, Math.min(total, periodEnd.getTime() - at.getTime())) / total
  const credit = Math.round((oldPlan.recurringCharge?.amount ?? 0) * left)
  const charge = Math.round((newPlan.recurringCharge?.amount ?? 0) * left)
  return { credit, charge }
}
