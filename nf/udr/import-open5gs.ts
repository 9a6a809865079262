/**
 * Importer from Open5GS's `subscribers` collection (INTEROP §3.2; webui/server/models/subscriber.js) into our
 * UDR. Open5GS writes numbers as int32 and `security.sqn` as int64, `imsi` as digits only, and ambr units as
 * 0=bps … 4=Tbps. ARP pre-emption values 1/2 map to the TS 29.571 enums; anything else makes the
 * subscriber an error rather than data that would crash an Open5GS SMF later (INTEROP §7.7).
 */
import { MongoClient } from 'mongodb'
import type { UdrStore } from './store.ts'
import { databaseInUri } from '../../store/index.ts'
import { opcFromOp } from './domain/secrets.ts'
import { snssaiKeyF5, type Snssai } from './domain/subscription.ts'

export interface ImportResult {
  imported: number
  skipped: number
  errors: { imsi?: string; error: string }[]
}

export interface ImportOptions {
  uri: string
  dbName?: string
  udrStore: UdrStore
  /** Serving PLMN id the provisioned data is stored under; default the first 5 digits of the IMSI. */
  servingPlmnId?: string
  /** Subscribers that already have an authentication subscription are skipped unless true. */
  overwrite?: boolean
}

/** int32 / int64 (bson Long, bigint) / double → number. */
export function toNum(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (v && typeof v === 'object') {
    const o = v as { toNumber?: () => number; valueOf?: () => unknown }
    if (typeof o.toNumber === 'function') return o.toNumber()
    const p = o.valueOf?.()
    if (typeof p === 'number') return p
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  return undefined
}

const UNITS = ['bps', 'Kbps', 'Mbps', 'Gbps', 'Tbps']

/** `{value, unit}` → TS 29.571 BitRate string ("1 Gbps"). */
export function bitRate(b: unknown): string | undefined {
  if (!b || typeof b !== 'object') return undefined
  const o = b as { value?: unknown; unit?: unknown }
  const value = toNum(o.value)
  const unit = toNum(o.unit) ?? 0
  if (value === undefined || !UNITS[unit]) return undefined
  return `${value} ${UNITS[unit]}`
}

const SESSION_TYPES: Record<number, string> = { 1: 'IPV4', 2: 'IPV6', 3: 'IPV4V6' }
const PREEMPT_CAP: Record<number, string> = { 1: 'NOT_PREEMPT', 2: 'MAY_PREEMPT' }
const PREEMPT_VULN: Record<number, string> = { 1: 'NOT_PREEMPTABLE', 2: 'PREEMPTABLE' }

export interface MappedSubscriber {
  supi: string
  auth: Record<string, unknown>
  amData: Record<string, unknown>
  smfSelData: Record<string, unknown>
  smData: Record<string, unknown>[]
  policySmData: Record<string, unknown>
}

/** One Open5GS subscriber document → our data sets. Throws with a reason when it cannot be imported. */
export function mapOpen5gsSubscriber(doc: Record<string, unknown>): MappedSubscriber {
  const imsi = String(doc.imsi ?? '')
  if (!/^\d{5,15}$/.test(imsi)) throw new Error('imsi must be 5-15 digits')
  const supi = `imsi-${imsi}`
  const sec = (doc.security ?? {}) as Record<string, unknown>
  const k = typeof sec.k === 'string' ? sec.k.replace(/\s/g, '').toLowerCase() : ''
  if (!/^[0-9a-f]{32}$/.test(k)) throw new Error('security.k must be 32 hex digits')
  let opc = typeof sec.opc === 'string' ? sec.opc.replace(/\s/g, '').toLowerCase() : ''
  const op = typeof sec.op === 'string' ? sec.op.replace(/\s/g, '').toLowerCase() : ''
  if (!opc && /^[0-9a-f]{32}$/.test(op)) opc = opcFromOp(k, op)
  if (!/^[0-9a-f]{32}$/.test(opc)) throw new Error('security.opc or security.op must be 32 hex digits')
  const sqn = toNum(sec.sqn) ?? 0
  const amf = typeof sec.amf === 'string' && /^[0-9a-fA-F]{4}$/.test(sec.amf) ? sec.amf.toLowerCase() : '8000'
  const auth = {
    authenticationMethod: '5G_AKA',
    encPermanentKey: k,
    encOpcKey: opc,
    authenticationManagementField: amf,
    sequenceNumber: { sqnScheme: 'NON_TIME_BASED', sqn: (BigInt(Math.max(0, Math.floor(sqn))) & 0xffffffffffffn).toString(16).padStart(12, '0') },
  }

  const ambr = (doc.ambr ?? {}) as Record<string, unknown>
  const msisdns = Array.isArray(doc.msisdn) ? doc.msisdn.filter((m): m is string => typeof m === 'string' && m !== '') : []
  const slices = Array.isArray(doc.slice) ? (doc.slice as Record<string, unknown>[]) : []
  const defaults: Snssai[] = []
  const others: Snssai[] = []
  const smfSelInfos: Record<string, unknown> = {}
  const smData: Record<string, unknown>[] = []
  const policySnssai: Record<string, unknown> = {}
  slices.forEach((sl, si) => {
    const sst = toNum(sl.sst)
    if (sst === undefined || sst < 0 || sst > 255) throw new Error(`slice[${si}].sst must be 0..255`)
    const snssai: Snssai = typeof sl.sd === 'string' && /^[0-9a-fA-F]{6}$/.test(sl.sd) ? { sst, sd: sl.sd.toLowerCase() } : { sst }
    ;(sl.default_indicator === true ? defaults : others).push(snssai)
    const sessions = Array.isArray(sl.session) ? (sl.session as Record<string, unknown>[]) : []
    const dnnConfigurations: Record<string, unknown> = {}
    const dnnInfos: Record<string, unknown>[] = []
    const dnnPolicy: Record<string, unknown> = {}
    sessions.forEach((s, i) => {
      const dnn = String(s.name ?? '')
      if (!dnn) throw new Error(`slice[${si}].session[${i}].name is missing`)
      const type = SESSION_TYPES[toNum(s.type) ?? 1] ?? 'IPV4'
      const qos = (s.qos ?? {}) as Record<string, unknown>
      const arp = (qos.arp ?? {}) as Record<string, unknown>
      const cap = PREEMPT_CAP[toNum(arp.pre_emption_capability) ?? 1]
      const vuln = PREEMPT_VULN[toNum(arp.pre_emption_vulnerability) ?? 1]
      if (!cap || !vuln) throw new Error(`slice[${si}].session[${i}] (${dnn}): ARP pre-emption values must be 1 or 2`)
      const priorityLevel = toNum(arp.priority_level) ?? 8
      if (priorityLevel < 1 || priorityLevel > 15) throw new Error(`slice[${si}].session[${i}] (${dnn}): ARP priority_level must be 1..15`)
      const sessAmbr = (s.ambr ?? {}) as Record<string, unknown>
      const conf: Record<string, unknown> = {
        pduSessionTypes: { defaultSessionType: type, allowedSessionTypes: type === 'IPV4V6' ? ['IPV4V6', 'IPV4', 'IPV6'] : [type] },
        sscModes: { defaultSscMode: 'SSC_MODE_1', allowedSscModes: ['SSC_MODE_1', 'SSC_MODE_2', 'SSC_MODE_3'] },
        '5gQosProfile': {
          '5qi': toNum(qos.index) ?? 9,
          arp: { priorityLevel, preemptCap: cap, preemptVuln: vuln },
          priorityLevel,
        },
        sessionAmbr: { uplink: bitRate(sessAmbr.uplink) ?? '1 Gbps', downlink: bitRate(sessAmbr.downlink) ?? '1 Gbps' },
      }
      const ue = (s.ue ?? {}) as Record<string, unknown>
      const ips: Record<string, string>[] = []
      if (typeof ue.ipv4 === 'string' && ue.ipv4) ips.push({ ipv4Addr: ue.ipv4 })
      if (typeof ue.ipv6 === 'string' && ue.ipv6) ips.push({ ipv6Prefix: ue.ipv6.includes('/') ? ue.ipv6 : `${ue.ipv6}/64` })
      if (ips.length) conf.staticIpAddress = ips
      dnnConfigurations[dnn] = conf
      dnnInfos.push(i === 0 ? { dnn, defaultDnnIndicator: true } : { dnn })
      dnnPolicy[dnn] = { dnn }
    })
    const key = snssaiKeyF5(snssai)
    smfSelInfos[key] = { dnnInfos }
    smData.push({ singleNssai: snssai, dnnConfigurations })
    policySnssai[key] = { snssai, smPolicyDnnData: dnnPolicy }
  })
  if (defaults.length === 0 && others.length > 0) defaults.push(others.shift()!)

  const amData: Record<string, unknown> = {
    subscribedUeAmbr: { uplink: bitRate(ambr.uplink) ?? '1 Gbps', downlink: bitRate(ambr.downlink) ?? '1 Gbps' },
    nssai: others.length ? { defaultSingleNssais: defaults, singleNssais: others } : { defaultSingleNssais: defaults },
  }
  if (msisdns.length) amData.gpsis = msisdns.map((m) => `msisdn-${m}`)
  return { supi, auth, amData, smfSelData: { subscribedSnssaiInfos: smfSelInfos }, smData, policySmData: { smPolicySnssaiData: policySnssai } }
}

/** Writes already-read Open5GS documents through the UDR repository (testable without MongoDB). */
export async function importOpen5gsDocs(
  docs: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>,
  o: Omit<ImportOptions, 'uri' | 'dbName'>,
): Promise<ImportResult> {
  const res: ImportResult = { imported: 0, skipped: 0, errors: [] }
  for await (const doc of docs) {
    const imsi = typeof doc.imsi === 'string' ? doc.imsi : undefined
    let m: MappedSubscriber
    try {
      m = mapOpen5gsSubscriber(doc)
    } catch (err) {
      res.errors.push({ imsi, error: (err as Error).message })
      continue
    }
    try {
      if (!o.overwrite && (await o.udrStore.ueExists(m.supi))) {
        res.skipped++
        continue
      }
      const plmn = o.servingPlmnId ?? m.supi.slice(5, 10)
      await o.udrStore.putAuthSubscription(m.supi, m.auth)
      await o.udrStore.put('amData', { ueId: m.supi, servingPlmnId: plmn }, m.amData)
      await o.udrStore.put('smfSelData', { ueId: m.supi, servingPlmnId: plmn }, m.smfSelData)
      await o.udrStore.putSmData(m.supi, plmn, m.smData)
      await o.udrStore.put('policySmData', { ueId: m.supi }, m.policySmData)
      res.imported++
    } catch (err) {
      res.errors.push({ imsi, error: (err as Error).message })
    }
  }
  return res
}

/** Reads `subscribers` from Open5GS's MongoDB (`mongodb://localhost/open5gs`) and imports every document. */
export async function importOpen5gsSubscribers(o: ImportOptions): Promise<ImportResult> {
  const client = new MongoClient(o.uri, { serverSelectionTimeoutMS: 5000 })
  await client.connect()
  try {
    const db = client.db(o.dbName ?? databaseInUri(o.uri) ?? 'open5gs')
    const cursor = db.collection('subscribers').find({}, { promoteLongs: false })
    return await importOpen5gsDocs(cursor as AsyncIterable<Record<string, unknown>>, o)
  } finally {
    await client.close()
  }
}
