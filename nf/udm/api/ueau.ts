/**
 * Nudm_UEAU (TS 29.503 §5.4, §6.3), served at `{apiRoot}/nudm-ueau/v1` from openapi/nudm-ueau.yaml.
 *
 *   export function ueauService(deps: UeauDeps): SbiService
 *
 * deps:
 * - `ctx` (required): the UDM's NfContext. Used: `ctx.client` + `ctx.peers` to reach the UDR
 *   (Nudr_DR, nfType UDR, service nudr-dr; see clients/udr.ts for the contract with the UDR),
 *   `ctx.config.udm.suciKeys` (home-network private keys for SUCI de-concealment, loaded once here;
 *   a bad key entry throws at creation, naming the key id), `ctx.log`, `ctx.events`.
 * - `random` (optional): `(n) => Buffer` source of RAND, default crypto.randomBytes (tests inject).
 * - `udr` (optional): a UdrAuthClient to use instead of the one built from ctx (tests).
 * - `homeNetworkKeys` (optional): keys instead of ctx.config.udm.suciKeys (tests).
 * - `servingNetworkAllowed` (optional): extra policy on the serving network (mcc, 3-digit mnc);
 *   default: every well-formed 5G serving network name is served.
 * Wiring in nf/udm/index.ts: `services: [ueauService({ ctx }), …]`.
 *
 * Operations: GenerateAuthData (5G_HE_AKA / EAP_AKA_PRIME per the subscription's method, SUCI
 * de-concealment, re-synchronisation), ConfirmAuth (POST auth-events → 201 + Location),
 * PutAuthEvents (Open5GS's PUT without id, authRemovalInd), DeleteAuth (PUT auth-events/{id}
 * with authRemovalInd), DeleteAuthEvent (DELETE auth-events/{id}).
 *
 * SQN: reserved in blocks (TS 33.102 Annex C.1.2/C.3 let the HE generate vectors in batches). One
 * compare-and-set PATCH at the UDR moves SQN_HE from the value read to the LAST SQN of a block of
 * `udm.sqnBatch` steps (default 32) before any SQN of the block is used; the vectors then take the
 * block's SQNs in order from memory. A lost race (another UDM instance reserved meanwhile) re-reads and
 * retries, so instances always hold disjoint blocks; a restarted UDM reads the high-water mark and starts
 * above it, so an SQN is never handed out twice; the steps a dead instance did not use are skipped, which
 * a USIM accepts (any fresher SEQ within Δ). A re-synchronisation (AUTS) drops the block and reserves
 * afresh from the verified SQN_MS. Requests for one SUPI are queued inside this UDM instance, so the
 * block is only touched by one request at a time. `sqnBatch: 1` is the one-write-per-vector behaviour.
 *
 * Authentication-subscription cache: K, OPc (Buffers), AMF, method and IND length of a subscriber are
 * kept in memory for `udm.authSubscriptionCacheSeconds` (default 30; never the SQN, never logged). A
 * reservation with fresh cached credentials and a block of our own is ONE guarded PATCH (guard: the
 * high-water mark we wrote) with no read; a failed CAS, a resync or an expired entry throws the entry
 * away and re-reads the UDR. A change of K/OPc at the UDR is therefore seen within that TTL at most.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { CredentialCacheHandle } from './withdrawal.ts'
import type { NfContext } from '../../sbi/ports.ts'
import { created, noContent, ok, problem, ProblemError, type SbiRequest, type SbiResponse, type SbiService } from '../../sbi/types.ts'
import { credentialsFrom, type AuthCredentials } from '../domain/auth-credentials.ts'
import { createCryptoPool, type CryptoPool } from '../crypto-pool.ts'
import { parseServingNetworkName, type ServingNetwork } from '../domain/kdf.ts'
import { resyncBase, sqnBlock, sqnToHex, verifyAuts } from '../domain/sqn.ts'
import { deconcealSuci, isSuci, parseSuci, SCHEME_NULL, SuciError, type HomeNetworkKey } from '../domain/suci.ts'
import { createUdrAuthClient, UdrError, type UdrAuthClient } from '../clients/udr.ts'
import { loadHomeNetworkKeys } from './ueau-keys.ts'
import { BoundedMap } from '../../sbi/bounded-map.ts'

export interface UeauDeps {
  ctx: NfContext
  random?: (n: number) => Buffer
  udr?: UdrAuthClient
  homeNetworkKeys?: HomeNetworkKey[]
  servingNetworkAllowed?: (sn: ServingNetwork) => boolean
  /** Filled in here, called on subscription withdrawal (api/withdrawal.ts). */
  credentials?: CredentialCacheHandle
  /** Where SUCIs are de-concealed and vectors computed (crypto-pool.ts); default: on the event loop. createUdm passes its worker pool. */
  crypto?: CryptoPool
}

