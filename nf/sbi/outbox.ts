/**
 * The notification outbox: callbacks to peers (SM policy update-notify, charging notify, SDM
 * change, UECM deregistration…) are written to the store before the first attempt and retried
 * with exponential backoff until delivered or expired, so a restart loses none.
 *
 * Several processes may share the store: a delivery is claimed with a guarded update on
 * `(state: 'pending', nextAttemptAt <= now)` that sets a lease, so only one process sends it.
 * A crash while sending leaves the lease to expire and the notification is sent again: delivery is
 * at-least-once, which is what TS 29.500 callbacks tolerate (the peers treat them idempotently).
 *
 * Notifications with an ordering `key` (see OutboxNotification.key) carry the whole state of one
 * resource: a new one marks the older pending ones of its key `superseded`; one whose delivery is under
 * way when a newer one arrives, and then fails, is superseded instead of retried; and a record is not
 * sent while an older one of its key is in flight. The peer therefore sees the states in order, and
 * always ends with the newest.
 */
import type { Logger } from 'pino'
import { newId } from '../../store/doc.ts'
import type { Collection, DocumentStore } from '../../store/port.ts'
import type { Outbox, OutboxNotification, SbiClient } from './ports.ts'
import type { RetentionRule } from './retention.ts'

export interface OutboxRecord extends Record<string, unknown> {
  _id: string
  kind: string
  uri: string
  method: string
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  scope?: string
  targetNfType?: string
  terminalStatuses?: number[]
  state: 'pending' | 'delivered' | 'rejected' | 'expired' | 'superseded'
  key?: string
  supersededBy?: string
  attempts: number
  createdAt: number
  nextAttemptAt: number
  expiresAt: number
  leaseUntil: number
  lastStatus?: number
  lastError?: string
}

export interface OutboxOptions {
  store: DocumentStore
  client: SbiClient
  log: Logger
  clock?: () => Date
  expiresInMs?: number
  pollMs?: number
  /** First retry delay; doubles each attempt up to maxBackoffMs. */
  baseBackoffMs?: number
  maxBackoffMs?: number
}

export interface RunningOutbox extends Outbox {
  start(): void
  stop(): Promise<void>
  readonly collection: Collection<OutboxRecord>
}

const LEASE_MS = 30_000
const MAX_INFLIGHT = 32

/** Enqueue order: createdAt, then the id (time-ordered within a millisecond). */
function older(a: OutboxRecord, b: OutboxRecord): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a._id < b._id)
}

