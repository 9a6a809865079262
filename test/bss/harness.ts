/**
 * BSS test harness: the BSS on an ephemeral HTTP/1.1 port over a fresh SQLite store, a fake UDR
 * (h2c, keeps what is PUT), a fake CHF AccountService (real gRPC server, in memory), JWT helpers.
 */
import * as grpc from '@grpc/grpc-js'
import { SignJWT } from 'jose'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import pino from 'pino'
import { defaultConfig } from '../../config/defaults.ts'
import type { MvnoConfig } from '../../config/schema.ts'
import { createEventSink } from '../../nf/sbi/events.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import type { NfContext, Outbox } from '../../nf/sbi/ports.ts'
import { accountServiceDef } from '../../proto/load.ts'
import type { DocumentStore } from '../../store/port.ts'
import { createBss, type Bss, type BssOptions } from '../../bss/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { openTestStore } from '../helpers/store.ts'
import { mergeConfig, type DeepPartial } from '../helpers/nf.ts'

export const SECRET = 'test-secret-for-bss-0123456789'

export async function token(role: string, sub: string, secret = SECRET): Promise<string> {
  return new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
}

/** In-memory UDR: PUT stores, GET answers 200/404, DELETE removes. `mode` breaks it on purpose. */
export interface FakeUdr {
  peer: FakePeer
  data: Map<string, unknown>
  mode: 'ok' | 'down' | { failPathIncludes: string }
}

export async function startFakeUdr(): Promise<FakeUdr> {
  const data = new Map<string, unknown>()
  const u: FakeUdr = { peer: undefined as unknown as FakePeer, data, mode: 'ok' }
  u.peer = await startFakePeer((req) => {
    const path = req.path.split('?')[0]!
    if (u.mode === 'down') return { status: 503, body: { status: 503, cause: 'NF_CONGESTION' }, headers: { 'content-type': 'application/problem+json' } }
    if (typeof u.mode === 'object' && path.includes(u.mode.failPathIncludes) && req.method === 'PUT') return { status: 500, body: { status: 500, cause: 'SYSTEM_FAILURE' }, headers: { 'content-type': 'application/problem+json' } }
    if (req.method === 'PUT') {
      const existed = data.has(path)
      data.set(path, req.body)
      return { status: existed ? 204 : 201, body: existed ? undefined : req.body }
    }
    if (req.method === 'GET') return data.has(path) ? { status: 200, body: data.get(path) } : { status: 404, body: { status: 404, cause: 'DATA_NOT_FOUND' }, headers: { 'content-type': 'application/problem+json' } }
    if (req.method === 'DELETE') {
      const had = data.delete(path)
      return { status: had ? 204 : 404 }
    }
    return { status: 405 }
  })
  return u
}

/** In-memory AccountService behind a real gRPC server. `failOn` makes a method answer UNAVAILABLE. */
export interface FakeChf {
  address: string
  accounts: Map<string, any>
  calls: { method: string; req: any }[]
  failOn: Set<string>
  usage: Map<string, any[]>
  close(): void
}

