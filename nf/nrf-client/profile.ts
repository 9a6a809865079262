/**
 * The NF profile we register at the NRF (TS 29.510 §6.1.6.2.2 NFProfile, §6.1.6.2.3 NFService).
 * Pure: everything comes in as arguments, so the profile is a function of config + module.
 *
 * Interop rules this follows (INTEROP §0.2, §2.2):
 * - every service carries `apiPrefix` (free5GC's SMF builds its clients from it alone) AND
 *   `ipEndPoints` with a port plus `versions[].apiVersionInUri` (Open5GS reads only those);
 * - no profile-level `fqdn` when we have an IP address (free5GC uses it as the whole URI);
 * - `plmnList` is the configured home PLMN (Open5GS rejects PLMNs it does not serve).
 */
import { isIP } from 'node:net'
import type { NfType } from '../sbi/ports.ts'
import type { PlmnId, Snssai } from '../../config/schema.ts'

export interface NfServiceVersion {
  apiVersionInUri: string
  apiFullVersion: string
}

/**
 * API versions we serve, per service (apiFullVersion = the Rel-17 document version we follow).
 * `nudm-sdm` is v2 and `nchf-convergedcharging` is v3 (INTEROP §2.2); Nudr_DR is served under
 * both v1 (Open5GS) and v2 (free5GC), so it registers two versions.
 */
export const SERVICE_VERSIONS: Readonly<Record<string, readonly NfServiceVersion[]>> = {
  'nudm-sdm': [{ apiVersionInUri: 'v2', apiFullVersion: '2.2.4' }],
  'nudm-ueau': [{ apiVersionInUri: 'v1', apiFullVersion: '1.2.2' }],
  'nudm-uecm': [{ apiVersionInUri: 'v1', apiFullVersion: '1.2.5' }],
  'nudr-dr': [
    { apiVersionInUri: 'v1', apiFullVersion: '1.2.4' },
    { apiVersionInUri: 'v2', apiFullVersion: '2.2.4' },
  ],
  'npcf-smpolicycontrol': [{ apiVersionInUri: 'v1', apiFullVersion: '1.2.4' }],
  'npcf-am-policy-control': [{ apiVersionInUri: 'v1', apiFullVersion: '1.2.1' }],
  'nchf-convergedcharging': [{ apiVersionInUri: 'v3', apiFullVersion: '3.1.6' }],
  'nchf-spendinglimitcontrol': [{ apiVersionInUri: 'v1', apiFullVersion: '1.2.0' }],
}

/**
 * NF types allowed to use each service (NFService.allowedNfTypes). Both NRFs enforce it (Open5GS in
 * discovery, free5GC when minting tokens), so it lists SCP plus every consumer, and also the
 * producer's own type where free5GC's token rules need it: free5GC's SMF callbacks demand a token of
 * scope `npcf-smpolicycontrol`, which our PCF can only get as `{targetNfType: PCF}` (INTEROP §2.3),
 * and the NRF then checks the PCF profile's allowedNfTypes against the requester (PCF).
 */
export const SERVICE_ALLOWED_NF_TYPES: Readonly<Record<string, readonly NfType[]>> = {
  'nudm-sdm': ['AMF', 'SMF', 'AUSF', 'UDM', 'SCP'],
  'nudm-ueau': ['AUSF', 'UDM', 'SCP'],
  'nudm-uecm': ['AMF', 'SMF', 'UDM', 'SCP'],
  'nudr-dr': ['UDM', 'PCF', 'UDR', 'CHF', 'BSF', 'SCP'],
  'npcf-smpolicycontrol': ['SMF', 'PCF', 'SCP'],
  'npcf-am-policy-control': ['AMF', 'PCF', 'SCP'],
  'nchf-convergedcharging': ['SMF', 'AMF', 'PCF', 'CHF', 'SCP'],
  'nchf-spendinglimitcontrol': ['PCF', 'CHF', 'SCP'],
}

export interface ProfileServiceInput {
  /** 3GPP service name, e.g. `nudm-sdm`. */
  name: string
  /** Base paths served (e.g. `['/nudr-dr/v1', '/nudr-dr/v2']`); their `/vN` suffixes give the versions. */
  basePaths?: string[]
}

export interface BuildNfProfileInput {
  nfInstanceId: string
  nfType: NfType
  /** How peers reach us: `scheme://host:port` (host an IP address or a name). */
  apiRoot: string
  services: ProfileServiceInput[]
  plmn: PlmnId
  snssais: Snssai[]
  /** Heart-beat timer we ask for, seconds (the NRF's answer wins). */
  heartBeatTimer: number
  /** Type-specific info (`udmInfo`, `udrInfo`, `pcfInfo`, `chfInfo` …), copied as is. */
  profileInfo?: Record<string, unknown>
  priority?: number
  capacity?: number
  load?: number
  /** Overrides {@link SERVICE_ALLOWED_NF_TYPES}; an empty list leaves allowedNfTypes out. */
  allowedNfTypes?: Partial<Record<string, NfType[]>>
}

