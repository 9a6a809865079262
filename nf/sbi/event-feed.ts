/**
 * gRPC EventFeed server (proto/events.proto) over the store collection `events` that every NF writes
 * with ctx.events.emit. Resumable: replays events with `_id > afterId` in `_id` order, then tails the
 * collection by polling until the client cancels (or ends after the replay with `replayOnly`).
 */
import type * as grpc from '@grpc/grpc-js'
import type { DocumentStore, Filter } from '../../store/port.ts'
import { eventFeedDef } from '../../proto/load.ts'

export interface EventFeedOptions {
  /** Poll interval while tailing (ms). */
  pollMs?: number
  /** Events read per store query. */
  batchSize?: number
}

interface StoredEvent {
  _id: string
  ts?: string | number | Date
  nf?: string
  type?: string
  supi?: string
  gpsi?: string
  data?: unknown
  [k: string]: unknown
}

export interface SubscribeRequest {
  afterId?: string
  types?: string[]
  supi?: string
  replayOnly?: boolean
}

export interface FeedEvent {
  id: string
  ts: string
  nf: string
  type: string
  supi: string
  gpsi: string
  dataJson: string
}

export function toFeedEvent(e: StoredEvent): FeedEvent {
  const ts = e.ts instanceof Date ? e.ts.toISOString() : typeof e.ts === 'number' ? new Date(e.ts).toISOString() : (e.ts ?? '')
  return {
    id: String(e._id),
    ts,
    nf: e.nf ?? '',
    type: e.type ?? '',
    supi: e.supi ?? '',
    gpsi: e.gpsi ?? '',
    dataJson: JSON.stringify(e.data ?? {}),
  }
}

/** True when the event type matches one of the filters (exact, or prefix when the entry ends in "*"). */
export function typeMatches(type: string, types: string[] | undefined): boolean {
  if (!types || types.length === 0) return true
  return types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : t === type))
}

/**
 * Reads one page of events after `afterId` matching the request (used by the gRPC stream and by
 * in-process readers such as the BSS care history).
 */
export async function readEvents(
  store: DocumentStore,
  req: SubscribeRequest,
  limit: number,
): Promise<{ events: FeedEvent[]; lastId: string }> {
  const filter: Filter = {}
  if (req.afterId) filter._id = { $gt: req.afterId }
  if (req.supi) filter.supi = req.supi
  const exact = req.types?.filter((t) => !t.endsWith('*')) ?? []
  if (req.types?.length && exact.length === req.types.length) filter.type = { $in: exact }
  const docs = await store.collection<StoredEvent>('events').find(filter, { sort: { _id: 1 }, limit })
  let lastId = req.afterId ?? ''
  const events: FeedEvent[] = []
  for (const d of docs) {
    lastId = String(d._id)
    if (typeMatches(String(d.type ?? ''), req.types)) events.push(toFeedEvent(d))
  }
  return { events, lastId, ...(docs.length < limit ? {} : {}) }
}

/** Adds the EventFeed service to a gRPC server. */
export function registerEventFeed(server: grpc.Server, store: DocumentStore, opts: EventFeedOptions = {}): void {
  const pollMs = opts.pollMs ?? 250
  const batchSize = opts.batchSize ?? 500
  const def = eventFeedDef()
  server.addService(def.service, {
    Subscribe: (call: grpc.ServerWritableStream<SubscribeRequest, FeedEvent>) => {
      const req = call.request ?? {}
      let afterId = req.afterId ?? ''
      let cancelled = false
      let timer: NodeJS.Timeout | undefined
      call.on('cancelled', () => {
        cancelled = true
        if (timer) clearTimeout(timer)
      })
      call.on('error', () => {
        cancelled = true
        if (timer) clearTimeout(timer)
      })
      const writeAll = async (events: FeedEvent[]): Promise<void> => {
        for (const ev of events) {
          if (cancelled) return
          if (!call.write(ev)) await new Promise<void>((r) => call.once('drain', () => r()))
        }
      }
      const pump = async (): Promise<void> => {
        try {
          // Drain everything available now.
          for (;;) {
            if (cancelled) return
            const { events, lastId } = await readEvents(store, { ...req, afterId }, batchSize)
            const scanned = lastId !== afterId
            afterId = lastId
            await writeAll(events)
            if (!scanned) break
          }
          if (cancelled) return
          if (req.replayOnly) {
            call.end()
            return
          }
          timer = setTimeout(() => void pump(), pollMs)
        } catch (err) {
          if (cancelled) return
          cancelled = true
          call.destroy(Object.assign(new Error(`event feed: ${(err as Error).message}`), { code: 14 /* UNAVAILABLE */ }))
        }
      }
      void pump()
    },
  })
}
