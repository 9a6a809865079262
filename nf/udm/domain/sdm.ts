/**
 * Pure SDM/UECM logic in TS 29.503 terms: the shapes free5GC's and Open5GS's AMF/SMF read
 * (INTEROP §0.11, §1.4, §7), with no I/O.
 */

export interface Snssai {
  sst: number
  sd?: string
}
export interface PlmnId {
  mcc: string
  mnc: string
}

/** `"01010203"` (free5GC, hex SST + SD) and `"1-010203"` (Open5GS, decimal SST - SD). */
export function snssaiKeys(s: Snssai): string[] {
  const f5 = s.sst.toString(16).padStart(2, '0') + (s.sd ? s.sd.toLowerCase() : '')
  const o5 = s.sd ? `${s.sst}-${s.sd.toLowerCase()}` : String(s.sst)
  return f5 === o5 ? [f5] : [f5, o5]
}

/** Either key form → S-NSSAI. */
export function parseSnssaiKey(key: string): Snssai | undefined {
  let m = /^(\d{1,3})(?:-([0-9a-fA-F]{6}))?$/.exec(key)
  if (m && !/^[0-9a-fA-F]{2}$/.test(key)) return m[2] ? { sst: Number(m[1]), sd: m[2].toLowerCase() } : { sst: Number(m[1]) }
  m = /^([0-9a-fA-F]{2})([0-9a-fA-F]{6})?$/.exec(key)
  if (m) return m[2] ? { sst: parseInt(m[1], 16), sd: m[2].toLowerCase() } : { sst: parseInt(m[1], 16) }
  return undefined
}

/**
 * SmfSelectionSubscriptionData with every `subscribedSnssaiInfos` entry under both key forms, whichever
 * form was stored (INTEROP §0.11: emitting both is harmless to each).
 */
export function smfSelectDataBothKeys(d: Record<string, unknown>): Record<string, unknown> {
  const infos = (d.subscribedSnssaiInfos ?? {}) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(infos)) {
    const s = parseSnssaiKey(k)
    if (!s) {
      out[k] = v
      continue
    }
    for (const key of snssaiKeys(s)) out[key] ??= v
  }
  return { ...d, subscribedSnssaiInfos: out }
}

function sameSnssai(a: Snssai | undefined, b: Snssai): boolean {
  if (!a) return false
  if (Number(a.sst) !== Number(b.sst)) return false
  return b.sd === undefined || (a.sd ?? '').toLowerCase() === b.sd.toLowerCase()
}

/**
 * sm-data list, best match first: free5GC's SMF uses element [0] and Open5GS's reads [0] too (INTEROP §7.3).
 * Entries of the asked slice that have the asked DNN come first, then the slice, then the rest dropped
 * when a filter was given.
 */
export function orderSmData(list: Record<string, unknown>[], f: { singleNssai?: Snssai; dnn?: string }): Record<string, unknown>[] {
  const hasDnn = (x: Record<string, unknown>) =>
    !f.dnn || Object.keys((x.dnnConfigurations as object) ?? {}).some((k) => k.toLowerCase() === f.dnn!.toLowerCase())
  const inSlice = (x: Record<string, unknown>) => !f.singleNssai || sameSnssai(x.singleNssai as Snssai, f.singleNssai)
  return list.filter((x) => inSlice(x) && hasDnn(x)).sort((a, b) => {
    const score = (x: Record<string, unknown>) => (f.singleNssai && (x.singleNssai as Snssai)?.sd === f.singleNssai.sd ? 0 : 1)
    return score(a) - score(b)
  })
}

/** Nssai out of AccessAndMobilitySubscriptionData. */
export function nssaiOf(am: Record<string, unknown>): Record<string, unknown> | undefined {
  const n = am.nssai as Record<string, unknown> | undefined
  return n && Array.isArray(n.defaultSingleNssais) ? n : undefined
}

/** UeContextInSmfData from the stored SMF registrations (TS 29.503 §6.1.6.2.13). */
export function ueContextInSmfData(regs: Record<string, unknown>[]): Record<string, unknown> {
  const pduSessions: Record<string, unknown> = {}
  for (const r of regs) {
    const s: Record<string, unknown> = { dnn: r.dnn, smfInstanceId: r.smfInstanceId, plmnId: r.plmnId }
    if (r.singleNssai) s.singleNssai = r.singleNssai
    pduSessions[String(r.pduSessionId)] = s
  }
  return Object.keys(pduSessions).length ? { pduSessions } : {}
}

