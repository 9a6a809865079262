/**
 * The NRF client of an open-mvno process (DESIGN §2 nf/nrf-client): registers each NF we run, keeps
 * it alive, finds peers, fetches OAuth2 tokens, and serves the NF-status callback.
 *
 * With no `config.nrf.uri` (the embedded default) there is no NRF: peers come from the static
 * `config.peers`, `tokens` is undefined and `register`/`stop` do nothing. With `config.scp.uri`,
 * consumer calls go through the SCP (model D): `peers.apiRoots()` answers the SCP's apiRoot and the
 * caller adds `scpHeaders(target)` to the request.
 *
 * @example
 * const nrf = createNrfClient({ config, store, client, log })
 * const target = { nfType: 'UDR', serviceName: 'nudr-dr' } as const
 * const roots = await nrf.peersFor('pcf').apiRoots(target)
 * await client.request({ method: 'GET', uri: roots.map((r) => `${r}/nudr-dr/v1/policy-data/ues/${supi}/sm-data`),
 *   headers: nrf.scpHeaders(target, 'pcf'), scope: 'nudr-dr', targetNfType: 'UDR' })
 */
import type { Logger } from 'pino'
import type { DocumentStore } from '../../store/port.ts'
import type { MvnoConfig } from '../../config/schema.ts'
import type { NfModule, NfName, NfType, PeerResolver, SbiClient, SbiClientRequest, SbiClientResponse, TokenProvider } from '../sbi/ports.ts'
import { noContent, ProblemError, type SbiService } from '../sbi/types.ts'
import { createAccessTokenClient, type AccessTokenClient, type TokenRequester } from './access-token.ts'
import { DiscoveryCache, discoveryQuery, rankCandidates, type DiscoveryTarget, type Profile } from './discovery.ts'
import { buildNfProfile, type NfProfile } from './profile.ts'
import { NfRegistration, type BackoffOptions, type RegistrationState } from './registration.ts'
import { routeViaScp, scpDiscoveryHeaders } from './scp.ts'

export { stableInstanceId } from './instance-id.ts'
export { buildNfProfile } from './profile.ts'
export type { DiscoveryTarget } from './discovery.ts'

/** Path of the NF-status notification callback we serve (the same one Open5GS NFs use). */
export const STATUS_NOTIFY_PATH = '/nnrf-nfm/v1/nf-status-notify'

/** Discovery results without a validityPeriod are kept this long (s). */
const DEFAULT_VALIDITY_SEC = 60
/** Subscription validity we ask for (s); the NRF may shorten it. */
const SUBSCRIPTION_VALIDITY_SEC = 86400
/** After a failed subscription attempt, wait this long before the next (ms). */
const SUBSCRIBE_RETRY_MS = 30_000

/** apiRoots of a peer NF type from the static `peers` config (no NRF, or the NRF down). */
export function staticPeerRoots(peers: MvnoConfig['peers'], nfType: NfType): string[] {
  const byType = peers as Record<string, string[] | undefined>
  return [...(byType[nfType.toLowerCase()] ?? [])].map((u) => u.replace(/\/+$/, ''))
}

export interface NrfClientOptions {
  config: MvnoConfig
  store: DocumentStore
  client: SbiClient
  log: Logger
  clock?: () => Date
  /** Registration retry back-off while the NRF is down (default 1 s doubling to 30 s). */
  backoff?: Partial<BackoffOptions>
  /** Timeout of each NRF request, ms (default config.sbi.clientTimeoutMs). */
  timeoutMs?: number
}

export interface NfToRegister {
  name: NfName
  module: NfModule
  /** How peers reach this NF (scheme://host:port). */
  apiRoot: string
  nfInstanceId: string
}

export interface PeerResolverEx extends PeerResolver {
  apiRoots(target: DiscoveryTarget): Promise<string[]>
}

export interface NrfClient {
  /** Peers for a consumer; the requester is the first registered NF. Prefer {@link peersFor}. */
  peers: PeerResolverEx
  /** Peers as NF `name` asks for them (requester-nf-type = its type; both NRFs filter on it). */
  peersFor(name: NfName): PeerResolverEx
  /** OAuth2 tokens for consumer calls (requester: first registered NF); undefined with no NRF. */
  tokens: TokenProvider | undefined
  tokensFor(name: NfName): TokenProvider | undefined
  /** Starts the NF's registration lifecycle in the background; never throws when the NRF is down. */
  register(nf: NfToRegister): Promise<void>
  /** The NF's profile changed (e.g. its profileInfo): send the changes now. */
  refresh(name: NfName): void
  /** Unsubscribes, deregisters every NF, stops timers. */
  stop(): Promise<void>
  /** The NF-status notification callback (openapi/nrf-callbacks.yaml); serve it on every NF. */
  callbackService: SbiService
  /** Headers a consumer adds to a request sent to `peers.apiRoots()` (SCP discovery headers); {} without SCP. */
  scpHeaders(target: DiscoveryTarget, requester?: NfName): Record<string, string>
  /** A request to a known absolute URI (a peer's callback), through the SCP when one is configured. */
  route(uri: string): { uri: string; headers: Record<string, string> }
  /** Whether consumer calls need OAuth2 tokens now. */
  oauth2Active(): boolean
  /** Registration state of an NF (tests, `mvno status`). */
  registrationState(name: NfName): RegistrationState | undefined
}

