/**
 * Starts one NF the way `mvno start` does (real SBI server over h2c on an ephemeral port, real
 * outbox and event sink), on a fresh store, for protocol tests.
 */
import pino from 'pino'
import type { MvnoConfig } from '../../config/schema.ts'
import { defaultConfig } from '../../config/defaults.ts'
import { mergeDeep } from '../../config/load.ts'
import { createSbiServer } from '../../nf/sbi/server.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import { createOutbox } from '../../nf/sbi/outbox.ts'
import { createEventSink } from '../../nf/sbi/events.ts'
import type { NfContext, NfModule, NfName, PeerResolver } from '../../nf/sbi/ports.ts'
import { staticPeerRoots } from '../../nf/nrf-client/index.ts'
import type { DocumentStore } from '../../store/port.ts'
import { openTestStore } from './store.ts'
import { h2request, type H2Response } from './h2.ts'

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] }

export function mergeConfig<T>(base: T, over: DeepPartial<T> | undefined): T {
  return over ? (mergeDeep(base as Record<string, unknown>, over as Record<string, unknown>) as T) : base
}

/** Static peers: by NF type, from `config.peers`, as the NRF client resolves them without an NRF. */
export function staticPeers(config: MvnoConfig): PeerResolver {
  return { apiRoots: async ({ nfType }) => staticPeerRoots(config.peers, nfType) }
}

export interface TestNf {
  url: string
  ctx: NfContext
  module: NfModule
  store: DocumentStore
  request<T = any>(method: string, path: string, body?: unknown, o?: { headers?: Record<string, string>; contentType?: string; query?: Record<string, string> }): Promise<H2Response<T>>
  close(): Promise<void>
}

export interface StartTestNfOptions {
  name?: NfName
  config?: DeepPartial<MvnoConfig>
  store?: DocumentStore
  /** Keep the store open on close (when the test shares it between NFs). */
  keepStore?: boolean
  peers?: MvnoConfig['peers'] | PeerResolver
  clock?: () => Date
  logLevel?: string
}

export async function startTestNf(create: (ctx: NfContext) => NfModule | Promise<NfModule>, opts: StartTestNfOptions = {}): Promise<TestNf> {
  const config = mergeConfig(defaultConfig(), opts.config)
  if (opts.peers && !('apiRoots' in opts.peers)) config.peers = { ...config.peers, ...opts.peers }
  const store = opts.store ?? (await openTestStore())
  const log = pino({ level: opts.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent' })
  const clock = opts.clock ?? (() => new Date())
  const client = createSbiClient({ log, timeoutMs: 3000 })
  const outbox = createOutbox({ store, client, log, clock, pollMs: 50, baseBackoffMs: 50, maxBackoffMs: 500 })
  const peers = opts.peers && 'apiRoots' in opts.peers ? opts.peers : staticPeers(config)
  const name = opts.name ?? 'udr'
  // The apiRoot is known only after listen; handlers read ctx.apiRoot lazily.
  const ctx: NfContext = { name, config, store, client, outbox, events: createEventSink(store, clock), peers, log, clock, apiRoot: '' }
  const module = await create(ctx)
  const server = createSbiServer({ nf: module.name, host: '127.0.0.1', port: 0, services: module.services, log })
  const url = await server.listen()
  ctx.apiRoot = url
  await module.start?.()
  outbox.start()
  return {
    url,
    ctx,
    module,
    store,
    request(method, path, body, o = {}) {
      const qs = o.query ? `?${new URLSearchParams(o.query).toString()}` : ''
      return h2request(url, { method, path: path + qs, body, headers: o.headers, contentType: o.contentType })
    },
    async close() {
      await module.stop?.()
      await outbox.stop()
      await server.close()
      await client.close()
      if (!opts.store && !opts.keepStore) await store.close()
    },
  }
}
