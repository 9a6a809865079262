/**
 * Provisioning targets for labs that keep their own subscriber store (INTEROP §3, §5 item 12):
 * - Open5GS: one `subscribers` document per UE with the exact BSON types its C code reads (int32
 *   numbers, int64 `security.sqn`, digits-only `imsi`), written with the MongoDB driver.
 * - free5GC: the webconsole's collections (`subscriptionData.*`, `policyData.*`), numbers as BSON
 *   doubles, written through our store port (a MongoDB store opened on free5GC's database).
 */
import { Int32, Long, MongoClient, type Db } from 'mongodb'
import type { MvnoConfig } from '../config/schema.ts'
import type { DocumentStore } from '../store/port.ts'
import { amData, amPolicyData, escapeDnn, smData, smfSelection, smPolicyData } from './domain/plan.ts'
import type { Offering } from './store.ts'

export interface LabSubscriber {
  imsi: string
  msisdn?: string
  k: string
  opc: string
  plan: Offering
}

/** "100 Mbps" → Open5GS {value, unit} (unit 0 bps … 4 Tbps), int32. */
export function o5Bitrate(s: string): { value: Int32; unit: Int32 } {
  const m = /^(\d+(?:\.\d+)?) ?(bps|Kbps|Mbps|Gbps|Tbps)$/.exec(s.trim())
  if (!m) throw new Error(`bad bitrate ${s}`)
  const units = ['bps', 'Kbps', 'Mbps', 'Gbps', 'Tbps']
  let value = Number(m[1])
  let unit = units.indexOf(m[2]!)
  while (!Number.isInteger(value) && unit > 0) {
    value *= 1000
    unit--
  }
  return { value: new Int32(Math.round(value)), unit: new Int32(unit) }
}

const i32 = (n: number) => new Int32(n)

export function open5gsSubscriber(cfg: MvnoConfig, s: LabSubscriber): Record<string, unknown> {
  if (!/^\d{5,15}$/.test(s.imsi)) throw new Error(`imsi must be digits only, got ${s.imsi}`)
  const n = s.plan.policy.normal
  const ambr = { downlink: o5Bitrate(n.ambrDl), uplink: o5Bitrate(n.ambrUl) }
  const arp = { priority_level: i32(n.arpPriorityLevel ?? 8), pre_emption_capability: i32(1), pre_emption_vulnerability: i32(1) }
  return {
    schema_version: i32(1),
    imsi: s.imsi,
    msisdn: s.msisdn ? [s.msisdn] : [],
    imeisv: [],
    mme_host: [],
    mme_realm: [],
    purge_flag: [],
    security: { k: s.k.toLowerCase(), opc: s.opc.toLowerCase(), op: null, amf: '8000', sqn: Long.fromNumber(0) },
    ambr,
    slice: cfg.snssais.map((sn, i) => ({
      sst: i32(sn.sst),
      ...(sn.sd ? { sd: sn.sd } : {}),
      default_indicator: i === 0,
      session: cfg.dnns.map((dnn) => ({
        name: dnn,
        type: i32(3),
        qos: { index: i32(n.fiveQi), arp },
        ambr,
        pcc_rule: [],
      })),
    })),
    access_restriction_data: i32(32),
    subscriber_status: i32(0),
    operator_determined_barring: i32(0),
    network_access_mode: i32(0),
    subscribed_rau_tau_timer: i32(12),
    __v: i32(0),
  }
}

export class Open5gsWriter {
  private constructor(
    private client: MongoClient,
    readonly db: Db,
  ) {}
  static async open(uri: string, dbName = 'open5gs'): Promise<Open5gsWriter> {
    const client = await MongoClient.connect(uri)
    const w = new Open5gsWriter(client, client.db(dbName))
    await w.db.collection('subscribers').createIndex({ imsi: 1 }, { unique: true }).catch(() => undefined)
    return w
  }
  /** Upserts by imsi (a re-run rewrites the same document; the SQN of an existing UE is kept). */
  async write(cfg: MvnoConfig, s: LabSubscriber): Promise<void> {
    const doc = open5gsSubscriber(cfg, s)
    const { security, ...rest } = doc as { security: Record<string, unknown> }
    const { sqn, ...sec } = security
    await this.db.collection('subscribers').updateOne(
      { imsi: s.imsi },
      { $set: { ...rest, 'security.k': sec.k, 'security.opc': sec.opc, 'security.op': sec.op, 'security.amf': sec.amf }, $setOnInsert: { 'security.sqn': sqn } },
      { upsert: true },
    )
  }
  async close(): Promise<void> {
    await this.client.close()
  }
}

