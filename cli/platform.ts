/**
 * Starts a chosen set of NFs in one process, each on its own address and port with its own NRF
 * registration, over one store (DESIGN §1 "one process or many"). Used by `mvno start`, the
 * journey test and the demo.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pino, { type Logger } from 'pino'
import * as grpc from '@grpc/grpc-js'
import type { MvnoConfig } from '../config/schema.ts'
import { openStore } from '../store/index.ts'
import type { DocumentStore } from '../store/port.ts'
import { createSbiServer, type AccessTokenVerifier, type SbiServer } from '../nf/sbi/server.ts'
import { createSbiClient } from '../nf/sbi/client.ts'
import { createOutbox, outboxRetention, type RunningOutbox } from '../nf/sbi/outbox.ts'
import { createEventSink, eventRetention } from '../nf/sbi/events.ts'
import { createRetentionSweeper, daysToMs, type RetentionRule, type RetentionSweeper } from '../nf/sbi/retention.ts'
import type { NfContext, NfModule, NfName, NfType, SbiClient } from '../nf/sbi/ports.ts'
import { scpDiscoveryHeaders } from '../nf/nrf-client/scp.ts'
import { createUdr } from '../nf/udr/index.ts'
import { createUdm } from '../nf/udm/index.ts'
import { createPcf } from '../nf/pcf/index.ts'
import { createChf } from '../nf/chf/index.ts'
import { createBss } from '../bss/index.ts'
import { createNrfClient, stableInstanceId } from '../nf/nrf-client/index.ts'
import { createAccessTokenVerifier } from '../nf/sbi/oauth2.ts'
import { registerEventFeed } from '../nf/sbi/event-feed.ts'
import { readFileSync } from 'node:fs'

export const ALL_NFS: NfName[] = ['udr', 'udm', 'pcf', 'chf', 'bss']
const NF_TYPES: Record<Exclude<NfName, 'bss'>, NfType> = { udr: 'UDR', udm: 'UDM', pcf: 'PCF', chf: 'CHF' }

type SbiFactory = (ctx: NfContext) => NfModule | Promise<NfModule>
interface BssApp {
  app: http.RequestListener
  start?(): Promise<void>
  stop?(): Promise<void>
  retention?: RetentionRule[]
}

/**
 * Static imports on purpose: a dynamic import() next to a CommonJS-loaded caller (mocha + tsx) gives
 * a second copy of every shared module (two ProblemError classes, two metric registries).
 */
const FACTORIES: Record<Exclude<NfName, 'bss'>, SbiFactory> = { udr: createUdr, udm: createUdm, pcf: createPcf, chf: createChf }

export interface RunningNf {
  name: NfName
  url: string
  nfInstanceId?: string
}

export interface Platform {
  nfs: RunningNf[]
  grpcAddress?: string
  store: DocumentStore
  client: SbiClient
  log: Logger
  /** One retention sweep now (it also runs every `retention.sweepMinutes`): deleted counts by rule. */
  sweepRetention(): Promise<Record<string, number>>
  stop(): Promise<void>
}

export interface StartPlatformOptions {
  config: MvnoConfig
  nfs?: NfName[]
  log?: Logger
  /** Use this store instead of opening the configured one (tests); not closed on stop. */
  store?: DocumentStore
  clock?: () => Date
}


/**
 * With an SCP (Open5GS's default, model D) consumer requests go to the SCP's apiRoot, which picks
 * the producer from the `3gpp-Sbi-Discovery-*` headers: this wrapper adds them for the NF that asks.
 */
function viaScp(client: SbiClient, scpUri: string, requester: NfType): SbiClient {
  const root = scpUri.replace(/\/+$/, '')
  return {
    close: () => client.close(),
    request(req) {
      const uris = Array.isArray(req.uri) ? req.uri : [req.uri]
      if (!req.targetNfType || !req.scope || !uris.some((u) => u.startsWith(root))) return client.request(req)
      const headers = { ...scpDiscoveryHeaders({ nfType: req.targetNfType, serviceName: req.scope }, requester), ...req.headers }
      return client.request({ ...req, headers })
    },
  }
}

