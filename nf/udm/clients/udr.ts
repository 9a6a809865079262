/**
 * The UDM's consumer of Nudr_DR for authentication data (TS 29.504 / TS 29.505), over ctx.client
 * with the UDR found through ctx.peers (NRF discovery or static config). The UDM keeps no
 * subscriber data of its own: K, OPc, AMF and SQN are read here on every generate-auth-data.
 *
 * ── Contract with the UDR (nf/udr) ────────────────────────────────────────────────────────────
 * 1. `GET {udr}/nudr-dr/v2/subscription-data/{ueId}/authentication-data/authentication-subscription`
 *    returns TS 29.505 AuthenticationSubscription with K and OPc USABLE, in free5GC's R17 fields:
 *    `encPermanentKey` = K (32 hex), `encOpcKey` = OPc (32 hex) (free5GC keyId 0, i.e. clear). We also
 *    read the older free5GC shapes `permanentKey.permanentKeyValue`, `opc.opcValue`,
 *    `milenage.opc.opcValue` and an OP in `milenage.op.opValue` / `encOpKey` (OPc then derived).
 *    404 = unknown subscriber.
 * 2. SQN advance is a guarded `PATCH` of the same resource, `application/json-patch+json`:
 *      [{"op":"test","path":"/sequenceNumber/sqn","value":"<sqn as read>"},
 *       {"op":"replace","path":"/sequenceNumber/sqn","value":"<new sqn, 12 hex>"}]
 *    THE UDR MUST APPLY `test` ATOMICALLY WITH THE WRITE (compare-and-set in the store) and answer
 *    409 (or 412) when the test fails; 204/200 on success. Two concurrent generate-auth-data for one
 *    SUPI may then never hand out the same SQN: the loser re-reads and retries (see ueau.ts).
 *    (nf/udr/store.ts guardedUpdate does this: the tests become the store filter; PatchError
 *    TEST_FAILED → 409 MODIFICATION_NOT_ALLOWED.)
 * 3. `PUT …/authentication-data/authentication-status` (AuthEvent) on result confirmation and
 *    `DELETE …/authentication-status` on removal (as free5GC's and Open5GS's UDMs do).
 *    PLEASE (UDR owner): answer the PUT with 404 USER_NOT_FOUND when the ueId has no subscription
 *    (today nf/udr stores a status for any ueId), so that POST /nudm-ueau/v1/{supi}/auth-events can
 *    answer 404 for an unknown SUPI as TS 29.503 says (test/udm/ueau.test.ts has it pending).
 * We use base `/nudr-dr/v2` (free5GC's); our UDR serves v1 and v2 from one set of handlers.
 */
import type { NfContext, SbiClientResponse } from '../../sbi/ports.ts'
import { SbiClientError } from '../../sbi/ports.ts'

/** TS 29.505 SequenceNumber. */
export interface SequenceNumber {
  sqnScheme?: 'GENERAL' | 'NON_TIME_BASED' | 'TIME_BASED' | string
  sqn?: string
  lastIndexes?: Record<string, number>
  indLength?: number
  difSign?: 'POSITIVE' | 'NEGATIVE' | string
}

/** TS 29.505 AuthenticationSubscription (the members we read), plus free5GC's legacy shapes. */
export interface AuthenticationSubscription {
  authenticationMethod?: '5G_AKA' | 'EAP_AKA_PRIME' | 'EAP_TLS' | string
  encPermanentKey?: string
  protectionParameterId?: string
  sequenceNumber?: SequenceNumber
  authenticationManagementField?: string
  algorithmId?: string
  encOpcKey?: string
  encOpKey?: string
  encTopcKey?: string
  vectorGenerationInHss?: boolean
  n5gcAuthMethod?: string
  rgAuthenticationInd?: boolean
  supi?: string
  permanentKey?: { permanentKeyValue?: string }
  opc?: { opcValue?: string }
  milenage?: { op?: { opValue?: string }; opc?: { opcValue?: string } }
  [k: string]: unknown
}