interface AuthenticationInfoRequest {
  servingNetworkName: string
  ausfInstanceId: string
  resynchronizationInfo?: { rand: string; auts: string }
}

interface AuthEvent {
  nfInstanceId: string
  success: boolean
  timeStamp: string
  authType: string
  servingNetworkName: string
  authRemovalInd?: boolean
  [k: string]: unknown
}

/** Attempts of the SQN compare-and-set before giving up (only another UDM instance can make us lose). */
const MAX_SQN_ATTEMPTS = 50

/** SUCI de-concealment failures → TS 29.503 application errors (see the header of openapi/nudm-ueau.yaml). */
function suciProblem(e: SuciError): ProblemError {
  switch (e.code) {
    case 'UNSUPPORTED_SCHEME':
      return problem(501, 'UNSUPPORTED_PROTECTION_SCHEME', e.message)
    case 'UNKNOWN_KEY_ID':
      return problem(403, 'INVALID_HN_PUBLIC_KEY_IDENTIFIER', e.message)
    case 'INVALID_FORMAT':
      return problem(400, 'MANDATORY_IE_INCORRECT', e.message, [{ param: 'supiOrSuci', reason: e.message }])
    case 'MAC_FAILURE':
    case 'INVALID_EPHEMERAL_KEY':
    case 'INVALID_PLAINTEXT':
      return problem(403, 'INVALID_SCHEME_OUTPUT', e.message)
  }
}

function udrProblem(e: UdrError): ProblemError {
  if (e.kind === 'UNEXPECTED') return problem(500, 'SYSTEM_FAILURE', 'unexpected answer from the UDR')
  return problem(504, 'UPSTREAM_SERVER_ERROR', e.kind === 'NO_UDR' ? 'no UDR available' : 'UDR not reachable')
}


