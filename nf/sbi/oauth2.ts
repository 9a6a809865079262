/**
 * Producer-side OAuth2 (TS 33.501 §13.4.1, TS 29.500 §6.7.3, RFC 6750): every SBI request must carry
 * `Authorization: Bearer <JWT>` issued by the NRF. We verify, with jose, against the NRF's public key
 * or certificate from config:
 * - the signature, with RS256, RS512 (what free5GC's NRF signs with) or ES256;
 * - `exp` (required) and `nbf` when present;
 * - `aud`: our nfInstanceId or our nfType, as a string or inside an array;
 * - `scope` (space-separated service names) containing the service the request is for.
 *
 * Errors are problem+json with a `WWW-Authenticate` header (RFC 6750 §3): a missing, expired,
 * badly signed or mis-addressed token is 401 `error="invalid_token"`; a valid token without the
 * service in its scope is 403 `error="insufficient_scope"`. TS 29.500 (Table 5.2.7.2-1) defines no
 * application `cause` for access-token failures: the RFC 6750 error code in `WWW-Authenticate`
 * carries it, so the ProblemDetails have no `cause`.
 *
 * free5GC's NRF puts the `targetNfInstanceId` of the token request in `aud`, and free5GC consumers
 * mostly leave it out, so their tokens arrive with an empty `aud`. `audience: 'if-present'` accepts
 * those (a non-empty `aud` must still name us); the default is strict.
 *
 * @example
 * const verify = createAccessTokenVerifier({ publicKey: readFileSync(cfg.oauth2.nrfPublicKey, 'utf8'),
 *   nfInstanceId, nfType: 'PCF' })
 * createSbiServer({ ..., oauth2: verify })
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import type { NfType } from './ports.ts'
import { ProblemError } from './types.ts'

export const ACCEPTED_ALGORITHMS = ['RS256', 'RS512', 'ES256'] as const

export interface AccessTokenVerifierOptions {
  /** PEM public key (SPKI) or X.509 certificate of the NRF that signs the tokens. */
  publicKey: string
  nfInstanceId: string
  nfType: NfType
  /** 'strict' (default): `aud` must name us. 'if-present': a token without `aud` passes (free5GC). */
  audience?: 'strict' | 'if-present'
  /** Clock skew tolerated on `exp`/`nbf`, seconds (default 5). */
  clockToleranceSec?: number
  /** Injected clock (tests). */
  clock?: () => Date
}

export type AccessTokenVerifier = (authorization: string | undefined, serviceName: string) => Promise<Record<string, unknown>>

function unauthorized(detail: string, description?: string): ProblemError {
  const desc = description ? `, error_description="${description.replace(/"/g, "'")}"` : ''
  return new ProblemError(401, undefined, detail, { headers: { 'www-authenticate': `Bearer error="invalid_token"${desc}` } })
}

/** Reads a PEM public key or certificate into a KeyObject; throws on anything else. */
export function publicKeyFromPem(pem: string): KeyObject {
  if (pem.includes('BEGIN CERTIFICATE')) return new X509Certificate(pem).publicKey
  return createPublicKey(pem)
}

export function createAccessTokenVerifier(opts: AccessTokenVerifierOptions): AccessTokenVerifier {
  const key = publicKeyFromPem(opts.publicKey)
  const audiences = [opts.nfInstanceId, opts.nfType]
  const audienceMode = opts.audience ?? 'strict'

  return async (authorization, serviceName) => {
    if (!authorization) {
      // RFC 6750 §3.1: a request without credentials gets the challenge; we name invalid_token.
      throw unauthorized('access token required', 'missing access token')
    }
    const m = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i.exec(authorization)
    if (!m) throw unauthorized('malformed Authorization header', 'not a Bearer JWT')
    const token = m[1]

    let alg: string | undefined
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw unauthorized('malformed access token', 'undecodable header')
    }
    if (!alg || !(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw unauthorized('access token signed with an algorithm we do not accept', `alg ${alg ?? 'none'}`)
    }

    let claims: Record<string, unknown>
    try {
      const res = await jwtVerify(token, key, {
        algorithms: [alg],
        requiredClaims: ['exp'],
        clockTolerance: opts.clockToleranceSec ?? 5,
        currentDate: opts.clock?.(),
      })
      claims = res.payload as Record<string, unknown>
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('access token expired', 'expired')
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthorized('access token signature invalid', 'bad signature')
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`access token claim ${err.claim} invalid`, err.claim)
      throw unauthorized('access token invalid', (err as Error).name)
    }

    const aud = claims.aud
    const audList = (Array.isArray(aud) ? aud : aud === undefined || aud === null ? [] : [aud]).filter((a) => a !== '')
    if (audList.length === 0) {
      if (audienceMode === 'strict') throw unauthorized('access token has no audience', 'aud missing')
    } else if (!audList.some((a) => audiences.includes(String(a)))) {
      throw unauthorized('access token is for another NF', 'aud mismatch')
    }

    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []
    if (!scopes.includes(serviceName)) {
      throw new ProblemError(403, undefined, `access token scope does not include ${serviceName}`, {
        headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${serviceName}"` },
      })
    }
    return claims
  }
}