export async function startFakeChf(): Promise<FakeChf> {
  const accounts = new Map<string, any>()
  const calls: { method: string; req: any }[] = []
  const failOn = new Set<string>()
  const usage = new Map<string, any[]>()
  const txs = new Map<string, any>()
  const server = new grpc.Server()
  const E = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details })
  const wrap = (method: string, fn: (req: any) => any) => (call: any, cb: any) => {
    calls.push({ method, req: call.request })
    if (failOn.has(method)) return cb(E(grpc.status.UNAVAILABLE, `${method} down (test)`))
    try {
      cb(null, fn(call.request))
    } catch (e: any) {
      cb(e)
    }
  }
  const need = (supi: string) => {
    const a = accounts.get(supi)
    if (!a) throw E(grpc.status.NOT_FOUND, `no account ${supi}`)
    return a
  }
  const money = (supi: string, amount: number, key: string) => {
    if (txs.has(key)) return { ...txs.get(key), replayed: true }
    const a = need(supi)
    a.balance += amount
    const out = { account: a, transactionId: `tx-${txs.size + 1}`, replayed: false }
    txs.set(key, out)
    return out
  }
  server.addService(accountServiceDef().service, {
    CreateAccount: wrap('CreateAccount', (r) => {
      const a = accounts.get(r.supi)
      if (a) {
        if (a.idempotencyKey === r.idempotencyKey) return a
        throw E(grpc.status.ALREADY_EXISTS, `account ${r.supi} exists`)
      }
      const acct = { supi: r.supi, gpsi: r.gpsi, planId: r.planId, currency: r.currency, balance: r.openingBalance, reserved: 0, bundles: r.bundles, state: 'ACTIVE', barReason: '', plan: r.plan, createdAt: '', updatedAt: '', idempotencyKey: r.idempotencyKey }
      accounts.set(r.supi, acct)
      return acct
    }),
    GetAccount: wrap('GetAccount', (r) => need(r.supi)),
    TopUp: wrap('TopUp', (r) => money(r.supi, r.amount, r.idempotencyKey)),
    Adjust: wrap('Adjust', (r) => money(r.supi, r.amount, r.idempotencyKey)),
    AddBundle: wrap('AddBundle', (r) => {
      const a = need(r.supi)
      a.bundles.push(r.bundle)
      return a
    }),
    RemoveBundle: wrap('RemoveBundle', (r) => {
      const a = need(r.supi)
      a.bundles = a.bundles.filter((b: any) => b.id !== r.bundleId)
      return a
    }),
    ChangePlan: wrap('ChangePlan', (r) => {
      const a = need(r.supi)
      a.planId = r.planId
      a.plan = r.plan
      a.bundles = [...a.bundles.filter((b: any) => b.source !== 'PLAN'), ...r.bundles]
      return a
    }),
    Bar: wrap('Bar', (r) => Object.assign(need(r.supi), { state: 'BARRED', barReason: r.reason })),
    Unbar: wrap('Unbar', (r) => Object.assign(need(r.supi), { state: 'ACTIVE', barReason: '' })),
    DeleteAccount: wrap('DeleteAccount', (r) => {
      const a = need(r.supi)
      accounts.delete(r.supi)
      return { supi: r.supi, finalBalance: a.balance }
    }),
    ListRatedUsage: wrap('ListRatedUsage', (r) => ({ records: (usage.get(r.supi) ?? []).filter((u) => (!r.from || u.ts >= r.from) && (!r.to || u.ts < r.to)), nextPageToken: '' })),
  })
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))))
  return { address: `127.0.0.1:${port}`, accounts, calls, failOn, usage, close: () => server.forceShutdown() }
}

export interface BssTest {
  url: string
  bss: Bss
  ctx: NfContext
  store: DocumentStore
  udr: FakeUdr
  chf: FakeChf
  admin: string
  care: string
  /** A request as `role` (a token string) or with `apiKey`. */
  req(method: string, path: string, o?: { token?: string; apiKey?: string; body?: unknown; headers?: Record<string, string>; raw?: string; contentType?: string }): Promise<{ status: number; headers: Headers; body: any; text: string }>
  close(): Promise<void>
}

export async function startBssTest(
  o: { config?: DeepPartial<MvnoConfig>; bss?: BssOptions; clock?: () => Date; store?: DocumentStore; udrUrl?: string; chfAddress?: string } = {},
): Promise<BssTest> {
  const store = o.store ?? (await openTestStore())
  const udr = await startFakeUdr()
  const chf = await startFakeChf()
  const [host, port] = (o.chfAddress ?? chf.address).split(':')
  const config = mergeConfig(
    mergeConfig(defaultConfig(), {
      bss: { jwtSecret: SECRET, apiKeys: { 'admin-key-0123456789': { role: 'admin', subject: 'ops-bot' } } },
      grpc: { host, port: Number(port) },
      peers: { udr: [o.udrUrl ?? udr.peer.url] },
    } as DeepPartial<MvnoConfig>),
    o.config,
  )
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const clock = o.clock ?? (() => new Date())
  const client = createSbiClient({ log, timeoutMs: 2000 })
  const outbox: Outbox = { enqueue: async () => 'x', drain: async () => {} }
  const ctx: NfContext = {
    name: 'bss',
    config,
    store,
    client,
    outbox,
    events: createEventSink(store, clock),
    peers: { apiRoots: async ({ nfType }) => (nfType === 'UDR' ? (config.peers.udr ?? []) : []) },
    log,
    clock,
    apiRoot: '',
  }
  const bss = createBss(ctx, { noticePollMs: 0, renewalPollMs: 0, webhookPollMs: 30, webhookBackoffMs: 20, ...(o.bss ?? {}) })
  const server: Server = await new Promise((resolve) => {
    const s = bss.app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  ctx.apiRoot = url
  await bss.start()
  const admin = await token('admin', 'alice-admin')
  const care = await token('care', 'bob-agent')
  return {
    url,
    bss,
    ctx,
    store,
    udr,
    chf,
    admin,
    care,
    async req(method, path, r = {}) {
      const headers: Record<string, string> = { ...(r.headers ?? {}) }
      const tok = r.token === undefined ? admin : r.token
      if (r.apiKey) headers['x-api-key'] = r.apiKey
      else if (tok) headers.authorization = `Bearer ${tok}`
      let body: string | undefined
      if (r.raw !== undefined) {
        body = r.raw
        headers['content-type'] = r.contentType ?? 'text/csv'
      } else if (r.body !== undefined) {
        body = JSON.stringify(r.body)
        headers['content-type'] = r.contentType ?? 'application/json'
      }
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) })
      const text = await res.text()
      let parsed: any = text
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {}
      return { status: res.status, headers: res.headers, body: parsed, text }
    },
    async close() {
      await bss.stop()
      await new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections?.()
      await udr.peer.close()
      chf.close()
      await client.close()
      if (!o.store) await store.close()
    },
  }
}

