/**
 * A provisioned subscriber as the BSS writes it over Nudr_DR, and the optional 3GPP schema validator.
 */
import type { TestNf } from '../helpers/nf.ts'

export const SUPI = 'imsi-999700000000001'
export const PLMN = '99970'
/** TS 35.208 test set 1 (K, OPc). */
export const K = '465b5ce8b199b49faa5f0a2ee238a6bc'
export const OPC = 'cd63cb71954a9f4e48a5994e37a02baf'

export const AM_DATA = {
  gpsis: ['msisdn-0900000001'],
  subscribedUeAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' },
  nssai: { defaultSingleNssais: [{ sst: 1, sd: '010203' }], singleNssais: [{ sst: 1 }] },
}

export const SMF_SEL = {
  subscribedSnssaiInfos: {
    '01010203': { dnnInfos: [{ dnn: 'internet', defaultDnnIndicator: true }] },
    '01': { dnnInfos: [{ dnn: 'web.apn' }] },
  },
}

export const dnnConf = (ul = '100 Mbps', dl = '200 Mbps') => ({
  pduSessionTypes: { defaultSessionType: 'IPV4', allowedSessionTypes: ['IPV4', 'IPV6'] },
  sscModes: { defaultSscMode: 'SSC_MODE_1', allowedSscModes: ['SSC_MODE_1'] },
  '5gQosProfile': { '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' }, priorityLevel: 8 },
  sessionAmbr: { uplink: ul, downlink: dl },
})

export const SM_DATA = [
  { singleNssai: { sst: 1, sd: '010203' }, dnnConfigurations: { internet: dnnConf() } },
  { singleNssai: { sst: 1 }, dnnConfigurations: { 'web.apn': dnnConf('10 Mbps', '20 Mbps'), internet: dnnConf('1 Mbps', '2 Mbps') } },
]

/** Provisions one subscriber through the UDR's provisioning writes (what the BSS does). */
export async function provision(udr: TestNf, supi = SUPI, base = '/nudr-dr/v2'): Promise<void> {
  const sd = `${base}/subscription-data/${supi}`
  const put = async (path: string, body: unknown) => {
    const r = await udr.request('PUT', path, body)
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${r.text}`)
  }
  await put(`${sd}/authentication-data/authentication-subscription`, {
    authenticationMethod: '5G_AKA',
    encPermanentKey: K,
    encOpcKey: OPC,
    authenticationManagementField: '8000',
    sequenceNumber: { sqnScheme: 'NON_TIME_BASED', sqn: '000000000020' },
  })
  await put(`${sd}/${PLMN}/provisioned-data/am-data`, AM_DATA)
  await put(`${sd}/${PLMN}/provisioned-data/smf-selection-subscription-data`, SMF_SEL)
  await put(`${sd}/${PLMN}/provisioned-data/sm-data`, SM_DATA)
}

export type Validate = (file: string, schema: string, value: unknown) => string[]

/** validate3gpp from test/helpers/schemas.ts when it and ../shared/3gpp exist; undefined otherwise. */
export async function loadValidator(): Promise<Validate | undefined> {
  try {
    const mod = (await import(['..', 'helpers', 'schemas.ts'].join('/'))) as {
      has3gppSpecs(): boolean
      validate3gpp: Validate
    }
    return mod.has3gppSpecs() ? mod.validate3gpp : undefined
  } catch {
    return undefined
  }
}

export const SKIP_SCHEMAS = 'skipped: ../shared/3gpp or test/helpers/schemas.ts is absent, so answers cannot be checked against the 3GPP schemas'
