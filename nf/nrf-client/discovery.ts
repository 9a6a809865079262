/**
 * Nnrf_NFDiscovery (TS 29.510 §5.3.2.2): the query we send, how we read a SearchResult from either
 * NRF, and the cache that keeps results for their `validityPeriod`. Pure except for the cache's
 * own map; I/O lives in index.ts.
 */
import type { NfType } from '../sbi/ports.ts'
import type { PlmnId, Snssai } from '../../config/schema.ts'

/** What a consumer asks for. `nfType` + `serviceName` are enough; the rest narrows the search. */
export interface DiscoveryTarget {
  nfType: NfType
  serviceName: string
  supi?: string
  dnn?: string
  snssais?: Snssai[]
  targetPlmnList?: PlmnId[]
}

export type Profile = Record<string, unknown>

/**
 * Query string of `GET /nnrf-disc/v1/nf-instances`. Array parameters follow the TS: service-names
 * comma-separated (style form, explode false), snssais and target-plmn-list as JSON
 * (content application/json).
 */
export function discoveryQuery(target: DiscoveryTarget, requesterNfType: NfType, requesterNfInstanceId?: string): string {
  const q = new URLSearchParams()
  q.set('target-nf-type', target.nfType)
  q.set('requester-nf-type', requesterNfType)
  q.set('service-names', target.serviceName)
  if (requesterNfInstanceId) q.set('requester-nf-instance-id', requesterNfInstanceId)
  if (target.supi) q.set('supi', target.supi)
  if (target.dnn) q.set('dnn', target.dnn)
  if (target.snssais?.length) q.set('snssais', JSON.stringify(target.snssais))
  if (target.targetPlmnList?.length) q.set('target-plmn-list', JSON.stringify(target.targetPlmnList))
  return q.toString()
}

