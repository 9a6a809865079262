/**
 * The worker thread of crypto-pool.ts: runs the jobs of each message and answers with one result per
 * job, in order. Buffers arrive as Uint8Arrays (structured clone) and become Buffers over the same
 * memory. The K of a vector job is replaced by the Buffer last seen with the same octets, so Milenage's
 * per-K AES key schedule (kept per Buffer) is reused across the vectors of one subscriber.
 */
import { parentPort } from 'node:worker_threads'
import { runCryptoJob, type CryptoJob, type CryptoResult } from './crypto-pool.ts'

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** Ks seen lately, by their octets (cleared when full: only key schedules are lost). */
const MAX_KEYS = 50_000
const ks = new Map<string, Buffer>()

function sameK(u: Uint8Array): Buffer {
  const k = asBuffer(u)
  const id = k.toString('latin1')
  const hit = ks.get(id)
  if (hit) return hit
  if (ks.size >= MAX_KEYS) ks.clear()
  const own = Buffer.from(k)
  ks.set(id, own)
  return own
}

function revive(job: CryptoJob): CryptoJob {
  if (job.kind === 'suci') return { ...job, keys: job.keys.map((k) => ({ ...k, privateKey: asBuffer(k.privateKey) })) }
  const i = job.input
  return { ...job, input: { k: sameK(i.k), opc: asBuffer(i.opc), sqn: i.sqn, amf: asBuffer(i.amf), rand: asBuffer(i.rand), snn: i.snn } }
}

parentPort!.on('message', (m: { id: number; jobs: CryptoJob[] }) => {
  const out: CryptoResult[] = m.jobs.map((job) => runCryptoJob(revive(job)))
  parentPort!.postMessage({ id: m.id, out })
})
parentPort!.postMessage({ ready: true })
