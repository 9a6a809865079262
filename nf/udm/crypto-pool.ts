/**
 * The UEAU's public-key and vector crypto, off the event loop. De-concealing a Profile A or B SUCI
 * (TS 33.501 Annex C: an X25519 or P-256 ECDH, ~250 µs on a small VM) and computing an authentication
 * vector (Milenage and the KDFs of §6.1.3, ~20–30 µs) are pure CPU work; `udm.cryptoThreads` worker
 * threads (default 1) do it, so the UDM's event loop only handles HTTP/2, the SQN reservation and the
 * UDR, and a host with more cores uses them. Jobs asked for in one event-loop turn travel to a worker
 * as one message (round robin over the workers) and come back as one.
 *
 *   const pool = createCryptoPool({ threads: 1, log })
 *   const supi = await pool.deconceal(suci, homeNetworkKeys)                 // throws SuciError as deconcealSuci does
 *   const av = await pool.vector('5G_AKA', { k, opc, sqn, amf, rand, snn })  // AuthenticationVector (hex)
 *   await pool.close()
 *
 * `threads: 0` computes on the calling thread (the domain functions, synchronously behind a promise).
 * K, OPc and the home-network private keys cross to the worker in memory only (structured clone); nothing
 * here logs them. Workers start on the first job, or at `warm()` (createUdm's start: a worker loads its
 * TypeScript modules in ~100–200 ms, which the first authentication should not wait for). A worker that dies (or fails to load) never fails a
 * request: the jobs it held are computed here, as are all later ones of that slot (logged once). Both
 * computations are deterministic given their inputs (RAND included), so computing a job again gives the
 * same answer.
 */
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { authenticationVector, type AuthenticationVectorHex, type AvInput, type AvMethod } from './domain/auth-vectors.ts'
import { deconcealSuci, SuciError, type HomeNetworkKey, type SuciErrorCode } from './domain/suci.ts'

export interface CryptoPool {
  /** SUCI → SUPI (domain/suci.ts deconcealSuci); rejects with its SuciError. */
  deconceal(suci: string, keys: readonly HomeNetworkKey[]): Promise<string>
  /** One authentication vector of the method (domain/auth-vectors.ts authenticationVector). */
  vector(method: AvMethod, input: AvInput): Promise<AuthenticationVectorHex>
  /** Starts the workers and resolves once each has loaded (or failed: its slot computes on the event loop). */
  warm(): Promise<void>
  close(): Promise<void>
}

/** One job as sent to a worker. */
export type CryptoJob = { kind: 'av'; method: AvMethod; input: AvInput } | { kind: 'suci'; suci: string; keys: readonly HomeNetworkKey[] }

/** A worker's answer for one job: the vector or the SUPI, or what the domain function threw. */
export type CryptoResult = { av: AuthenticationVectorHex } | { supi: string } | { error: string; suciCode?: SuciErrorCode }

/** What a job computes, on whichever thread runs it. */
export function runCryptoJob(job: CryptoJob): CryptoResult {
  try {
    if (job.kind === 'suci') return { supi: deconcealSuci(job.suci, job.keys) }
    return { av: authenticationVector(job.method, job.input) }
  } catch (e) {
    if (e instanceof SuciError) return { error: e.message, suciCode: e.code }
    return { error: (e as Error).message }
  }
}

interface Pending {
  job: CryptoJob
  resolve: (v: never) => void
  reject: (e: Error) => void
}

/**
 * The worker's entry: an ES module run from source. It registers cli/ts-loader.mjs to load the
 * TypeScript sources (that hook registers itself on the main thread only; under tsx, in the tests,
 * both hooks are present and the last registered, this one, loads the .ts files).
 */
const BOOT = `
import { workerData } from 'node:worker_threads'
import { register } from 'node:module'
register(workerData.loader)
await import(workerData.entry)
`
const ENTRY = new URL('./crypto-worker.ts', import.meta.url).href
const LOADER = new URL('../../cli/ts-loader.mjs', import.meta.url).href

function settle(p: Pending, r: CryptoResult): void {
  if ('av' in r) p.resolve(r.av as never)
  else if ('supi' in r) p.resolve(r.supi as never)
  else p.reject(r.suciCode ? new SuciError(r.suciCode, r.error) : new Error(r.error))
}