/** Serialises async work per key inside this process. */
function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>()
  return async function run<T>(key: string, f: () => Promise<T>): Promise<T> {
    const prev = tails.get(key) ?? Promise.resolve()
    const p = prev.then(f, f)
    const tail = p.catch(() => undefined)
    tails.set(key, tail)
    try {
      return await p
    } finally {
      if (tails.get(key) === tail) tails.delete(key)
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Per-SUPI memory of this UDM: cached credentials and the SQN block it reserved at the UDR. */
interface AuthState {
  /** K/OPc/AMF/method/IND length as last read (storedSqn/sqnHe in it are stale: never used for SQN). */
  creds: AuthCredentials
  credsUntil: number
  /** The SQN block: `last` handed out, up to `high`; `stored` = the hex SQN_HE we wrote (= high). */
  block?: { last: bigint; high: bigint; stored: string }
}

/**
 * RAND source: the same CSPRNG as crypto.randomBytes, drawn 4 KiB at a time and handed out in slices
 * that are never reused (one randomBytes call per vector costs more than the AES work of Milenage).
 */
function pooledRandom(): (n: number) => Buffer {
  const POOL = 4096
  let pool = Buffer.alloc(0)
  let at = 0
  return (n) => {
    if (n > POOL) return randomBytes(n)
    if (at + n > pool.length) {
      pool = randomBytes(POOL)
      at = 0
    }
    const out = Buffer.from(pool.subarray(at, at + n))
    pool.fill(0, at, at + n)
    at += n
    return out
  }
}

/** Bound on the SUPIs remembered (oldest dropped first, an eighth at a time; a dropped block only skips SQN steps). */
const MAX_AUTH_STATES = 200_000

function isSupi(id: string): boolean {
  return /^imsi-[0-9]{5,15}$/.test(id) || /^nai-.+/.test(id)
}

export function ueauService(deps: UeauDeps): SbiService {
  const { ctx } = deps
  const random = deps.random ?? pooledRandom()
  const crypto = deps.crypto ?? createCryptoPool({ threads: 0 })
  const udr = deps.udr ?? createUdrAuthClient(ctx)
  const keys = deps.homeNetworkKeys ?? loadHomeNetworkKeys(ctx.config.udm?.suciKeys)
  const queue = keyedQueue()
  const sqnBatch = Math.max(1, Math.floor(ctx.config.udm?.sqnBatch ?? 32))
  const credsTtlMs = Math.max(0, (ctx.config.udm?.authSubscriptionCacheSeconds ?? 30) * 1000)
  const now = () => (ctx.clock ? ctx.clock().getTime() : Date.now())
  const states = new BoundedMap<string, AuthState>(MAX_AUTH_STATES)
  /** SUPIs whose credentials are not to be cached until the time given (withdrawn subscribers). */
  const noCacheUntil = new Map<string, number>()
  if (deps.credentials) {
    deps.credentials.forget = (supi) => {
      states.delete(supi)
      const t = now()
      for (const [k, until] of noCacheUntil) if (until <= t) noCacheUntil.delete(k)
      noCacheUntil.set(supi, t + Math.max(credsTtlMs, 1000))
    }
  }
  function remember(supi: string, st: AuthState) {
    states.delete(supi)
    states.set(supi, st)
  }

  async function withUdr<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f()
    } catch (e) {
      if (e instanceof UdrError) {
        ctx.log.warn({ kind: e.kind, status: e.status, err: e.message }, 'Nudr_DR call failed')
        throw udrProblem(e)
      }
      throw e
    }
  }

  /** The SUPI of the path's supiOrSuci; Profile A/B SUCIs are de-concealed in the crypto pool (an ECDH each). */
  async function resolveSupi(supiOrSuci: string): Promise<string> {
    if (isSuci(supiOrSuci)) {
      try {
        if (parseSuci(supiOrSuci).protectionScheme === SCHEME_NULL) return deconcealSuci(supiOrSuci, keys)
        return await crypto.deconceal(supiOrSuci, keys)
      } catch (e) {
        if (e instanceof SuciError) {
          ctx.log.info({ reason: e.code }, 'SUCI de-concealment failed')
          throw suciProblem(e)
        }
        throw e
      }
    }
    if (isSupi(supiOrSuci)) return supiOrSuci
    throw problem(400, 'MANDATORY_IE_INCORRECT', 'supiOrSuci is neither a SUPI nor a SUCI', [{ param: 'supiOrSuci' }])
  }

  async function generateAuthData(req: SbiRequest): Promise<SbiResponse> {
    const body = req.body as AuthenticationInfoRequest
    const snn = body.servingNetworkName
    const sn = parseServingNetworkName(snn)
    if (!sn || (deps.servingNetworkAllowed && !deps.servingNetworkAllowed(sn))) {
      throw problem(403, 'SERVING_NETWORK_NOT_AUTHORIZED', `serving network name not authorized: ${JSON.stringify(snn).slice(0, 80)}`)
    }
    const supi = await resolveSupi(req.params.supiOrSuci!)
    const resync = body.resynchronizationInfo

    // The SUPI's queue covers the SQN only; the vector is computed after (crypto-pool.ts, off the event loop).
    const { creds, sqn } = await queue(supi, () => withUdr(() => takeSqn(supi, resync)))
    const authenticationVector = await crypto.vector(creds.method, { k: creds.k, opc: creds.opc, sqn, amf: creds.amf, rand: random(16), snn })
    return ok({ authType: creds.method, supi, authenticationVector })
  }

  function block(base: bigint, indLength: number) {
    try {
      return sqnBlock(base, sqnBatch, indLength)
    } catch {
      throw problem(403, 'AUTHENTICATION_REJECTED', 'SQN space exhausted for this subscriber')
    }
  }

  /**
   * The SQN for the next vector of `supi` and the credentials to compute it with. Runs inside the
   * SUPI's queue. Every SQN returned lies in a block whose high-water mark the UDR has durably stored.
   */
  async function takeSqn(supi: string, resync: AuthenticationInfoRequest['resynchronizationInfo']): Promise<{ creds: AuthCredentials; sqn: bigint }> {
    let st = states.get(supi)
    if (resync) {
      // A resync invalidates our block (and re-reads K/OPc to verify the AUTS with).
      states.delete(supi)
      st = undefined
    }
    const fresh = st !== undefined && st.credsUntil > now()
    // 1. The next SQN of our block, from memory.
    if (st && fresh && st.block && st.block.last < st.block.high) {
      const sqn = sqnBlock(st.block.last, 1, st.creds.indLength).first
      st.block.last = sqn
      return { creds: st.creds, sqn }
    }
    // 2. Block used up, credentials cached: reserve the next block with one guarded PATCH from the
    //    high-water mark we wrote ourselves (no read). A lost CAS means someone else wrote: re-read.
    if (st && fresh && st.block) {
      const b = block(st.block.high, st.creds.indLength)
      const stored = sqnToHex(b.high)
      if (await udr.compareAndSetSqn(supi, st.block.stored, stored, st.creds.indLength)) {
        st.block = { last: b.first, high: b.high, stored }
        return { creds: st.creds, sqn: b.first }
      }
      states.delete(supi)
    }
    // 3. Read the subscription (fresh K/OPc and SQN_HE) and reserve a block from SQN_HE.
    for (let attempt = 0; attempt < MAX_SQN_ATTEMPTS; attempt++) {
      const sub = await udr.getAuthenticationSubscription(supi)
      if (!sub) {
        states.delete(supi)
        throw problem(404, 'USER_NOT_FOUND', 'no authentication subscription for this user')
      }
      const cr = credentialsFrom(sub)
      if (!cr.ok) {
        states.delete(supi)
        ctx.log.warn({ supi, reason: cr.reason }, 'authentication subscription not usable')
        throw problem(403, 'AUTHENTICATION_REJECTED', cr.reason)
      }
      const c = cr.creds
      const credsUntil = (noCacheUntil.get(supi) ?? 0) > now() ? now() : now() + credsTtlMs
      const prev = states.get(supi)
      // Credentials had expired but nobody wrote the SQN since our reservation: keep using our block.
      if (!resync && prev?.block && prev.block.last < prev.block.high && c.storedSqn === prev.block.stored && c.indLength === prev.creds.indLength) {
        const sqn = sqnBlock(prev.block.last, 1, c.indLength).first
        remember(supi, { creds: c, credsUntil, block: { ...prev.block, last: sqn } })
        return { creds: c, sqn }
      }
      let base = c.sqnHe
      if (resync) {
        const r = verifyAuts(c.k, c.opc, Buffer.from(resync.rand, 'hex'), Buffer.from(resync.auts, 'hex'))
        if (!r.ok) {
          ctx.log.info({ supi, reason: r.reason }, 're-synchronisation refused')
          throw problem(403, 'AUTHENTICATION_REJECTED', 'AUTS does not verify (MAC-S)')
        }
        base = resyncBase(c.sqnHe, r.sqnMs, c.indLength)
      }
      const b = block(base, c.indLength)
      const stored = sqnToHex(b.high)
      if (!(await udr.compareAndSetSqn(supi, c.storedSqn, stored, c.indLength))) {
        states.delete(supi)
        await sleep(Math.min(50, attempt * 2) + Math.floor(Math.random() * 3))
        continue
      }
      remember(supi, { creds: c, credsUntil, block: { last: b.first, high: b.high, stored } })
      return { creds: c, sqn: b.first }
    }
    throw problem(500, 'SYSTEM_FAILURE', 'could not advance the SQN (concurrent updates)')
  }

  async function confirm(req: SbiRequest): Promise<SbiResponse> {
    const supi = req.params.supi!
    const ev = req.body as AuthEvent
    const stored = await withUdr(() => udr.putAuthenticationStatus(supi, ev))
    if (!stored) throw problem(404, 'USER_NOT_FOUND', 'unknown user')
    const authEventId = randomUUID()
    await ctx.events
      .emit(ctx.name, {
        type: 'udm.auth.result',
        supi,
        data: { success: ev.success, authType: ev.authType, servingNetworkName: ev.servingNetworkName, authEventId },
      })
      .catch((e: unknown) => ctx.log.warn({ err: (e as Error).message }, 'event emit failed'))
    const location = `${req.apiRoot}${req.basePath}/${encodeURIComponent(supi)}/auth-events/${authEventId}`
    return created(location, ev)
  }

  async function remove(supi: string): Promise<boolean> {
    const removed = await withUdr(() => udr.deleteAuthenticationStatus(supi))
    if (removed) {
      await ctx.events.emit(ctx.name, { type: 'udm.auth.removed', supi }).catch(() => undefined)
    }
    return removed
  }

  return {
    name: 'nudm-ueau',
    spec: 'nudm-ueau.yaml',
    handlers: {
      GenerateAuthData: generateAuthData,
      ConfirmAuth: confirm,
      async PutAuthEvents(req) {
        const ev = req.body as AuthEvent
        if (ev.authRemovalInd !== true) return confirm(req)
        // Open5GS on deregistration: idempotent, 204 even when nothing was stored.
        await remove(req.params.supi!)
        return noContent()
      },
      async DeleteAuth(req) {
        const ev = req.body as AuthEvent
        if (ev.authRemovalInd !== true) {
          throw problem(400, 'MANDATORY_IE_INCORRECT', 'DeleteAuth needs authRemovalInd = true', [{ param: 'authRemovalInd' }])
        }
        if (!(await remove(req.params.supi!))) throw problem(404, 'CONTEXT_NOT_FOUND', 'no authentication result stored')
        return noContent()
      },
      async DeleteAuthEvent(req) {
        if (!(await remove(req.params.supi!))) throw problem(404, 'CONTEXT_NOT_FOUND', 'no authentication result stored')
        return noContent()
      },
    },
  }
}