export const K = '465b5ce8b199b49faa5f0a2ee238a6bc'
export const OPC = 'cd63cb71954a9f4e48a5994e37a02baf'

export function simCsv(n: number, start = 1, imsiPrefix = '99970000000', iccidPrefix = '8999700000000'): string {
  const lines = ['ICCID,IMSI,KI,OPC']
  for (let i = 0; i < n; i++) {
    const x = String(start + i)
    lines.push(`${iccidPrefix}${x.padStart(19 - iccidPrefix.length, '0')},${imsiPrefix}${x.padStart(15 - imsiPrefix.length, '0')},${K},${OPC}`)
  }
  return lines.join('\n')
}

export const PREPAID_PLAN = {
  id: 'prepaid-10',
  name: 'Prepaid 10 GB',
  paymentType: 'prepaid',
  currency: 'EUR',
  recurringCharge: { amount: 1000, period: 'P1M' },
  openingBalance: 500,
  lowBalanceThreshold: 100,
  allowances: [{ ratingGroup: 10, unit: 'VOLUME', amount: 10 * 1024 ** 3 }],
  tariffs: [
    { ratingGroup: 10, unit: 'VOLUME', price: 2, unitSize: 1048576 },
    { ratingGroup: 20, unit: 'TIME', price: 5, unitSize: 60, timeFrom: '08:00', timeTo: '20:00' },
    { ratingGroup: 10, unit: 'VOLUME', price: 50, zone: 'eu' },
  ],
  roamingZones: [{ id: 'eu', plmns: ['20801', '26201'] }],
  policy: { normal: { ambrUl: '50 Mbps', ambrDl: '100 Mbps', fiveQi: 9 }, exhausted: { ambrUl: '1 Mbps', ambrDl: '1 Mbps', fiveQi: 9 }, finalUnitAction: 'THROTTLE' },
}

export const POSTPAID_PLAN = {
  id: 'postpaid-50',
  name: 'Postpaid 50 GB',
  paymentType: 'postpaid',
  currency: 'EUR',
  recurringCharge: { amount: 3000, period: 'P1M' },
  creditLimit: 10000,
  allowances: [{ ratingGroup: 10, unit: 'VOLUME', amount: 50 * 1024 ** 3 }],
  tariffs: [{ ratingGroup: 10, unit: 'VOLUME', price: 1 }],
  policy: { normal: { ambrUl: '200 Mbps', ambrDl: '500 Mbps', fiveQi: 8 }, finalUnitAction: 'TERMINATE' },
}

/** Catalogue + customer + numbers + SIMs, ready for orders. */
export async function seed(t: BssTest, sims = 5): Promise<void> {
  const ok = (r: { status: number; text: string }, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`)
  }
  ok(await t.req('POST', '/productCatalogManagement/v4/productOffering', { body: PREPAID_PLAN }), 'prepaid plan')
  ok(await t.req('POST', '/productCatalogManagement/v4/productOffering', { body: POSTPAID_PLAN }), 'postpaid plan')
  ok(await t.req('POST', '/customerManagement/v4/customer', { body: { id: 'cust-1', name: 'Ada Lovelace', email: 'ada@example.com' } }), 'customer')
  ok(await t.req('POST', '/resourceInventory/v1/msisdnRange', { body: { from: '491700000000', to: '491700000099', quarantineDays: 30 } }), 'range')
  ok(await t.req('POST', '/resourceInventory/v1/sim/import', { raw: simCsv(sims) }), 'sims')
}

export function newOrder(planId = 'prepaid-10', extra: Record<string, unknown> = {}) {
  return { customerId: 'cust-1', productOrderItem: [{ action: 'add', productOffering: { id: planId }, ...extra }] }
}