/** Why a Nudr_DR call did not give an answer we can use. */
export class UdrError extends Error {
  constructor(
    readonly kind: 'UNREACHABLE' | 'NO_UDR' | 'UNEXPECTED',
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'UdrError'
  }
}

export interface UdrAuthClient {
  /** undefined when the UDR has no authentication subscription for the UE (404). */
  getAuthenticationSubscription(supi: string): Promise<AuthenticationSubscription | undefined>
  /**
   * Compare-and-set of `sequenceNumber.sqn`: true when written, false when the stored value was no
   * longer `expected` (409/412 from the UDR). `expected` undefined: the subscription has no SQN yet
   * (then the sequenceNumber object is added without a guard).
   */
  compareAndSetSqn(supi: string, expected: string | undefined, next: string, indLength?: number): Promise<boolean>
  /** Stores the AuthEvent as the UE's authentication status. false when the UDR knows no such UE. */
  putAuthenticationStatus(supi: string, authEvent: Record<string, unknown>): Promise<boolean>
  /** Removes the authentication status. false when there was none (404). */
  deleteAuthenticationStatus(supi: string): Promise<boolean>
}

const BASE = '/nudr-dr/v2'

export function createUdrAuthClient(ctx: Pick<NfContext, 'client' | 'peers'>): UdrAuthClient {
  async function uris(supi: string, suffix: string): Promise<string[]> {
    const roots = await ctx.peers.apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr', supi })
    if (!roots.length) throw new UdrError('NO_UDR', 'no UDR found (NRF discovery or config.peers.udr)')
    return roots.map((r) => `${r.replace(/\/$/, '')}${BASE}/subscription-data/${encodeURIComponent(supi)}/authentication-data/${suffix}`)
  }

  async function call<T>(req: Parameters<NfContext['client']['request']>[0]): Promise<SbiClientResponse<T>> {
    try {
      return await ctx.client.request<T>({ scope: 'nudr-dr', targetNfType: 'UDR', ...req })
    } catch (e) {
      if (e instanceof SbiClientError) throw new UdrError('UNREACHABLE', `UDR unreachable: ${e.message}`)
      throw e
    }
  }

  function unexpected(what: string, r: SbiClientResponse): UdrError {
    const cause = r.problem?.cause ? ` ${r.problem.cause}` : ''
    return new UdrError('UNEXPECTED', `UDR ${what}: ${r.status}${cause}`, r.status)
  }

  return {
    async getAuthenticationSubscription(supi) {
      const r = await call<AuthenticationSubscription>({ method: 'GET', uri: await uris(supi, 'authentication-subscription') })
      if (r.status === 404) return undefined
      if (r.status !== 200 || !r.body || typeof r.body !== 'object') throw unexpected('GET authentication-subscription', r)
      return r.body
    },

    async compareAndSetSqn(supi, expected, next, indLength) {
      const patch =
        expected === undefined
          ? [{ op: 'add', path: '/sequenceNumber', value: { sqnScheme: 'NON_TIME_BASED', sqn: next, ...(indLength ? { indLength } : {}) } }]
          : [
              { op: 'test', path: '/sequenceNumber/sqn', value: expected },
              { op: 'replace', path: '/sequenceNumber/sqn', value: next },
            ]
      const r = await call({
        method: 'PATCH',
        uri: await uris(supi, 'authentication-subscription'),
        body: patch,
        contentType: 'application/json-patch+json',
      })
      if (r.status === 204 || r.status === 200) return true
      if (r.status === 409 || r.status === 412) return false
      throw unexpected('PATCH authentication-subscription', r)
    },

    async putAuthenticationStatus(supi, authEvent) {
      const r = await call({ method: 'PUT', uri: await uris(supi, 'authentication-status'), body: authEvent })
      if (r.status === 204 || r.status === 201 || r.status === 200) return true
      if (r.status === 404) return false
      throw unexpected('PUT authentication-status', r)
    },

    async deleteAuthenticationStatus(supi) {
      const r = await call({ method: 'DELETE', uri: await uris(supi, 'authentication-status') })
      if (r.status === 204 || r.status === 200) return true
      if (r.status === 404) return false
      throw unexpected('DELETE authentication-status', r)
    },
  }
}
