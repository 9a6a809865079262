/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * the threshold (1000 pages): it copies the WAL into the database file and, with synchronous=NORMAL,
 * fsyncs both, all on the thread that committed. Measured on inserts of 2.5 KB documents: ~25 µs per
 * row of the ~45 µs a commit cost. Here a worker thread with its own connection to the same file runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`: a passive checkpoint never takes the write lock
 * nor waits for readers, and the next writer rewinds the WAL once everything in it is copied. The main
 * connection keeps an automatic checkpoint at a high threshold as a safety net (a stalled worker can
 * only let the WAL grow to that size).
 *
 * Durability is not changed: a commit is durable (or not) when it is in the WAL, before any checkpoint.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 1000')
db.pragma('synchronous = ' + workerData.synchronous)
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
let frames = 0
const timer = setInterval(() => {
  try {
    const r = checkpoint.get()
    frames += r.checkpointed
  } catch (e) {
    // busy (another checkpoint running) or the file is gone: try again at the next tick
  }
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m === 'stats') parentPort.postMessage({ frames })
  if (m === 'close') {
    clearInterval(timer)
    try { checkpoint.get() } catch {}
    db.close()
    parentPort.close()
  }
})
`

export interface CheckpointerOptions {
  path: string
  synchronous: 'FULL' | 'NORMAL'
  intervalMs?: number
}

export class WalCheckpointer {
  private readonly worker: Worker
  private readonly exited: Promise<void>

  constructor(opts: CheckpointerOptions) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3')
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, path: opts.path, synchronous: opts.synchronous, intervalMs: opts.intervalMs ?? 100 },
    })
    this.worker.unref()
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()))
    this.worker.on('error', () => {}) // the main connection's safety-net checkpoint takes over
  }

  /** Frames the worker has copied into the database file so far. */
  frames(): Promise<number> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: { frames: number }) => resolve(m.frames))
      this.worker.postMessage('stats')
    })
  }

  async close(): Promise<void> {
    // Held while closing: with the worker unreferenced and nothing else left, the process would exit
    // (with code 0) in the middle of this await.
    this.worker.ref()
    this.worker.postMessage('close')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 2000)))])
    clearTimeout(timer)
    await this.worker.terminate()
  }
}