const computeHere = (p: Pending) => settle(p, runCryptoJob(p.job))

const WARM_MAX_MS = 10_000

class CryptoThread {
  private worker: Worker | undefined
  private dead = false
  private closing = false
  private queued: Pending[] = []
  private readonly inFlight = new Map<number, Pending[]>()
  private nextId = 1
  /** Resolves when the worker has loaded its module (its first message) or has failed. */
  private ready: Promise<void> | undefined
  private markReady: (() => void) | undefined

  constructor(
    private readonly log: Logger | undefined,
    private readonly entry: string,
  ) {}

  add(p: Pending): void {
    if (this.dead) return computeHere(p)
    if (this.queued.length === 0) setImmediate(() => this.flush())
    this.queued.push(p)
  }

  /** Waits for the worker's load for at most WARM_MAX_MS (jobs sent before it has loaded wait in its queue). */
  async warm(): Promise<void> {
    if (this.dead) return
    this.worker ??= this.start()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.ready, new Promise<void>((r) => (timer = setTimeout(r, WARM_MAX_MS).unref()))])
    clearTimeout(timer)
  }

  private start(): Worker {
    const w = new Worker(BOOT, { eval: true, workerData: { entry: this.entry, loader: LOADER } })
    w.unref()
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve))
    w.on('message', (m: { ready?: true; id: number; out: CryptoResult[] }) => {
      if (m.ready) return this.markReady?.()
      const batch = this.inFlight.get(m.id)
      if (!batch) return
      this.inFlight.delete(m.id)
      for (let i = 0; i < batch.length; i++) settle(batch[i]!, m.out[i] ?? { error: 'no answer from the crypto worker' })
    })
    w.on('error', (e) => this.fail(e.message))
    w.on('exit', (code) => this.fail(`exited with code ${code}`))
    return w
  }

  private flush(): void {
    const batch = this.queued
    this.queued = []
    if (batch.length === 0) return
    if (this.dead) return batch.forEach(computeHere)
    this.worker ??= this.start()
    const id = this.nextId++
    this.inFlight.set(id, batch)
    try {
      this.worker.postMessage({ id, jobs: batch.map((p) => p.job) })
    } catch (e) {
      // A job that cannot be cloned (a programming error): compute this batch here, keep the worker.
      this.inFlight.delete(id)
      this.log?.error({ err: (e as Error).message }, 'UDM crypto jobs could not be sent to the worker: computed on the event loop')
      batch.forEach(computeHere)
    }
  }

  /** The worker is gone: what it held and everything after is computed on this thread. */
  private fail(reason: string): void {
    if (this.dead) return
    this.dead = true
    this.worker = undefined
    this.markReady?.()
    if (!this.closing) this.log?.error({ reason }, 'UDM crypto worker failed: computing SUCIs and vectors on the event loop from now on')
    const held = [...this.inFlight.values()].flat()
    this.inFlight.clear()
    held.forEach(computeHere)
  }

  /** Jobs queued or in flight are computed here rather than lost with the worker. */
  async close(): Promise<void> {
    this.closing = true
    const w = this.worker
    this.fail('closed')
    const queued = this.queued
    this.queued = []
    queued.forEach(computeHere)
    if (w) await w.terminate()
  }
}

export interface CryptoPoolOptions {
  /** Worker threads; 0 = compute on the calling thread. */
  threads: number
  log?: Logger
  /** The worker module (URL); default ./crypto-worker.ts. Tests give one that fails. */
  entry?: string
}

export function createCryptoPool(opts: CryptoPoolOptions): CryptoPool {
  const n = Math.max(0, Math.floor(opts.threads))
  const threads = Array.from({ length: n }, () => new CryptoThread(opts.log, opts.entry ?? ENTRY))
  let next = 0
  function run<T>(job: CryptoJob): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { job, resolve: resolve as (v: never) => void, reject }
      if (n === 0) return computeHere(p)
      const t = threads[next]!
      next = (next + 1) % n
      t.add(p)
    })
  }
  return {
    deconceal: (suci, keys) => run({ kind: 'suci', suci, keys }),
    vector: (method, input) => run({ kind: 'av', method, input }),
    async warm() {
      await Promise.all(threads.map((t) => t.warm()))
    },
    async close() {
      await Promise.all(threads.map((t) => t.close()))
    },
  }
}
