/**
 * Pure helpers in TS 29.505 / 29.519 terms: S-NSSAI keys, DNN key escaping (free5GC's layout), ARP checks.
 */

export interface Snssai {
  sst: number
  sd?: string
}

/** free5GC's S-NSSAI key: `%02x` of the SST followed by the SD (`"01010203"`, or `"01"` without SD). */
export function snssaiKeyF5(s: Snssai): string {
  return s.sst.toString(16).padStart(2, '0') + (s.sd ? s.sd.toLowerCase() : '')
}

/** Open5GS's S-NSSAI key: decimal SST, a dash, the SD (`"1-010203"`, or `"1"` without SD). */
export function snssaiKeyO5(s: Snssai): string {
  return s.sd ? `${s.sst}-${s.sd.toLowerCase()}` : String(s.sst)
}

/** Parses either key form back to an S-NSSAI; undefined when it is neither. */
export function parseSnssaiKey(key: string): Snssai | undefined {
  let m = /^(\d{1,3})(?:-([0-9a-fA-F]{6}))?$/.exec(key)
  if (m) return m[2] ? { sst: Number(m[1]), sd: m[2].toLowerCase() } : { sst: Number(m[1]) }
  m = /^([0-9a-fA-F]{2})([0-9a-fA-F]{6})?$/.exec(key)
  if (m) return m[2] ? { sst: parseInt(m[1], 16), sd: m[2].toLowerCase() } : { sst: parseInt(m[1], 16) }
  return undefined
}

export function snssaiEquals(a: Snssai | undefined, b: Snssai | undefined): boolean {
  if (!a || !b) return false
  return Number(a.sst) === Number(b.sst) && (a.sd ?? '').toLowerCase() === (b.sd ?? '').toLowerCase()
}

/** free5GC stores DNN map keys with `.` escaped as `_` (udr util EscapeDnn), since Mongo keys cannot hold dots. */
export const escapeDnn = (dnn: string) => dnn.replace(/\./g, '_')
export const unescapeDnn = (key: string) => key.replace(/_/g, '.')

export function mapKeys(obj: unknown, f: (k: string) => string): Record<string, unknown> | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined
  return Object.fromEntries(Object.entries(obj as Record<string, unknown>).map(([k, v]) => [f(k), v]))
}

/** SessionManagementSubscriptionData: DNN keys escaped for storage / unescaped for the API. */
export function smDataForStore(d: Record<string, unknown>): Record<string, unknown> {
  const out = { ...d }
  const m = mapKeys(d.dnnConfigurations, escapeDnn)
  if (m) out.dnnConfigurations = m
  return out
}
export function smDataFromStore(d: Record<string, unknown>): Record<string, unknown> {
  const out = { ...d }
  const m = mapKeys(d.dnnConfigurations, unescapeDnn)
  if (m) out.dnnConfigurations = m
  return out
}

/** SmPolicyData (TS 29.519): smPolicySnssaiData.*.smPolicyDnnData keys escaped / unescaped. */
export function smPolicyDataKeys(d: Record<string, unknown>, f: (k: string) => string): Record<string, unknown> {
  const out = { ...d }
  const snssaiData = d.smPolicySnssaiData
  if (snssaiData && typeof snssaiData === 'object') {
    out.smPolicySnssaiData = Object.fromEntries(
      Object.entries(snssaiData as Record<string, Record<string, unknown>>).map(([k, v]) => {
        const inner = v && typeof v === 'object' ? { ...v } : v
        if (inner && typeof inner === 'object') {
          const m = mapKeys((inner as Record<string, unknown>).smPolicyDnnData, f)
          if (m) (inner as Record<string, unknown>).smPolicyDnnData = m
        }
        return [k, inner]
      }),
    )
  }
  return out
}

/** TS 29.571 PreemptionCapability / PreemptionVulnerability. */
export const PREEMPT_CAP = ['NOT_PREEMPT', 'MAY_PREEMPT'] as const
export const PREEMPT_VULN = ['NOT_PREEMPTABLE', 'PREEMPTABLE'] as const

export interface InvalidField {
  param: string
  reason: string
}

/** Checks an ARP (TS 29.571 Arp): priorityLevel 1..15 and the two enums (INTEROP §7.7: a bad value crashes Open5GS's SMF). */
export function checkArp(arp: unknown, at: string): InvalidField[] {
  if (arp === undefined) return []
  if (!arp || typeof arp !== 'object') return [{ param: at, reason: 'must be an object' }]
  const a = arp as Record<string, unknown>
  const bad: InvalidField[] = []
  const pl = a.priorityLevel
  if (pl !== null && (typeof pl !== 'number' || !Number.isInteger(pl) || pl < 1 || pl > 15))
    bad.push({ param: `${at}/priorityLevel`, reason: 'integer 1..15 (or null)' })
  if (!PREEMPT_CAP.includes(a.preemptCap as never))
    bad.push({ param: `${at}/preemptCap`, reason: `one of ${PREEMPT_CAP.join(', ')}` })
  if (!PREEMPT_VULN.includes(a.preemptVuln as never))
    bad.push({ param: `${at}/preemptVuln`, reason: `one of ${PREEMPT_VULN.join(', ')}` })
  return bad
}

/** Every ARP in one SessionManagementSubscriptionData (dnnConfigurations.*.5gQosProfile.arp). */
export function checkSmData(d: unknown, at = ''): InvalidField[] {
  if (!d || typeof d !== 'object') return [{ param: at || '/', reason: 'must be an object' }]
  const sm = d as Record<string, unknown>
  const bad: InvalidField[] = []
  if (!sm.singleNssai || typeof sm.singleNssai !== 'object') bad.push({ param: `${at}/singleNssai`, reason: 'mandatory' })
  const confs = sm.dnnConfigurations
  if (confs && typeof confs === 'object') {
    for (const [dnn, c] of Object.entries(confs as Record<string, Record<string, unknown>>)) {
      const q = c?.['5gQosProfile'] as Record<string, unknown> | undefined
      if (q) bad.push(...checkArp(q.arp, `${at}/dnnConfigurations/${dnn}/5gQosProfile/arp`))
    }
  }
  return bad
}