/** TS 29.503 DataSetName values we can serve in the multiple-data-sets GET. */
export const DATASET_NAMES = ['AM', 'SMF_SEL', 'UEC_SMF', 'UEC_AMF', 'SM', 'TRACE', 'SMS_SUB', 'SMS_MNG', 'UEC_SMSF', 'LCS_PRIVACY', 'LCS_MO', 'V2X', 'LCS_BCA', 'PROSE', 'UC', 'MBS'] as const

export function parseDatasetNames(raw: string | string[] | undefined): string[] {
  const list = (Array.isArray(raw) ? raw : [raw ?? ''])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
  return [...new Set(list)]
}

/**
 * Maps a UDR resource (from a DataChangeNotify) to the SDM resource a consumer monitors, relative as
 * Open5GS's AMF requires (`"{supi}/am-data"`, INTEROP §7.6).
 */
export function sdmResourceOf(udrResourceUri: string, supi: string): string | undefined {
  const p = udrResourceUri.split('?')[0]
  if (/\/provisioned-data\/am-data$/.test(p)) return `${supi}/am-data`
  if (/\/provisioned-data\/smf-selection-subscription-data$/.test(p)) return `${supi}/smf-select-data`
  if (/\/provisioned-data\/sm-data$/.test(p)) return `${supi}/sm-data`
  if (/\/provisioned-data\/trace-data$/.test(p)) return `${supi}/trace-data`
  return undefined
}

/**
 * SDM monitoredResourceUris (relative `"{supi}/am-data"` or absolute) → Nudr_DR resources to subscribe to.
 * A consumer that names none (free5GC) is not notified at all, since it also gives no callback.
 */
export function udrResourcesFor(monitored: string[], supi: string, servingPlmnId: string): string[] {
  const base = `/subscription-data/${encodeURIComponent(supi)}/${servingPlmnId}/provisioned-data`
  const out = new Set<string>()
  for (const m of monitored) {
    const tail = m.replace(/^.*\/nudm-sdm\/v\d+\//, '').split('?')[0]
    const seg = tail.split('/').slice(1)
    const what = seg[0]
    if (what === undefined || what === '') out.add(base)
    else if (what === 'am-data' || what === 'nssai') out.add(`${base}/am-data`)
    else if (what === 'smf-select-data') out.add(`${base}/smf-selection-subscription-data`)
    else if (what === 'sm-data') out.add(`${base}/sm-data`)
    else if (what === 'trace-data') out.add(`${base}/trace-data`)
  }
  return [...out]
}

/** Picks how a consumer wrote its monitored URI for a resource, so the notification names it the same way. */
export function resourceIdFor(monitored: string[] | undefined, sdmResource: string): string {
  const tail = sdmResource.split('/').slice(1).join('/')
  const hit = (monitored ?? []).find((m) => m.split('?')[0].endsWith('/' + tail))
  return hit && !/^https?:/.test(hit) ? hit : sdmResource
}

export function sameGuami(a: unknown, b: unknown): boolean {
  const x = a as { plmnId?: PlmnId; amfId?: string } | undefined
  const y = b as { plmnId?: PlmnId; amfId?: string } | undefined
  if (!x || !y) return false
  return (
    x.plmnId?.mcc === y.plmnId?.mcc &&
    x.plmnId?.mnc === y.plmnId?.mnc &&
    String(x.amfId ?? '').toLowerCase() === String(y.amfId ?? '').toLowerCase()
  )
}

/**
 * DeregistrationData for the AMF that held the registration when another AMF registers (TS 29.503
 * §5.3.2.2.2). Open5GS's AMF rejects it without `accessType` (INTEROP §7.8).
 */
export function deregistrationFor(newReg: Record<string, unknown>): { deregReason: string; accessType: '3GPP_ACCESS' } {
  return {
    deregReason: newReg.initialRegistrationInd === true ? 'UE_INITIAL_REGISTRATION' : 'UE_REGISTRATION_AREA_CHANGE',
    accessType: '3GPP_ACCESS',
  }
}

/** `{"mcc":"999","mnc":"70"}` → `"99970"`, the servingPlmnId of Nudr_DR paths. */
export function plmnIdString(p: PlmnId): string {
  return `${p.mcc}${p.mnc}`
}

/**
 * TS 29.503 SdmSubscription.uniqueSubscription: an earlier subscription of the same NF instance, callback and
 * monitored resources is replaced rather than duplicated (Open5GS's SMF subscribes once per PDU session).
 */
export function isSameSubscription(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const uris = (x: Record<string, unknown>) => JSON.stringify([...((x.monitoredResourceUris as string[]) ?? [])].sort())
  return a.nfInstanceId === b.nfInstanceId && a.callbackReference === b.callbackReference && uris(a) === uris(b)
}