export async function startPlatform(opts: StartPlatformOptions): Promise<Platform> {
  const { config } = opts
  const chosen = opts.nfs ?? ALL_NFS
  const log = opts.log ?? pino({ level: config.log.level }, pino.destination(2))
  const clock = opts.clock ?? (() => new Date())
  const store = opts.store ?? (await openStore(config))
  const sbiHost = config.sbi.host
  const advertise = config.sbi.advertiseHost ?? (sbiHost === '0.0.0.0' || sbiHost === '::' ? '127.0.0.1' : sbiHost)
  const scheme = config.sbi.tls ? 'https' : 'http'

  // Static peers from config win; NFs started here fill in the rest once they listen (ports may be
  // ephemeral), so this object stays mutable and peer resolution reads it at call time.
  const peersConfig: MvnoConfig['peers'] = { ...config.peers }
  const effective: MvnoConfig = { ...config, peers: peersConfig }

  const rawClient = createSbiClient({ log, timeoutMs: config.sbi.clientTimeoutMs, caFile: config.sbi.tls?.ca })
  // With no NRF configured it resolves peers from `peers` and registers nothing.
  const nrf = createNrfClient({ config: effective, store, client: rawClient, log: log.child({ nf: 'nrf-client' }), clock })
  const client = nrf.tokens ? createSbiClient({ log, timeoutMs: config.sbi.clientTimeoutMs, caFile: config.sbi.tls?.ca, tokens: nrf.tokens }) : rawClient
  const outbox: RunningOutbox = createOutbox({ store, client, log: log.child({ component: 'outbox' }), clock, expiresInMs: config.outbox.expiresInMs, pollMs: config.outbox.pollMs })
  const events = createEventSink(store, clock)

  const servers: SbiServer[] = []
  const modules: NfModule[] = []
  const running: RunningNf[] = []
  let bss: { server: http.Server; app: BssApp } | undefined
  let grpcServer: grpc.Server | undefined
  let grpcAddress: string | undefined
  let retention: RetentionSweeper | undefined

  const stop = async () => {
    await retention?.stop()
    await nrf.stop().catch((err) => log.warn({ err }, 'NRF deregistration failed'))
    await Promise.all(servers.map((s) => s.close()))
    if (bss) await new Promise<void>((r) => bss!.server.close(() => r()))
    await bss?.app.stop?.()
    for (const m of modules) await m.stop?.().catch((err) => log.warn({ err, nf: m.name }, 'NF stop failed'))
    await outbox.stop()
    if (grpcServer) await new Promise<void>((r) => grpcServer!.tryShutdown(() => r()))
    await client.close()
    if (client !== rawClient) await rawClient.close()
    if (!opts.store) await store.close()
  }

  try {
    for (const name of chosen) {
      if (name === 'bss') continue
      if (config[name].enabled === false) continue
      const ctx: NfContext = { name, config: effective, store, client, outbox, events, peers: nrf.peersFor(name), log: log.child({ nf: name }), clock, apiRoot: '' }
      if (config.scp?.uri) ctx.client = viaScp(client, config.scp.uri, NF_TYPES[name])
      const module = await FACTORIES[name](ctx)
      const nfInstanceId = await stableInstanceId(store, name, config[name].nfInstanceId)
      let verifier: AccessTokenVerifier | undefined
      if (config.oauth2.enabled) {
        if (!config.oauth2.nrfPublicKey) throw new Error('oauth2.enabled needs oauth2.nrfPublicKey (the NRF public key or certificate PEM file)')
        // free5GC's NRF leaves `aud` empty unless the consumer named a target instance: accept a
        // token without audience, but never one addressed to another NF.
        verifier = createAccessTokenVerifier({ publicKey: readFileSync(config.oauth2.nrfPublicKey, 'utf8'), nfInstanceId, nfType: module.nfType, audience: 'if-present' })
      }
      const services = [...module.services, nrf.callbackService]
      const server = createSbiServer({
        nf: name,
        host: config[name].host ?? sbiHost,
        port: config[name].port,
        tls: config.sbi.tls,
        services,
        log: ctx.log,
        maxBodyBytes: config.sbi.maxBodyBytes,
        oauth2: verifier,
      })
      const url = await server.listen()
      ctx.apiRoot = `${scheme}://${advertise}:${new URL(url).port}`
      if (!config.peers[name]?.length) peersConfig[name] = [ctx.apiRoot]
      servers.push(server)
      modules.push(module)
      running.push({ name, url: ctx.apiRoot, nfInstanceId })
      await nrf.register({ name, module, apiRoot: ctx.apiRoot, nfInstanceId })
    }

    if (config.grpc.port !== 0 || modules.some((m) => m.registerGrpc)) {
      grpcServer = new grpc.Server()
      for (const m of modules) m.registerGrpc?.(grpcServer)
      registerEventFeed(grpcServer, store)
      const host = config.grpc.host ?? sbiHost
      const port = await new Promise<number>((resolve, reject) =>
        grpcServer!.bindAsync(`${host}:${config.grpc.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(new Error(`grpc: cannot listen on ${host}:${config.grpc.port}: ${err.message}`)) : resolve(p),
        ),
      )
      grpcAddress = `${host}:${port}`
    }

    if (chosen.includes('bss') && config.bss.enabled !== false) {
      const bssConfig: MvnoConfig = grpcAddress ? { ...effective, grpc: { ...effective.grpc, port: Number(grpcAddress.split(':').pop()) } } : effective
      const ctx: NfContext = { name: 'bss', config: bssConfig, store, client, outbox, events, peers: nrf.peers, log: log.child({ nf: 'bss' }), clock, apiRoot: '' }
      const app = (await createBss(ctx)) as unknown as BssApp
      const server = http.createServer(app.app)
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(new Error(err.code === 'EADDRINUSE' ? `bss: port ${config.bss.port} on ${config.bss.host ?? sbiHost} is already in use` : `bss: ${err.message}`)),
        )
        server.listen(config.bss.port, config.bss.host ?? sbiHost, () => resolve())
      })
      const port = (server.address() as AddressInfo).port
      ctx.apiRoot = `http://${advertise}:${port}`
      bss = { server, app }
      running.push({ name: 'bss', url: ctx.apiRoot })
    }

    for (const m of modules) await m.start?.()
    await bss?.app.start?.()
    outbox.start()
    const r = config.retention
    retention = createRetentionSweeper({
      store,
      rules: [outboxRetention(daysToMs(r.outboxDays)), eventRetention(daysToMs(r.eventsDays)), ...modules.flatMap((m) => m.retention ?? []), ...(bss?.app.retention ?? [])],
      log: log.child({ component: 'retention' }),
      clock,
      everyMs: r.sweepMinutes * 60_000,
    })
    retention.start()
  } catch (err) {
    await stop().catch(() => {})
    throw err
  }

  return { nfs: running, grpcAddress, store, client, log, sweepRetention: () => retention!.sweep(), stop }
}
