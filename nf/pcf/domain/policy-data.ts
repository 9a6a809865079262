/**
 * Reading TS 29.519 policy-data: find the SmPolicyDnnData of a session's slice and DNN, the plan's
 * policy profile (vendor extension `mvnoPolicyProfile`) and the subscriber's lifecycle state
 * (vendor extension `mvnoSubscriberState`). The representation is documented in nf/pcf/README.md.
 */
import type { PolicyProfile, SmPolicyData, SmPolicyDnnData, Snssai, SubscriberState } from './types.ts'

function normSd(sd: unknown): string | undefined {
  return typeof sd === 'string' && sd !== '' && sd.toLowerCase() !== 'ffffff' ? sd.toLowerCase() : undefined
}

/** Parses the map keys peers use for an S-NSSAI: "1-010203" (TS 29.571 style, Open5GS), "01010203" (free5GC), "1". */
export function parseSnssaiKey(key: string): Snssai | undefined {
  let m = /^(\d{1,3})(?:-([0-9a-fA-F]{6}))?$/.exec(key)
  if (m) return m[2] ? { sst: Number(m[1]), sd: m[2].toLowerCase() } : { sst: Number(m[1]) }
  m = /^([0-9a-fA-F]{2})([0-9a-fA-F]{6})?$/.exec(key)
  if (m) return m[2] ? { sst: parseInt(m[1]!, 16), sd: m[2].toLowerCase() } : { sst: parseInt(m[1]!, 16) }
  return undefined
}

export function sameSnssai(a: Snssai | undefined, b: Snssai | undefined): boolean {
  return !!a && !!b && Number(a.sst) === Number(b.sst) && normSd(a.sd) === normSd(b.sd)
}

/**
 * The DNN without an operator identifier: Open5GS's SMF appends ".mncXXX.mccYYY.gprs" when the UE
 * roams in. Compared case-insensitively (DNNs are case-insensitive, TS 23.003 §9.1).
 */
export function dnnNetworkId(dnn: string): string {
  return dnn.replace(/\.mnc\d{3}\.mcc\d{3}\.gprs$/i, '').toLowerCase()
}

/**
 * The SmPolicyDnnData for (slice, dnn): an exact S-NSSAI match first, then an entry of the same SST
 * without SD (a slice-wide entry). Map keys and the `snssai`/`dnn` members are both honoured.
 */
export function findSmPolicyDnnData(data: SmPolicyData | undefined, slice: Snssai, dnn: string): SmPolicyDnnData | undefined {
  if (!data?.smPolicySnssaiData || typeof data.smPolicySnssaiData !== 'object') return undefined
  const want = dnnNetworkId(dnn)
  const entries = Object.entries(data.smPolicySnssaiData).map(([key, v]) => ({ snssai: v?.snssai ?? parseSnssaiKey(key), v }))
  const exact = entries.filter((e) => sameSnssai(e.snssai, slice))
  const sstOnly = entries.filter((e) => e.snssai && Number(e.snssai.sst) === Number(slice.sst) && normSd(e.snssai.sd) === undefined)
  for (const e of [...exact, ...sstOnly]) {
    const dnns = e.v?.smPolicyDnnData ?? {}
    for (const [key, d] of Object.entries(dnns)) {
      if (!d) continue
      const name = typeof d.dnn === 'string' ? d.dnn : key
      if (dnnNetworkId(name) === want || dnnNetworkId(key.replace(/_/g, '.')) === want) return d
    }
  }
  return undefined
}

/** The subscriber's lifecycle state (ACTIVE when policy-data does not say). */
export function subscriberState(data: { mvnoSubscriberState?: unknown } | undefined): SubscriberState {
  const s = data?.mvnoSubscriberState
  return s === 'SUSPENDED' || s === 'TERMINATED' ? s : 'ACTIVE'
}

/** True when policy-data bars the subscriber from data service (suspended or terminated). */
export function isBarred(data: { mvnoSubscriberState?: unknown } | undefined): boolean {
  return subscriberState(data) !== 'ACTIVE'
}

/** The plan's policy profile of a DNN entry ({} when the BSS wrote none). */
export function policyProfileOf(dnnData: SmPolicyDnnData | undefined): PolicyProfile {
  const p = dnnData?.mvnoPolicyProfile
  return p && typeof p === 'object' ? p : {}
}

/** Policy counters the PCF subscribes to at the CHF for this DNN entry (none unless the plan names some). */
export function policyCounterIdsOf(dnnData: SmPolicyDnnData | undefined): string[] {
  if (dnnData?.subscSpendingLimits === false) return []
  const ids = policyProfileOf(dnnData).policyCounterIds
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string' && x !== '') : []
}
