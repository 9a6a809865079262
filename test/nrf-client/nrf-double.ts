/**
 * An NRF test double (h2c, node:http2 via startFakePeer) that behaves like the free5GC and Open5GS
 * NRFs where our client depends on it, and validates every request against the official TS 29.510
 * schemas in ../shared/3gpp when present (violations are collected, and answered 400 like the real
 * ones would).
 *
 * Behaviour copied from the real NRFs (read from their source, see nf/nrf-client/README.md):
 * - PUT nf-instances: 201 + Location the first time, 200 on re-PUT; the answer carries the profile
 *   with the NRF's heartBeatTimer (Open5GS) and `customInfo.oauth2` (free5GC).
 * - PATCH nf-instances (json-patch): 204 (Open5GS), 404 when the NRF does not know the instance.
 * - DELETE nf-instances: 204, NF_DEREGISTERED to subscribers; 404 when unknown.
 * - discovery: `{validityPeriod, nfInstances}` filtered by target-nf-type and service-names.
 * - subscriptions: 201 + Location + body with subscriptionId and validityTime; DELETE 204.
 * - /oauth2/token (free5GC): form-encoded, requester must be registered with that nfType, RS512 JWT
 *   `{iss, sub, aud, scope, exp, iat}`; with OAuth2 on, every route but NFRegister needs a token
 *   with scope nnrf-nfm or nnrf-disc (free5gc/nrf internal/sbi/server.go, api_nfmanagement.go).
 * - forget(): loses all registrations (restart without persistence); goAway()/comeBack(): the
 *   NRF process stops and starts again on the same port.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT, jwtVerify } from 'jose'
import { startFakePeer, h2request, type FakePeer, type FakeReply, type RecordedRequest } from '../helpers/h2.ts'
import { validate3gpp } from './schemas.ts'

export interface NrfDoubleOptions {
  heartBeatTimer?: number
  validityPeriod?: number
  oauth2?: boolean
  tokenExpiresIn?: number
  /** Send `customInfo.oauth2` in register answers (free5GC does). Default true. */
  customInfo?: boolean
}

export type Profile = Record<string, any>

export class NrfDouble {
  peer!: FakePeer
  port = 0
  readonly nrfInstanceId = randomUUID()
  readonly profiles = new Map<string, Profile>()
  readonly subscriptions = new Map<string, Record<string, any>>()
  readonly violations: string[] = []
  readonly log: RecordedRequest[] = []
  readonly notificationsSent: Array<{ uri: string; body: unknown; status: number }> = []
  tokensIssued = 0
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly publicKeyPem: string
  private down = false