export type NfProfile = Record<string, unknown> & {
  nfInstanceId: string
  nfType: NfType
  nfStatus: 'REGISTERED'
  nfServices: Array<Record<string, unknown>>
}

/** Versions of one service: from its base paths when given, else from {@link SERVICE_VERSIONS}. */
export function serviceVersions(name: string, basePaths?: string[]): NfServiceVersion[] {
  const known = SERVICE_VERSIONS[name] ?? []
  const fromPaths = (basePaths ?? [])
    .map((p) => /\/(v\d+)\/?$/.exec(p)?.[1])
    .filter((v): v is string => v !== undefined)
  if (fromPaths.length === 0) return known.length ? known.map((v) => ({ ...v })) : [{ apiVersionInUri: 'v1', apiFullVersion: '1.0.0' }]
  return [...new Set(fromPaths)].map(
    (v) => known.find((k) => k.apiVersionInUri === v) ?? { apiVersionInUri: v, apiFullVersion: `${v.slice(1)}.0.0` },
  )
}

/** Builds the NFProfile for NFRegister (PUT /nnrf-nfm/v1/nf-instances/{nfInstanceId}). */
export function buildNfProfile(input: BuildNfProfileInput): NfProfile {
  const root = new URL(input.apiRoot)
  const scheme = root.protocol.replace(/:$/, '') as 'http' | 'https'
  const host = root.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = root.port ? Number(root.port) : scheme === 'https' ? 443 : 80
  const ipKind = isIP(host)
  const apiPrefix = `${root.protocol}//${root.host}`

  const ipEndPoint: Record<string, unknown> = { transport: 'TCP', port }
  if (ipKind === 4) ipEndPoint.ipv4Address = host
  else if (ipKind === 6) ipEndPoint.ipv6Address = host

  const nfServices = input.services.map((svc, i) => {
    const s: Record<string, unknown> = {
      serviceInstanceId: String(i),
      serviceName: svc.name,
      versions: serviceVersions(svc.name, svc.basePaths),
      scheme,
      nfServiceStatus: 'REGISTERED',
      apiPrefix,
    }
    if (ipKind) s.ipEndPoints = [ipEndPoint]
    else s.fqdn = host
    const allowed = input.allowedNfTypes?.[svc.name] ?? SERVICE_ALLOWED_NF_TYPES[svc.name]
    if (allowed && allowed.length) s.allowedNfTypes = [...allowed]
    return s
  })

  const profile: NfProfile = {
    nfInstanceId: input.nfInstanceId,
    nfType: input.nfType,
    nfStatus: 'REGISTERED',
    heartBeatTimer: input.heartBeatTimer,
    plmnList: [{ mcc: input.plmn.mcc, mnc: input.plmn.mnc }],
    sNssais: input.snssais.map((s) => (s.sd ? { sst: s.sst, sd: s.sd.toLowerCase() } : { sst: s.sst })),
    priority: input.priority ?? 0,
    capacity: input.capacity ?? 100,
    load: input.load ?? 0,
    nfServices,
  }
  if (ipKind === 4) profile.ipv4Addresses = [host]
  else if (ipKind === 6) profile.ipv6Addresses = [host]
  // A host name and no address: the profile needs fqdn (TS 29.510 requires fqdn or an address).
  else profile.fqdn = host
  for (const [k, v] of Object.entries(input.profileInfo ?? {})) {
    if (v !== undefined) profile[k] = structuredClone(v)
  }
  return profile
}

/**
 * JSON Patch (RFC 6902) operations that turn `from` into `to` at the top level, for NFUpdate
 * (PATCH /nf-instances/{id}). Changed members are replaced, new ones added, dropped ones removed.
 */
export function diffProfile(from: Record<string, unknown>, to: Record<string, unknown>): Array<Record<string, unknown>> {
  const ops: Array<Record<string, unknown>> = []
  for (const [k, v] of Object.entries(to)) {
    if (k === 'nfInstanceId') continue
    if (!(k in from)) ops.push({ op: 'add', path: `/${escapePointer(k)}`, value: v })
    else if (JSON.stringify(from[k]) !== JSON.stringify(v)) ops.push({ op: 'replace', path: `/${escapePointer(k)}`, value: v })
  }
  for (const k of Object.keys(from)) {
    if (!(k in to)) ops.push({ op: 'remove', path: `/${escapePointer(k)}` })
  }
  return ops
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1')
}