export function createOutbox(opts: OutboxOptions): RunningOutbox {
  const col = opts.store.collection<OutboxRecord>('outbox')
  const now = () => (opts.clock ? opts.clock().getTime() : Date.now())
  const pollMs = opts.pollMs ?? 500
  const base = opts.baseBackoffMs ?? 500
  const maxBackoff = opts.maxBackoffMs ?? 60_000
  let timer: NodeJS.Timeout | undefined
  let running = false
  let pass: Promise<void> | undefined
  let indexed: Promise<void> | undefined
  const inflight = new Set<Promise<void>>()

  function ensureIndexes() {
    indexed ??= Promise.all([col.createIndex({ fields: ['state', 'nextAttemptAt'] }), col.createIndex({ fields: ['key', 'state'] }), col.createIndex({ fields: ['createdAt'] })]).then(() => undefined)
    return indexed
  }

  /** The other pending records of `rec`'s ordering key (none without a key). */
  async function othersOfKey(rec: OutboxRecord): Promise<OutboxRecord[]> {
    if (!rec.key) return []
    return (await col.find({ key: rec.key, state: 'pending' })).filter((o) => o._id !== rec._id)
  }

  async function deliver(rec: OutboxRecord): Promise<void> {
    let status: number | undefined
    let error: string | undefined
    try {
      const res = await opts.client.request({
        method: (rec.method as 'POST') ?? 'POST',
        uri: rec.uri,
        body: rec.body,
        contentType: rec.contentType,
        headers: rec.headers,
        scope: rec.scope,
        targetNfType: rec.targetNfType as never,
      })
      status = res.status
    } catch (err) {
      error = (err as Error).message
    }
    const t = now()
    if (status !== undefined && status >= 200 && status < 300) {
      await col.updateOne({ _id: rec._id }, { $set: { state: 'delivered', lastStatus: status, deliveredAt: t }, $inc: { attempts: 1 } })
      opts.log.debug({ kind: rec.kind, uri: rec.uri, status }, 'notification delivered')
      return
    }
    const terminal = status !== undefined && (rec.terminalStatuses?.includes(status) || (status >= 400 && status < 500 && status !== 408 && status !== 429))
    if (terminal) {
      // The peer understood and refused (or does not implement it): retrying will not change that.
      await col.updateOne({ _id: rec._id }, { $set: { state: 'rejected', lastStatus: status }, $inc: { attempts: 1 } })
      opts.log.info({ kind: rec.kind, uri: rec.uri, status }, 'notification not accepted by the peer; not retried')
      return
    }
    const attempts = rec.attempts + 1
    // A newer pending record of the key makes retrying this one pointless.
    const newer = (await othersOfKey(rec)).find((o) => older(rec, o))
    if (newer) {
      // A newer state of the resource is queued: retrying this one could only put an old state last.
      await col.updateOne({ _id: rec._id }, { $set: { state: 'superseded', supersededBy: newer._id, lastStatus: status ?? null, lastError: error ?? null }, $inc: { attempts: 1 } })
      opts.log.info({ kind: rec.kind, uri: rec.uri, key: rec.key }, 'notification failed and is superseded by a newer one')
      return
    }
    const next = t + Math.min(maxBackoff, base * 2 ** Math.min(attempts - 1, 16))
    if (next > rec.expiresAt) {
      await col.updateOne({ _id: rec._id }, { $set: { state: 'expired', lastStatus: status, lastError: error }, $inc: { attempts: 1 } })
      opts.log.warn({ kind: rec.kind, uri: rec.uri, attempts }, 'notification expired undelivered')
      return
    }
    await col.updateOne(
      { _id: rec._id },
      { $set: { nextAttemptAt: next, leaseUntil: 0, lastStatus: status ?? null, lastError: error ?? null }, $inc: { attempts: 1 } },
    )
  }

  /** Claims one due record (guarded update) and returns it, or null. */
  async function claim(): Promise<OutboxRecord | null> {
    const t = now()
    const due = await col.find({ state: 'pending', nextAttemptAt: { $lte: t }, leaseUntil: { $lte: t } }, { sort: { nextAttemptAt: 1 }, limit: 1 })
    if (!due.length) return null
    const rec = due[0]
    // One delivery per key at a time, oldest first: wait while an older record of the key is in flight.
    if ((await othersOfKey(rec)).some((o) => older(o, rec) && o.leaseUntil > t)) {
      await col.updateOne({ _id: rec._id, state: 'pending', leaseUntil: rec.leaseUntil }, { $set: { nextAttemptAt: t + Math.min(base, 250) } })
      return claim()
    }
    const claimed = await col.findOneAndUpdate(
      { _id: rec._id, state: 'pending', leaseUntil: rec.leaseUntil },
      { $set: { leaseUntil: t + LEASE_MS } },
      { returnDocument: 'after' },
    )
    return claimed ?? (await claim())
  }

  /**
   * Claims what is due and starts delivering it. A pass does not wait for its deliveries: a peer that
   * does not answer (a dead SMF, up to the client timeout) must not hold back notifications to the others,
   * so the next pass (a new enqueue, the poll timer) can start while some are still in flight. Leases keep
   * a record from being sent twice; at most MAX_INFLIGHT deliveries run at once.
   */
  async function runPass(): Promise<void> {
    await ensureIndexes()
    for (;;) {
      // Bounded parallelism: wait when many deliveries are under way.
      while (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight)
      const rec = await claim()
      if (!rec) break
      const p = deliver(rec).catch((err) => opts.log.error({ err, kind: rec.kind }, 'outbox delivery failed'))
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }
  }

  function kick(): Promise<void> {
    if (pass) return pass.then(() => kick())
    pass = runPass().finally(() => {
      pass = undefined
    })
    return pass
  }

  function schedule() {
    if (!running) return
    timer = setTimeout(() => {
      kick()
        .catch((err) => opts.log.error({ err }, 'outbox pass failed'))
        .finally(schedule)
    }, pollMs)
    timer.unref()
  }

  return {
    collection: col,
    async enqueue(n: OutboxNotification): Promise<string> {
      await ensureIndexes()
      const t = now()
      const rec: OutboxRecord = {
        _id: newId(),
        kind: n.kind,
        uri: n.uri,
        method: n.method ?? 'POST',
        state: 'pending',
        attempts: 0,
        createdAt: t,
        nextAttemptAt: t,
        expiresAt: t + (n.expiresInMs ?? opts.expiresInMs ?? 3600_000),
        leaseUntil: 0,
      }
      if (n.body !== undefined) rec.body = n.body
      if (n.contentType) rec.contentType = n.contentType
      if (n.headers) rec.headers = n.headers
      if (n.scope) rec.scope = n.scope
      if (n.targetNfType) rec.targetNfType = n.targetNfType
      if (n.terminalStatuses) rec.terminalStatuses = n.terminalStatuses
      if (n.key) {
        rec.key = n.key
        // Older states of this resource not yet being sent are replaced by this one (ids are time-ordered).
        await col.updateMany({ key: n.key, state: 'pending', leaseUntil: { $lte: t } }, { $set: { state: 'superseded', supersededBy: rec._id } })
      }
      await col.insertOne(rec)
      // Deliver at once when running; otherwise the next start() or drain() picks it up.
      if (running) void kick().catch((err) => opts.log.error({ err }, 'outbox pass failed'))
      return rec._id
    },
    // One pass, then every delivery under way (tests, shutdown).
    drain: async () => {
      await kick()
      await Promise.all(inflight)
    },
    start() {
      if (running) return
      running = true
      void kick().catch((err) => opts.log.error({ err }, 'outbox pass failed'))
      schedule()
    },
    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      if (pass) await pass.catch(() => {})
      await Promise.all(inflight)
    },
  }
}

/**
 * Outbox records no longer pending (delivered, rejected, expired, superseded) older than `keepMs` (by
 * when they were queued), for the retention sweeper (nf/sbi/retention.ts). A pending record is never
 * deleted: it expires first (`outbox.expiresInMs`). Also the BSS's webhook outbox (`bss.webhookOutbox`,
 * same record shape; each message's outcome stays in `bss.communicationMessage`).
 */
export function outboxRetention(keepMs: number, collection = 'outbox'): RetentionRule {
  return {
    name: collection,
    collection,
    keepMs,
    expired: (cutoff) => ({ createdAt: { $lt: cutoff.getTime() }, state: { $in: ['delivered', 'rejected', 'expired', 'superseded'] } }),
    sort: { createdAt: 1 },
  }
}
