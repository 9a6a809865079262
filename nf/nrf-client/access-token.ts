/**
 * Nnrf_AccessToken client (TS 29.510 §5.4, RFC 6749 §4.4 client credentials): `POST
 * {nrf}/oauth2/token`, form-encoded, and a cache that reuses each token until shortly before
 * `expires_in` runs out.
 *
 * free5GC's NRF matches the form keys `grant_type`, `nfInstanceId`, `nfType`, `targetNfType`,
 * `scope` and refuses a request without `targetNfType` (nrf:internal/sbi/processor/access_token.go),
 * so we always send it, derived from the scope when the caller gives none. It answers 400
 * `AccessTokenErr {error}` on refusal.
 */
import type { Logger } from 'pino'
import type { NfType, SbiClient, TokenProvider } from '../sbi/ports.ts'

export interface TokenRequester {
  nfInstanceId: string
  nfType: NfType
}

export class AccessTokenError extends Error {
  readonly code = 'ACCESS_TOKEN_DENIED'
  constructor(
    message: string,
    readonly oauthError?: string,
  ) {
    super(message)
    this.name = 'AccessTokenError'
  }
}

const SERVICE_PREFIX_NF_TYPE: Record<string, NfType> = {
  nnrf: 'NRF',
  nudm: 'UDM',
  nudr: 'UDR',
  npcf: 'PCF',
  nchf: 'CHF',
  namf: 'AMF',
  nsmf: 'SMF',
  nausf: 'AUSF',
  nbsf: 'BSF',
  nnssf: 'NSSF',
}

/** `npcf-smpolicycontrol` → `PCF`: the NF type that serves a 3GPP service name. */
export function nfTypeOfService(serviceName: string): NfType | undefined {
  return SERVICE_PREFIX_NF_TYPE[serviceName.split('-')[0]]
}

export interface AccessTokenClientOptions {
  nrfUri: string
  client: SbiClient
  log: Logger
  clock: () => Date
  /** Whether OAuth2 is in force now (config 'on', or 'auto' and the NRF said so). */
  enabled: () => boolean
  /** The registered NF that asks (free5GC's NRF checks that it is registered with that type). */
  requester: () => TokenRequester | undefined
  /** Renew this long before expiry at most (default 60 s; never more than 10 % of the lifetime). */
  renewBeforeSec?: number
}

interface CachedToken {
  token: string
  expiresAt: number
}

export interface AccessTokenClient extends TokenProvider {
  /** Forget every cached token (e.g. after a 401 from a producer). */
  clear(): void
}

export function createAccessTokenClient(opts: AccessTokenClientOptions): AccessTokenClient {
  const cache = new Map<string, CachedToken>()
  const inflight = new Map<string, Promise<string>>()
  const renewBefore = (opts.renewBeforeSec ?? 60) * 1000

  async function fetchToken(req: TokenRequester, scope: string, targetNfType: NfType, key: string): Promise<string> {
    const form: Record<string, string> = {
      grant_type: 'client_credentials',
      nfInstanceId: req.nfInstanceId,
      nfType: req.nfType,
      targetNfType,
      scope,
    }
    const res = await opts.client.request<{ access_token?: string; token_type?: string; expires_in?: number; error?: string }>({
      method: 'POST',
      uri: `${opts.nrfUri}/oauth2/token`,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams(form).toString(),
    })
    const body = res.body
    if (res.status !== 200 || !body || typeof body !== 'object' || typeof body.access_token !== 'string') {
      const err = body && typeof body === 'object' ? body.error : undefined
      throw new AccessTokenError(`NRF refused an access token for ${scope} (${res.status}${err ? ` ${err}` : ''})`, err)
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300) * 1000
    const margin = Math.min(renewBefore, lifetimeMs / 10)
    cache.set(key, { token: body.access_token, expiresAt: opts.clock().getTime() + lifetimeMs - margin })
    opts.log.debug({ scope, targetNfType, expiresIn: lifetimeMs / 1000 }, 'NRF access token obtained')
    return body.access_token
  }

  return {
    async token(scope: string, targetNfType?: NfType): Promise<string | undefined> {
      if (!opts.enabled()) return undefined
      const req = opts.requester()
      if (!req) return undefined
      const target = targetNfType ?? nfTypeOfService(scope.split(' ')[0]) ?? 'NRF'
      const key = `${req.nfInstanceId}|${target}|${scope}`
      const hit = cache.get(key)
      if (hit && hit.expiresAt > opts.clock().getTime()) return hit.token
      let p = inflight.get(key)
      if (!p) {
        p = fetchToken(req, scope, target, key).finally(() => inflight.delete(key))
        inflight.set(key, p)
      }
      return p
    },
    clear() {
      cache.clear()
    },
  }
}
