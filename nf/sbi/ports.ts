/**
 * What every NF factory receives from the runtime (cli/start.ts builds these) and what it returns.
 * An NF never creates its own sockets, stores or timers' clocks: it gets them here, so tests can
 * hand it doubles and fixed clocks.
 */
import type { Logger } from 'pino'
import type { DocumentStore } from '../../store/port.ts'
import type { MvnoConfig } from '../../config/schema.ts'
import type { ProblemDetails, SbiService } from './types.ts'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** 3GPP NFType values we use (TS 29.510). */
export type NfType = 'NRF' | 'UDM' | 'UDR' | 'PCF' | 'CHF' | 'AMF' | 'SMF' | 'AUSF' | 'SCP' | 'NSSF' | 'BSF'

export interface SbiClientRequest {
  method: HttpMethod
  /**
   * Absolute URI, or several candidate absolute URIs of the same resource on different instances:
   * the client tries them in order, moving on after a connection failure, a timeout, 503 or 504.
   */
  uri: string | string[]
  query?: Record<string, string | number | boolean | string[] | undefined>
  body?: unknown
  /** Default `application/json` when there is a body. */
  contentType?: string
  headers?: Record<string, string>
  timeoutMs?: number
  /** OAuth2: the scope (service name) and target NF type for the access token, when OAuth2 is on. */
  scope?: string
  targetNfType?: NfType
}

export interface SbiClientResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Parsed JSON body (or undefined when empty / not JSON). */
  body: T | undefined
  /** Set when the answer was `application/problem+json`. */
  problem?: ProblemDetails
  /** The URI that answered. */
  uri: string
}

/** Thrown when no candidate answered (connection refused/reset, timeout). Codes are stable. */
const CLIENT_ERROR_BRAND = Symbol.for('open-mvno.SbiClientError')

export class SbiClientError extends Error {
  /** `instanceof` by brand, so a second copy of this module (require vs import()) still matches. */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CLIENT_ERROR_BRAND] === true
  }
  readonly [CLIENT_ERROR_BRAND] = true
  constructor(readonly code: 'SBI_CONNECT_FAILED' | 'SBI_TIMEOUT' | 'SBI_STREAM_ERROR', message: string, readonly uri: string) {
    super(message)
    this.name = 'SbiClientError'
  }
}

export interface SbiClient {
  request<T = unknown>(req: SbiClientRequest): Promise<SbiClientResponse<T>>
  close(): Promise<void>
}

/** Supplies OAuth2 access tokens (nf/nrf-client/access-token.ts); undefined when OAuth2 is off. */
export interface TokenProvider {
  token(scope: string, targetNfType?: NfType): Promise<string | undefined>
}

/** A notification to deliver to a peer's callback URI, persisted before the first attempt. */
export interface OutboxNotification {
  /** Callback URI exactly as the peer gave it (free5GC's refs contain ':'), plus any suffix we add. */
  uri: string
  method?: HttpMethod
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  scope?: string
  targetNfType?: NfType
  /** Give up after this many ms (default from config, 1 h). */
  expiresInMs?: number
  /** What it is, for logs and metrics (e.g. `SmPolicyUpdateNotify`). */
  kind: string
  /** Status codes that count as "delivered but not supported": no retry (e.g. 501 from free5GC's SMF /terminate). */
  terminalStatuses?: number[]
  /**
   * Ordering key for notifications that each carry the complete current state of one resource (an SM
   * policy association's update-notify carries the full PCC rule set): deliveries with one key are made
   * one at a time in enqueue order, and a newer one supersedes older ones not yet sent, so a retried
   * old state never lands after a newer one (a throttle retried after the restore).
   */
  key?: string
}

export interface Outbox {
  /** Persists, then delivers in the background; resolves with the outbox id once persisted. */
  enqueue(n: OutboxNotification): Promise<string>
  /** Runs one delivery pass now (tests). */
  drain(): Promise<void>
}

/** A domain event for the gRPC EventFeed (DESIGN §1): registrations, sessions, grants, policy changes… */
export interface DomainEvent {
  /** e.g. `chf.quota.exhausted`, `pcf.policy.updated`, `udm.auth.vector` */
  type: string
  supi?: string
  gpsi?: string
  data?: Record<string, unknown>
}

export interface EventSink {
  emit(nf: string, event: DomainEvent): Promise<void>
}

/** Finds apiRoots (scheme://host:port) of peer NFs: NRF discovery with cache, or static config. */
export interface PeerResolver {
  apiRoots(target: { nfType: NfType; serviceName: string; supi?: string; dnn?: string }): Promise<string[]>
}

export type NfName = 'udr' | 'udm' | 'pcf' | 'chf' | 'bss'

/** Everything an NF factory gets. */
export interface NfContext {
  name: NfName
  config: MvnoConfig
  store: DocumentStore
  client: SbiClient
  outbox: Outbox
  events: EventSink
  peers: PeerResolver
  log: Logger
  clock: () => Date
  /** Our own apiRoot as peers reach us (e.g. `http://127.0.0.1:29507`), for callback URIs we hand out. */
  apiRoot: string
}

/** What an NF factory returns: the SBI services it serves and optional lifecycle hooks. */
export interface NfModule {
  name: NfName
  nfType: NfType
  services: SbiService[]
  /** Type-specific NF profile info for the NRF (`udmInfo`, `pcfInfo`, `chfInfo` …). */
  profileInfo?: Record<string, unknown>
  start?(): Promise<void>
  stop?(): Promise<void>
  /** Adds this NF's gRPC services (e.g. the CHF's AccountService) to the process's gRPC server. */
  registerGrpc?(server: import('@grpc/grpc-js').Server): void
  /** Records of this NF the platform's retention sweeper deletes past their retention (nf/sbi/retention.ts). */
  retention?: import('./retention.ts').RetentionRule[]
}