interface Registered {
  nf: NfToRegister
  reg: NfRegistration
  accepted: boolean
}

export function createNrfClient(opts: NrfClientOptions): NrfClient {
  const { config, client, log } = opts
  const clock = opts.clock ?? (() => new Date())
  const nrfUri = config.nrf.uri?.replace(/\/+$/, '')
  const scpUri = config.scp?.uri?.replace(/\/+$/, '')
  const timeoutMs = opts.timeoutMs ?? config.sbi.clientTimeoutMs
  const backoff: BackoffOptions = { minMs: opts.backoff?.minMs ?? 1000, maxMs: opts.backoff?.maxMs ?? 30_000 }

  const registered = new Map<NfName, Registered>()
  const cache = new DiscoveryCache()
  const subscriptions = new Map<string, { id?: string; until: number; failedAt?: number; pending?: Promise<void> }>()
  let nrfSaysOauth2: boolean | undefined

  const oauth2Active = () => Boolean(nrfUri) && (config.nrf.oauth2 === 'on' || (config.nrf.oauth2 === 'auto' && nrfSaysOauth2 === true))

  function requesterOf(name?: NfName): Registered | undefined {
    if (name) return registered.get(name)
    for (const r of registered.values()) if (r.accepted) return r
    return registered.values().next().value
  }

  const tokenClients = new Map<string, AccessTokenClient>()
  function tokenClient(name?: NfName): AccessTokenClient | undefined {
    if (!nrfUri) return undefined
    const key = name ?? '*'
    let t = tokenClients.get(key)
    if (!t) {
      t = createAccessTokenClient({
        nrfUri,
        client,
        log,
        clock,
        enabled: oauth2Active,
        requester: (): TokenRequester | undefined => {
          const r = requesterOf(name)
          return r ? { nfInstanceId: r.nf.nfInstanceId, nfType: r.nf.module.nfType } : undefined
        },
      })
      tokenClients.set(key, t)
    }
    return t
  }

  /** A request to the NRF, with a token of `scope` (targetNfType NRF) when OAuth2 is on. */
  async function nrfRequest(
    req: Omit<SbiClientRequest, 'uri'> & { path: string },
    scope: string | undefined,
    requester?: NfName,
  ): Promise<SbiClientResponse> {
    const headers: Record<string, string> = { ...req.headers }
    const tokens = scope ? tokenClient(requester) : undefined
    if (tokens && oauth2Active()) {
      const t = await tokens.token(scope!, 'NRF')
      if (t) headers.authorization = `Bearer ${t}`
    }
    const { path, ...rest } = req
    const res = await client.request({ ...rest, uri: `${nrfUri}${path}`, headers, timeoutMs: req.timeoutMs ?? timeoutMs })
    if (res.status === 401 && tokens) tokens.clear()
    return res
  }

  const staticPeers = (nfType: NfType) => staticPeerRoots(config.peers, nfType)

  function handleNotification(body: Record<string, unknown>): void {
    const event = String(body.event ?? '')
    const uri = String(body.nfInstanceUri ?? '')
    const id = uri.split('/').filter(Boolean).pop() ?? ''
    const profile = body.nfProfile && typeof body.nfProfile === 'object' ? (body.nfProfile as Profile) : undefined
    let changed = 0
    if (event === 'NF_DEREGISTERED') changed = cache.evictInstance(id)
    else if (event === 'NF_PROFILE_CHANGED') changed = profile ? cache.replaceInstance({ ...profile, nfInstanceId: profile.nfInstanceId ?? id }) : cache.evictInstance(id)
    else if (event === 'NF_REGISTERED' && typeof profile?.nfType === 'string') changed = cache.expireType(profile.nfType)
    log.debug({ event, nfInstanceId: id, cacheEntriesChanged: changed }, 'NRF status notification')
  }

  const callbackService: SbiService = {
    name: 'nnrf-nfm-callback',
    spec: 'nrf-callbacks.yaml',
    basePaths: ['/nnrf-nfm/v1'],
    // The NRF calls us; free5GC's NRF adds its own self-signed token, Open5GS none.
    noAuth: true,
    handlers: {
      NfStatusNotify: (req) => {
        if (!req.body || typeof req.body !== 'object') throw new ProblemError(400, 'MANDATORY_IE_MISSING', 'NotificationData required')
        handleNotification(req.body as Record<string, unknown>)
        return noContent()
      },
    },
  }

  function ensureSubscribed(nfType: NfType, requesterName?: NfName): void {
    const r = requesterOf(requesterName)
    if (!nrfUri || !r) return
    const now = clock().getTime()
    const s = subscriptions.get(nfType)
    if (s && (s.pending || s.until > now || (s.failedAt !== undefined && now - s.failedAt < SUBSCRIBE_RETRY_MS))) return
    const entry: { id?: string; until: number; failedAt?: number; pending?: Promise<void> } = { until: 0 }
    subscriptions.set(nfType, entry)
    const body = {
      nfStatusNotificationUri: `${r.nf.apiRoot.replace(/\/+$/, '')}${STATUS_NOTIFY_PATH}`,
      reqNfType: r.nf.module.nfType,
      reqNfInstanceId: r.nf.nfInstanceId,
      subscrCond: { nfType },
      reqNotifEvents: ['NF_REGISTERED', 'NF_DEREGISTERED', 'NF_PROFILE_CHANGED'],
      validityTime: new Date(now + SUBSCRIPTION_VALIDITY_SEC * 1000).toISOString(),
    }
    entry.pending = nrfRequest({ method: 'POST', path: '/nnrf-nfm/v1/subscriptions', body }, 'nnrf-nfm', requesterName)
      .then((res) => {
        const b = res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : {}
        if (res.status !== 201 && res.status !== 200) throw new Error(`status ${res.status}`)
        const loc = String(res.headers.location ?? '')
        entry.id = typeof b.subscriptionId === 'string' ? b.subscriptionId : loc.split('/').filter(Boolean).pop()
        const until = typeof b.validityTime === 'string' ? Date.parse(b.validityTime) : NaN
        entry.until = Number.isFinite(until) ? until : now + SUBSCRIPTION_VALIDITY_SEC * 1000
        log.info({ nfType, subscriptionId: entry.id }, 'subscribed to NF status changes at the NRF')
      })
      .catch((err) => {
        entry.failedAt = clock().getTime()
        log.warn({ nfType, err: (err as Error).message }, 'NF status subscription failed; discovery results live until their validityPeriod')
      })
      .finally(() => (entry.pending = undefined))
  }

  async function discover(target: DiscoveryTarget, requesterName?: NfName): Promise<string[]> {
    if (scpUri) return [scpUri]
    if (!nrfUri) return staticPeers(target.nfType)
    const now = clock().getTime()
    const fresh = cache.get(target, now)
    if (fresh) {
      const c = rankCandidates(fresh, target.serviceName)
      return c.length ? c.map((x) => x.apiRoot) : staticPeers(target.nfType)
    }
    const r = requesterOf(requesterName)
    const requesterType = r?.nf.module.nfType ?? target.nfType
    try {
      const res = await nrfRequest(
        { method: 'GET', path: `/nnrf-disc/v1/nf-instances?${discoveryQuery(target, requesterType, r?.nf.nfInstanceId)}` },
        'nnrf-disc',
        requesterName,
      )
      const body = res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : undefined
      if (res.status === 200 && body && Array.isArray(body.nfInstances)) {
        const validity = typeof body.validityPeriod === 'number' && body.validityPeriod >= 0 ? body.validityPeriod : DEFAULT_VALIDITY_SEC
        cache.set(target, body.nfInstances as Profile[], now + validity * 1000)
        ensureSubscribed(target.nfType, requesterName)
        const c = rankCandidates(body.nfInstances as Profile[], target.serviceName)
        if (c.length) return c.map((x) => x.apiRoot)
        log.debug({ target }, 'NRF discovery found no instance; using static peers')
        return staticPeers(target.nfType)
      }
      log.warn({ target, status: res.status }, 'NRF discovery failed')
    } catch (err) {
      log.warn({ target, err: (err as Error).message }, 'NRF discovery failed (NRF unreachable)')
    }
    const stale = cache.stale(target)
    const c = stale ? rankCandidates(stale, target.serviceName) : []
    return c.length ? c.map((x) => x.apiRoot) : staticPeers(target.nfType)
  }

  const resolvers = new Map<string, PeerResolverEx>()
  function peersFor(name?: NfName): PeerResolverEx {
    const key = name ?? '*'
    let p = resolvers.get(key)
    if (!p) {
      p = { apiRoots: (target: DiscoveryTarget) => discover(target, name) }
      resolvers.set(key, p)
    }
    return p
  }

  function advertised(apiRoot: string): string {
    const u = new URL(apiRoot)
    const h = u.hostname.replace(/^\[(.*)\]$/, '$1')
    if ((h === '0.0.0.0' || h === '::') && config.sbi.advertiseHost) u.hostname = config.sbi.advertiseHost
    return `${u.protocol}//${u.host}`
  }

  async function register(nf: NfToRegister): Promise<void> {
    if (!nrfUri) return
    if (nf.module.services.length === 0) {
      log.debug({ nf: nf.name }, 'no SBI service to register at the NRF')
      return
    }
    if (registered.has(nf.name)) return
    const apiRoot = advertised(nf.apiRoot)
    const entry: Registered = { nf: { ...nf, apiRoot }, reg: undefined as unknown as NfRegistration, accepted: false }
    const buildProfile = (): NfProfile =>
      buildNfProfile({
        nfInstanceId: nf.nfInstanceId,
        nfType: nf.module.nfType,
        apiRoot,
        // Callback endpoints we serve (npcf-callback, nudm-callback…) are not 3GPP services: not in the profile.
        services: nf.module.services.filter((s) => !s.noAuth).map((s) => ({ name: s.name, basePaths: s.basePaths })),
        plmn: config.plmn,
        snssais: config.snssais,
        heartBeatTimer: config.nrf.heartBeatTimer,
        profileInfo: nf.module.profileInfo,
      })
    entry.reg = new NfRegistration({
      nfName: nf.name,
      nfType: nf.module.nfType,
      nfInstanceId: nf.nfInstanceId,
      buildProfile,
      log,
      backoff,
      calls: {
        // NFRegister needs no token: free5GC's NRF mints tokens only for registered NFs (free5gc#846).
        register: (id, profile) => nrfRequest({ method: 'PUT', path: `/nnrf-nfm/v1/nf-instances/${id}`, body: profile }, undefined),
        patch: (id, ops) =>
          nrfRequest({ method: 'PATCH', path: `/nnrf-nfm/v1/nf-instances/${id}`, body: ops, contentType: 'application/json-patch+json' }, 'nnrf-nfm', nf.name),
        deregister: (id) => nrfRequest({ method: 'DELETE', path: `/nnrf-nfm/v1/nf-instances/${id}` }, 'nnrf-nfm', nf.name),
      },
      onRegistered: (answer) => {
        entry.accepted = true
        const custom = answer?.customInfo as Record<string, unknown> | undefined
        if (custom && typeof custom.oauth2 === 'boolean' && custom.oauth2 !== nrfSaysOauth2) {
          nrfSaysOauth2 = custom.oauth2
          log.info({ oauth2: custom.oauth2, mode: config.nrf.oauth2 }, 'NRF announced its OAuth2 setting (customInfo.oauth2)')
        }
      },
    })
    registered.set(nf.name, entry)
    entry.reg.start()
  }

  async function stop(): Promise<void> {
    if (!nrfUri) return
    const subs = [...subscriptions.values()]
    subscriptions.clear()
    await Promise.all(subs.map((s) => s.pending?.catch(() => undefined)))
    // Unsubscribe first: free5GC's NRF fails other NFs' registrations when a notification to a
    // vanished subscriber fails (nrf:internal/sbi/processor/nf_management.go NFRegisterProcedure).
    await Promise.all(
      subs
        .filter((s) => s.id)
        .map((s) =>
          nrfRequest({ method: 'DELETE', path: `/nnrf-nfm/v1/subscriptions/${encodeURIComponent(s.id!)}`, timeoutMs: 2000 }, 'nnrf-nfm').catch((err) =>
            log.debug({ err: (err as Error).message }, 'unsubscribe failed'),
          ),
        ),
    )
    await Promise.all([...registered.values()].map((r) => r.reg.stop()))
    registered.clear()
    cache.clear()
  }

  return {
    peers: peersFor(),
    peersFor: (name) => peersFor(name),
    tokens: nrfUri ? tokenClient() : undefined,
    tokensFor: (name) => tokenClient(name),
    register,
    refresh: (name) => registered.get(name)?.reg.refresh(),
    stop,
    callbackService,
    scpHeaders: (target, requester) => {
      if (!scpUri) return {}
      const r = requesterOf(requester)
      return scpDiscoveryHeaders(target, r?.nf.module.nfType, r?.nf.nfInstanceId)
    },
    route: (uri) => (scpUri ? routeViaScp(scpUri, uri) : { uri, headers: {} }),
    oauth2Active,
    registrationState: (name) => registered.get(name)?.reg.state,
  }
}