  constructor(readonly opts: NrfDoubleOptions = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    this.privateKey = privateKey
    this.publicKey = publicKey
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<this> {
    this.peer = await startFakePeer((r) => this.handle(r), this.port)
    this.port = Number(new URL(this.peer.url).port)
    this.down = false
    return this
  }

  /** The NRF process stops (connections refused until comeBack). */
  async goAway(): Promise<void> {
    this.down = true
    await this.peer.close()
  }

  /** Starts again on the same port; `forget` drops every registration as a restarted NRF would. */
  async comeBack(forget = true): Promise<void> {
    if (forget) this.forget()
    await this.start()
  }

  forget(): void {
    this.profiles.clear()
    this.subscriptions.clear()
  }

  async close(): Promise<void> {
    if (!this.down) await this.peer.close()
    this.down = true
  }

  requests(method: string, pathPrefix: string): RecordedRequest[] {
    return this.log.filter((r) => r.method === method && r.path.startsWith(pathPrefix))
  }

  async waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const found = this.log.find(pred)
    if (found) return found
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      const f = this.log.find(pred)
      if (f) return f
    }
    throw new Error(`NRF double: no matching request within ${timeoutMs} ms (got ${this.log.map((r) => `${r.method} ${r.path}`).join(', ')})`)
  }

  /** An extra registered instance (e.g. an Open5GS-style profile with nfServiceList). */
  addProfile(p: Profile): void {
    this.profiles.set(p.nfInstanceId, p)
  }

  async issueToken(claims: Record<string, unknown>, expiresInSec: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS512', typ: 'JWT' })
      .setIssuer(this.nrfInstanceId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSec)
      .sign(this.privateKey)
  }

  /** Sends NotificationData to every subscription whose subscrCond matches the profile's type. */
  async notify(event: 'NF_REGISTERED' | 'NF_DEREGISTERED' | 'NF_PROFILE_CHANGED', profile: Profile): Promise<void> {
    for (const sub of this.subscriptions.values()) {
      const cond = sub.subscrCond ?? {}
      if (cond.nfType && cond.nfType !== profile.nfType) continue
      const body: Record<string, unknown> = { event, nfInstanceUri: `${this.url}/nnrf-nfm/v1/nf-instances/${profile.nfInstanceId}` }
      if (event !== 'NF_DEREGISTERED') {
        // NotificationData's nfProfile must not carry allowedNfTypes (TS 29.510 §6.1.6.2.17).
        const { allowedNfTypes: _a, ...rest } = profile
        body.nfProfile = { ...rest, nfServices: (rest.nfServices ?? []).map(({ allowedNfTypes: _b, ...s }: Profile) => s) }
      }
      const errs = await validate3gpp('TS29510_Nnrf_NFManagement.yaml', 'NotificationData', body)
      if (errs?.length) this.violations.push(`NRF double's own NotificationData: ${errs.join('; ')}`)
      const u = new URL(sub.nfStatusNotificationUri)
      const res = await h2request(u.origin, { method: 'POST', path: u.pathname, body })
      this.notificationsSent.push({ uri: sub.nfStatusNotificationUri, body, status: res.status })
    }
  }

  private async check(file: string, schema: string, value: unknown, what: string): Promise<string[]> {
    const errs = await validate3gpp(file, schema, value)
    if (errs?.length) this.violations.push(`${what}: ${errs.join('; ')}`)
    return errs ?? []
  }

  private bad(detail: string): FakeReply {
    return { status: 400, body: { status: 400, title: 'Malformed request syntax', detail } }
  }

  private async authorized(r: RecordedRequest, scope: string): Promise<boolean> {
    if (!this.opts.oauth2) return true
    const m = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''))
    if (!m) return false
    try {
      const { payload } = await jwtVerify(m[1], this.publicKey, { algorithms: ['RS512'] })
      return String(payload.scope ?? '').split(' ').includes(scope)
    } catch {
      return false
    }
  }

  /** Status the double answered to a recorded request. */
  statusOf(r: RecordedRequest): number | undefined {
    return this.statuses.get(r)
  }

  private readonly statuses = new WeakMap<RecordedRequest, number>()

  private async handle(r: RecordedRequest): Promise<FakeReply> {
    this.log.push(r)
    const reply = await this.answer(r)
    this.statuses.set(r, reply.status)
    return reply
  }

  private async answer(r: RecordedRequest): Promise<FakeReply> {
    const url = new URL(r.path, 'http://nrf')
    const p = url.pathname
    const unauthorized: FakeReply = { status: 401, body: { status: 401, cause: 'UNAUTHORIZED', detail: 'token missing or invalid' } }

    let m = /^\/nnrf-nfm\/v1\/nf-instances\/([^/]+)$/.exec(p)
    if (m && r.method === 'PUT') {
      const id = m[1]
      if (r.contentType !== 'application/json') return { status: 415, body: { status: 415 } }
      const errs = await this.check('TS29510_Nnrf_NFManagement.yaml', 'NFProfile', r.body, 'PUT NFProfile')
      if (errs.length) return this.bad(errs.join('; '))
      if (r.body.nfInstanceId !== id) return this.bad('nfInstanceId differs from the URI')
      // free5GC's NRF refuses anything but a UUID v4 (nf_profile_validation.go).
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return this.bad('nfInstanceId is not a UUID v4')
      const existed = this.profiles.has(id)
      const stored: Profile = { ...r.body, heartBeatTimer: this.opts.heartBeatTimer ?? r.body.heartBeatTimer ?? 10 }
      if (this.opts.customInfo !== false) stored.customInfo = { oauth2: Boolean(this.opts.oauth2) }
      this.profiles.set(id, stored)
      void this.notify(existed ? 'NF_PROFILE_CHANGED' : 'NF_REGISTERED', stored).catch(() => undefined)
      return { status: existed ? 200 : 201, body: stored, headers: { location: `${this.url}/nnrf-nfm/v1/nf-instances/${id}` } }
    }
    if (m && r.method === 'PATCH') {
      if (!(await this.authorized(r, 'nnrf-nfm'))) return unauthorized
      if (r.contentType !== 'application/json-patch+json') {
        this.violations.push(`PATCH with content type ${r.contentType}`)
        return { status: 415, body: { status: 415 } }
      }
      if (!Array.isArray(r.body)) return this.bad('PatchItem array expected')
      for (const item of r.body) {
        const errs = await this.check('TS29571_CommonData.yaml', 'PatchItem', item, 'PATCH PatchItem')
        if (errs.length) return this.bad(errs.join('; '))
      }
      const prof = this.profiles.get(m[1])
      if (!prof) return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND', detail: `NFProfile[${m[1]}] not found` } }
      let changed = false
      for (const op of r.body as Array<{ op: string; path: string; value?: unknown }>) {
        const key = op.path.slice(1)
        if (key === 'nfStatus' || key === 'load') prof[key] = op.value
        else if (op.op === 'remove') (delete prof[key], (changed = true))
        else ((prof[key] = op.value), (changed = true))
      }
      if (changed) void this.notify('NF_PROFILE_CHANGED', prof).catch(() => undefined)
      return { status: 204 }
    }
    if (m && r.method === 'DELETE') {
      if (!(await this.authorized(r, 'nnrf-nfm'))) return unauthorized
      const prof = this.profiles.get(m[1])
      if (!prof) return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } }
      this.profiles.delete(m[1])
      await this.notify('NF_DEREGISTERED', prof).catch(() => undefined)
      return { status: 204 }
    }
    if (p === '/nnrf-disc/v1/nf-instances' && r.method === 'GET') {
      if (!(await this.authorized(r, 'nnrf-disc'))) return unauthorized
      const q = url.searchParams
      const target = q.get('target-nf-type')
      const requester = q.get('requester-nf-type')
      if (!target || !requester) return this.bad('target-nf-type and requester-nf-type are mandatory')
      await this.check('TS29510_Nnrf_NFManagement.yaml', 'NFType', target, 'query target-nf-type')
      await this.check('TS29510_Nnrf_NFManagement.yaml', 'NFType', requester, 'query requester-nf-type')
      const names = q.get('service-names')?.split(',') ?? []
      for (const n of names) await this.check('TS29510_Nnrf_NFManagement.yaml', 'ServiceName', n, 'query service-names')
      for (const k of ['snssais', 'target-plmn-list']) {
        const v = q.get(k)
        if (v === null) continue
        try {
          const arr = JSON.parse(v)
          if (!Array.isArray(arr)) this.violations.push(`${k} is not a JSON array`)
          else for (const x of arr) await this.check('TS29571_CommonData.yaml', k === 'snssais' ? 'Snssai' : 'PlmnId', x, `query ${k}`)
        } catch {
          this.violations.push(`${k} is not JSON`)
        }
      }
      const services = (prof: Profile): Profile[] => [...(prof.nfServices ?? []), ...Object.values(prof.nfServiceList ?? {})] as Profile[]
      const nfInstances = [...this.profiles.values()].filter(
        (prof) => prof.nfType === target && (names.length === 0 || services(prof).some((s) => names.includes(s.serviceName))),
      )
      const body = { validityPeriod: this.opts.validityPeriod ?? 100, nfInstances }
      return { status: 200, body }
    }
    if (p === '/nnrf-nfm/v1/subscriptions' && r.method === 'POST') {
      if (!(await this.authorized(r, 'nnrf-nfm'))) return unauthorized
      // subscriptionId is required but readOnly: the request cannot carry it.
      const errs = await this.check('TS29510_Nnrf_NFManagement.yaml', 'SubscriptionData', { subscriptionId: 'pending', ...r.body }, 'POST SubscriptionData')
      if (errs.length) return this.bad(errs.join('; '))
      const id = randomUUID()
      const validityTime = r.body.validityTime ?? new Date(Date.now() + 86400_000).toISOString()
      const sub = { ...r.body, subscriptionId: id, validityTime }
      this.subscriptions.set(id, sub)
      return { status: 201, body: sub, headers: { location: `${this.url}/nnrf-nfm/v1/subscriptions/${id}` } }
    }
    m = /^\/nnrf-nfm\/v1\/subscriptions\/([^/]+)$/.exec(p)
    if (m && r.method === 'DELETE') {
      if (!(await this.authorized(r, 'nnrf-nfm'))) return unauthorized
      this.subscriptions.delete(m[1])
      return { status: 204 }
    }
    if (p === '/oauth2/token' && r.method === 'POST') {
      if (r.contentType !== 'application/x-www-form-urlencoded') {
        this.violations.push(`token request with content type ${r.contentType}`)
        return { status: 400, body: { error: 'invalid_request' } }
      }
      const form = Object.fromEntries(new URLSearchParams(String(r.body ?? '')))
      const errs = await this.check('TS29510_Nnrf_AccessToken.yaml', 'AccessTokenReq', form, 'POST AccessTokenReq')
      if (errs.length) return { status: 400, body: { error: 'invalid_request' } }
      if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } }
      if (!form.nfType || !form.targetNfType) return { status: 400, body: { error: 'invalid_request' } }
      const consumer = this.profiles.get(form.nfInstanceId)
      if (!consumer || consumer.nfType !== form.nfType) return { status: 400, body: { error: 'invalid_client' } }
      const expiresIn = this.opts.tokenExpiresIn ?? 1000
      this.tokensIssued++
      const access_token = await this.issueToken({ sub: form.nfInstanceId, aud: form.targetNfInstanceId ?? form.targetNfType, scope: form.scope }, expiresIn)
      return { status: 200, body: { access_token, token_type: 'Bearer', expires_in: expiresIn, scope: form.scope } }
    }
    return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } }
  }
}
