/**
 * Retention: the records a core deletes once they have served their purpose, so that collections
 * stay bounded on a core that runs for months (every notification, domain event, closed charging
 * session and rated usage row would otherwise stay for ever).
 *
 * A rule names a collection, a filter for its records past retention (given the cutoff) served by an
 * index, and the index order that takes the oldest first. The sweeper deletes them in batches: the
 * ids of the oldest `batch` matches, then one deleteMany of those ids that repeats the filter (so a
 * record that changed in between is left alone), with an event-loop turn between batches so that
 * live requests are not held behind one long delete (SQLite, 100 000 events, 200 per batch: 7–10 µs
 * per record; while it runs the event loop's p99 gap is 3–5 ms, its longest 13–20 ms). A sweep stops
 * a rule after `maxBatches` and takes up the rest on the next sweep. Several processes sweeping one
 * store delete nothing twice (deletes are by id and idempotent).
 *
 * Rules come from the platform (outbox records, domain events: cli/platform.ts) and from the NFs
 * (`NfModule.retention`, e.g. the CHF's closed sessions and rated usage); the periods from
 * `config.retention` (0: keep for ever).
 */
import type { Logger } from 'pino'
import type { DocumentStore, Filter } from '../../store/port.ts'

export interface RetentionRule {
  /** What is deleted, as logged: e.g. `events`, `chf.sessions closed`. */
  name: string
  collection: string
  /** How long a record is kept, in ms; 0 (or less): never deleted. */
  keepMs: number
  /** The records past retention, given the cutoff (now − keepMs). Must be served by an index. */
  expired(cutoff: Date): Filter
  /** Oldest first, in the order of that index. */
  sort: Record<string, 1 | -1>
}

export interface RetentionOptions {
  /** Records deleted per batch (one deleteMany). Default 200. */
  batch?: number
  /**
   * Batches per rule and sweep. Default 10 000 (2 million records at the default batch): enough for a core
   * that queues far more than that an hour to keep up, while a backlog of years is worked off over sweeps.
   */
  maxBatches?: number
  /** Checked between batches: true ends the purge there (the sweeper's stop). */
  stopping?: () => boolean
}

const DAY_MS = 24 * 3600_000

/** Days (config) → ms; 0, negative or absent: keep for ever. */
export function daysToMs(days: number | undefined): number {
  return days && days > 0 ? days * DAY_MS : 0
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Deletes a rule's records past retention at `now`, oldest first, in batches; returns how many. */
export async function purgeExpired(store: DocumentStore, rule: RetentionRule, now: Date, opts: RetentionOptions = {}): Promise<number> {
  if (!(rule.keepMs > 0)) return 0
  const batch = opts.batch ?? 200
  const maxBatches = opts.maxBatches ?? 10_000
  const col = store.collection(rule.collection)
  const filter = rule.expired(new Date(now.getTime() - rule.keepMs))
  let deleted = 0
  for (let i = 0; i < maxBatches; i++) {
    // ids only: the embedded adapter reads no document (projection)
    const old = await col.find(filter, { sort: rule.sort, limit: batch, projection: { _id: 1 } })
    if (old.length === 0) break
    const ids = old.map((d) => d._id)
    // The filter again, with the ids (a rule on `_id` itself keeps its own condition beside the $in).
    const idCondition = filter._id !== null && typeof filter._id === 'object' && !Array.isArray(filter._id) ? { ...(filter._id as object), $in: ids } : { $in: ids }
    deleted += await col.deleteMany({ ...filter, _id: idCondition })
    if (old.length < batch || opts.stopping?.()) break
    await nextTurn()
  }
  return deleted
}

export interface RetentionSweeper {
  /** Sweeps now (after `firstDelayMs`) and then every `everyMs`. */
  start(): void
  stop(): Promise<void>
  /** One sweep over every rule; deleted counts by rule name (rules that deleted nothing left out). */
  sweep(): Promise<Record<string, number>>
}

export function createRetentionSweeper(opts: {
  store: DocumentStore
  rules: RetentionRule[]
  log: Logger
  clock?: () => Date
  everyMs: number
  firstDelayMs?: number
} & RetentionOptions): RetentionSweeper {
  const clock = opts.clock ?? (() => new Date())
  let timer: NodeJS.Timeout | undefined
  let running: Promise<Record<string, number>> | undefined
  let stopped = false

  async function sweepAll(): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const rule of opts.rules) {
      if (stopped) break
      try {
        const n = await purgeExpired(opts.store, rule, clock(), { ...opts, stopping: () => stopped })
        if (n > 0) out[rule.name] = n
      } catch (err) {
        opts.log.warn({ err, rule: rule.name }, 'retention sweep failed')
      }
    }
    if (Object.keys(out).length) opts.log.info({ deleted: out }, 'retention: deleted records past their retention')
    return out
  }

  function sweep(): Promise<Record<string, number>> {
    running ??= sweepAll().finally(() => (running = undefined))
    return running
  }

  function schedule(ms: number) {
    if (stopped) return
    timer = setTimeout(() => {
      void sweep().finally(() => schedule(opts.everyMs))
    }, ms)
    timer.unref()
  }

  return {
    start() {
      if (opts.rules.some((r) => r.keepMs > 0) && opts.everyMs > 0) schedule(opts.firstDelayMs ?? 60_000)
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
    sweep,
  }
}
