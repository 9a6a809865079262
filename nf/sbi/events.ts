/**
 * Domain events for the gRPC EventFeed (DESIGN §1): every NF appends to the `events` collection;
 * nf/sbi/event-feed.ts streams them to the BSS and other consumers, resumable by `_id`.
 *
 * `_id` is time-ordered: 13-digit epoch ms, a per-process counter and a random tail, so string
 * order is emission order within a process and close to it across processes.
 */
import { randomBytes } from 'node:crypto'
import type { DocumentStore } from '../../store/port.ts'
import type { DomainEvent, EventSink } from './ports.ts'
import type { RetentionRule } from './retention.ts'

export interface StoredEvent extends Record<string, unknown> {
  _id: string
  ts: string
  nf: string
  type: string
  supi?: string
  gpsi?: string
  data?: Record<string, unknown>
}

let counter = 0
const processTag = randomBytes(3).toString('hex')

export function eventId(ms: number): string {
  counter = (counter + 1) % 1_000_000
  return `${String(ms).padStart(13, '0')}-${String(counter).padStart(6, '0')}-${processTag}`
}

export function createEventSink(store: DocumentStore, clock: () => Date = () => new Date()): EventSink {
  const col = store.collection<StoredEvent>('events')
  let indexed: Promise<void> | undefined
  return {
    async emit(nf: string, event: DomainEvent) {
      indexed ??= col.createIndex({ fields: ['supi'] })
      await indexed
      const now = clock()
      const doc: StoredEvent = { _id: eventId(now.getTime()), ts: now.toISOString(), nf, type: event.type }
      if (event.supi) doc.supi = event.supi
      if (event.gpsi) doc.gpsi = event.gpsi
      if (event.data) doc.data = event.data
      await col.insertOne(doc)
    },
  }
}

/** Domain events older than `keepMs`, for the retention sweeper: the `_id` begins with the emission time. */
export function eventRetention(keepMs: number): RetentionRule {
  return {
    name: 'events',
    collection: 'events',
    keepMs,
    // '1764430000000-…' < '1764430000001' for every id of an earlier millisecond (13 digits, zero-padded).
    expired: (cutoff) => ({ _id: { $lt: String(cutoff.getTime()).padStart(13, '0') } }),
    sort: { _id: 1 },
  }
}