/** free5GC's collections for one UE: collection name → (filter, document). */
export function free5gcDocuments(cfg: MvnoConfig, s: LabSubscriber): { collection: string; filter: Record<string, unknown>; doc: Record<string, unknown> }[] {
  const ueId = `imsi-${s.imsi}`
  const servingPlmnId = cfg.plmn.mcc + cfg.plmn.mnc
  const keys = { supi: ueId, msisdn: s.msisdn ?? '', k: s.k, opc: s.opc }
  const n = s.plan.policy.normal
  const out: { collection: string; filter: Record<string, unknown>; doc: Record<string, unknown> }[] = [
    {
      collection: 'subscriptionData.authenticationData.authenticationSubscription',
      filter: { ueId },
      doc: {
        ueId,
        authenticationMethod: '5G_AKA',
        encPermanentKey: s.k.toLowerCase(),
        encOpcKey: s.opc.toLowerCase(),
        authenticationManagementField: '8000',
        sequenceNumber: { sqnScheme: 'GENERAL', sqn: '000000000000', lastIndexes: { ausf: 0 } },
      },
    },
    { collection: 'subscriptionData.provisionedData.amData', filter: { ueId, servingPlmnId }, doc: { ueId, servingPlmnId, ...amData(cfg, keys, { uplink: n.ambrUl, downlink: n.ambrDl }) } },
    { collection: 'subscriptionData.provisionedData.smfSelectionSubscriptionData', filter: { ueId, servingPlmnId }, doc: { ueId, servingPlmnId, ...f5SmfSelection(cfg) } },
    { collection: 'policyData.ues.amData', filter: { ueId }, doc: { ueId, ...amPolicyData(s.plan, 'ACTIVE') } },
    { collection: 'policyData.ues.smData', filter: { ueId }, doc: { ueId, ...smPolicyData(cfg, s.plan, 'ACTIVE') } },
  ]
  if (s.msisdn) out.push({ collection: 'subscriptionData.identityData', filter: { ueId }, doc: { ueId, gpsi: `msisdn-${s.msisdn}` } })
  for (const sm of smData(cfg, s.plan)) {
    const dnnConfigurations = Object.fromEntries(Object.entries(sm.dnnConfigurations).map(([k, v]) => [escapeDnn(k), v]))
    const filter = { ueId, servingPlmnId, 'singleNssai.sst': sm.singleNssai.sst, ...(sm.singleNssai.sd ? { 'singleNssai.sd': sm.singleNssai.sd } : {}) }
    out.push({ collection: 'subscriptionData.provisionedData.smData', filter, doc: { ueId, servingPlmnId, singleNssai: sm.singleNssai, dnnConfigurations } })
  }
  return out
}

/** free5GC keys smf-selection infos by the 8-hex S-NSSAI ("01010203"). */
function f5SmfSelection(cfg: MvnoConfig) {
  const std = smfSelection(cfg).subscribedSnssaiInfos as Record<string, unknown>
  const out: Record<string, unknown> = {}
  cfg.snssais.forEach((sn, i) => {
    out[sn.sst.toString(16).padStart(2, '0') + (sn.sd ?? '')] = Object.values(std)[i]
  })
  return { subscribedSnssaiInfos: out }
}

export async function writeFree5gc(store: DocumentStore, cfg: MvnoConfig, s: LabSubscriber): Promise<void> {
  for (const d of free5gcDocuments(cfg, s)) {
    await store.collection(d.collection, { bsonNumbers: 'double' }).replaceOne(d.filter, d.doc, { upsert: true })
  }
}