/** Services of a profile: the `nfServices` list (R15) or the `nfServiceList` map (R16, Open5GS). */
export function servicesOf(profile: Profile): Profile[] {
  const list = Array.isArray(profile.nfServices) ? (profile.nfServices as Profile[]) : []
  const map = profile.nfServiceList && typeof profile.nfServiceList === 'object' ? Object.values(profile.nfServiceList as Record<string, Profile>) : []
  const seen = new Set<string>()
  const out: Profile[] = []
  for (const s of [...list, ...map]) {
    if (!s || typeof s !== 'object') continue
    const key = `${String(s.serviceInstanceId ?? '')}|${String(s.serviceName ?? '')}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(s)
  }
  return out
}

/**
 * apiRoot of one service instance: `apiPrefix` when given (free5GC), else scheme + address + port of
 * the first `ipEndPoints` entry (Open5GS; no port means the scheme's default, as Open5GS does), else
 * the service or profile fqdn, else the profile's first address.
 */
export function serviceApiRoot(profile: Profile, service: Profile): string | undefined {
  if (typeof service.apiPrefix === 'string' && service.apiPrefix) return service.apiPrefix.replace(/\/+$/, '')
  const scheme = service.scheme === 'https' ? 'https' : 'http'
  const defaultPort = scheme === 'https' ? 443 : 80
  const eps = Array.isArray(service.ipEndPoints) ? (service.ipEndPoints as Profile[]) : []
  const ep = eps.find((e) => e && (e.ipv4Address || e.ipv6Address)) ?? eps[0]
  const port = typeof ep?.port === 'number' ? ep.port : defaultPort
  const hostPort = (h: string) => `${scheme}://${h}${port === defaultPort ? '' : `:${port}`}`
  if (ep?.ipv4Address) return hostPort(String(ep.ipv4Address))
  if (ep?.ipv6Address) return hostPort(`[${String(ep.ipv6Address)}]`)
  if (typeof service.fqdn === 'string' && service.fqdn) return hostPort(service.fqdn)
  if (typeof profile.fqdn === 'string' && profile.fqdn) return hostPort(profile.fqdn)
  const v4 = Array.isArray(profile.ipv4Addresses) ? profile.ipv4Addresses[0] : undefined
  if (typeof v4 === 'string') return hostPort(v4)
  const v6 = Array.isArray(profile.ipv6Addresses) ? profile.ipv6Addresses[0] : undefined
  if (typeof v6 === 'string') return hostPort(`[${v6}]`)
  return undefined
}

export interface Candidate {
  nfInstanceId: string
  apiRoot: string
  priority: number
  capacity: number
}

const registered = (status: unknown) => status === undefined || status === 'REGISTERED'

/**
 * Instances offering `serviceName`, best first: lowest priority value, then highest capacity
 * (TS 29.510 §6.1.6.2.2; the service's own priority/capacity win over the profile's). Instances or
 * services not REGISTERED are left out. apiRoots are unique.
 */
export function rankCandidates(profiles: Profile[], serviceName: string): Candidate[] {
  const out: Candidate[] = []
  for (const p of profiles) {
    if (!registered(p.nfStatus)) continue
    for (const s of servicesOf(p)) {
      if (s.serviceName !== serviceName || !registered(s.nfServiceStatus)) continue
      const apiRoot = serviceApiRoot(p, s)
      if (!apiRoot) continue
      out.push({
        nfInstanceId: String(p.nfInstanceId ?? ''),
        apiRoot,
        priority: num(s.priority) ?? num(p.priority) ?? 0,
        capacity: num(s.capacity) ?? num(p.capacity) ?? 0,
      })
    }
  }
  out.sort((a, b) => a.priority - b.priority || b.capacity - a.capacity)
  const seen = new Set<string>()
  return out.filter((c) => (seen.has(c.apiRoot) ? false : (seen.add(c.apiRoot), true)))
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

interface CacheEntry {
  target: DiscoveryTarget
  profiles: Profile[]
  expiresAt: number
}

/** Discovery results by query, valid until `validityPeriod` runs out or a status notification says otherwise. */
export class DiscoveryCache {
  private readonly entries = new Map<string, CacheEntry>()

  static key(target: DiscoveryTarget): string {
    return JSON.stringify([target.nfType, target.serviceName, target.supi ?? '', target.dnn ?? '', target.snssais ?? [], target.targetPlmnList ?? []])
  }

  /** Fresh entry, or undefined. */
  get(target: DiscoveryTarget, nowMs: number): Profile[] | undefined {
    const e = this.entries.get(DiscoveryCache.key(target))
    return e && e.expiresAt > nowMs ? e.profiles : undefined
  }

  /** Entry even when expired (used while the NRF cannot be reached). */
  stale(target: DiscoveryTarget): Profile[] | undefined {
    return this.entries.get(DiscoveryCache.key(target))?.profiles
  }

  set(target: DiscoveryTarget, profiles: Profile[], expiresAt: number): void {
    this.entries.set(DiscoveryCache.key(target), { target, profiles, expiresAt })
  }

  /** NF_DEREGISTERED: the instance goes from every entry at once. Returns how many entries changed. */
  evictInstance(nfInstanceId: string): number {
    let n = 0
    for (const e of this.entries.values()) {
      const kept = e.profiles.filter((p) => p.nfInstanceId !== nfInstanceId)
      if (kept.length !== e.profiles.length) {
        e.profiles = kept
        n++
      }
    }
    return n
  }

  /** NF_PROFILE_CHANGED with the full profile: replace it where cached (drop it if no longer REGISTERED). */
  replaceInstance(profile: Profile): number {
    if (!registered(profile.nfStatus)) return this.evictInstance(String(profile.nfInstanceId))
    let n = 0
    for (const e of this.entries.values()) {
      const i = e.profiles.findIndex((p) => p.nfInstanceId === profile.nfInstanceId)
      if (i >= 0) {
        e.profiles = e.profiles.map((p, j) => (j === i ? profile : p))
        n++
      }
    }
    return n
  }

  /** NF_REGISTERED (a new instance of a type): entries for that type are re-queried on next use. */
  expireType(nfType: string): number {
    let n = 0
    for (const e of this.entries.values()) {
      if (e.target.nfType === nfType && e.expiresAt > 0) {
        e.expiresAt = 0
        n++
      }
    }
    return n
  }

  clear(): void {
    this.entries.clear()
  }
}
