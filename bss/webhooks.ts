/**
 * A small BSS-side webhook outbox: notifications (TMF681 communicationMessage: SMS, email) are
 * persisted, then POSTed over HTTP/1.1 (fetch) to config.bss.webhookUrl and retried with exponential
 * backoff until a 2xx, a 4xx other than 408/429 (rejected), or expiry. (ctx.outbox speaks HTTP/2 only.)
 * A delivery is claimed with a lease first (a guarded update), so two BSS processes sharing the store
 * never send one notification at the same time; a crash mid-send leaves the lease to expire and the
 * notification is sent again, with the same `x-idempotency-key`.
 */
import type { Logger } from 'pino'
import type { BssStore } from './store.ts'

export interface WebhookOutboxOptions {
  s: BssStore
  url?: string
  log: Logger
  clock: () => Date
  pollMs?: number
  baseBackoffMs?: number
  maxBackoffMs?: number
  expiresInMs?: number
  timeoutMs?: number
}

const LEASE_MS = 30_000

export class WebhookOutbox {
  private timer: NodeJS.Timeout | undefined
  private running = false
  constructor(private o: WebhookOutboxOptions) {}

  async enqueue(messageId: string, body: unknown): Promise<void> {
    const now = this.o.clock().getTime()
    await this.o.s.webhooks.insertOne({
      _id: messageId,
      body,
      state: 'pending',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
      expiresAt: now + (this.o.expiresInMs ?? 24 * 3600_000),
      leaseUntil: 0,
    })
    void this.drain()
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(() => void this.drain().finally(tick), this.o.pollMs ?? 1000)
      this.timer.unref?.()
    }
    tick()
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** One delivery pass over due notifications. */
  async drain(): Promise<void> {
    if (this.running || !this.o.url) return
    this.running = true
    try {
      const now = this.o.clock().getTime()
      const due = await this.o.s.webhooks.find({ state: 'pending', nextAttemptAt: { $lte: now } }, { sort: { nextAttemptAt: 1 }, limit: 100 })
      for (const d of due) await this.deliver(d)
    } finally {
      this.running = false
    }
  }

  /** Takes the lease on a due notification; false when another process holds it or it is no longer pending. */
  private async claim(id: string, now: number): Promise<boolean> {
    const lease = { $set: { leaseUntil: now + LEASE_MS } }
    if ((await this.o.s.webhooks.updateOne({ _id: id, state: 'pending', leaseUntil: { $lte: now } }, lease)).matched === 1) return true
    // written before leases existed
    return (await this.o.s.webhooks.updateOne({ _id: id, state: 'pending', leaseUntil: { $exists: false } }, lease)).matched === 1
  }

  private async deliver(d: Record<string, any>): Promise<void> {
    const now = this.o.clock().getTime()
    const id = d._id as string
    if (!(await this.claim(id, now))) return
    if (now > d.expiresAt) {
      await this.finish(id, 'expired', {})
      return
    }
    let status = 0
    let error: string | undefined
    try {
      const res = await fetch(this.o.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-idempotency-key': id },
        body: JSON.stringify(d.body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
      })
      status = res.status
      await res.arrayBuffer().catch(() => undefined)
    } catch (e) {
      error = (e as Error).message
    }
    const attempts = (d.attempts as number) + 1
    if (status >= 200 && status < 300) return this.finish(id, 'delivered', { attempts, lastStatus: status })
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return this.finish(id, 'rejected', { attempts, lastStatus: status })
    const backoff = Math.min((this.o.baseBackoffMs ?? 1000) * 2 ** (attempts - 1), this.o.maxBackoffMs ?? 300_000)
    await this.o.s.webhooks.updateOne({ _id: id }, { $set: { attempts, nextAttemptAt: now + backoff, leaseUntil: 0, lastStatus: status, ...(error ? { lastError: error } : {}) } })
    await this.o.s.messages.updateOne({ _id: id }, { $set: { attempts, ...(error ? { lastError: error } : { lastStatus: status }) } })
  }

  private async finish(id: string, state: string, extra: Record<string, unknown>): Promise<void> {
    await this.o.s.webhooks.updateOne({ _id: id }, { $set: { state, ...extra } })
    const status = state === 'delivered' ? 'sent' : 'failed'
    await this.o.s.messages.updateOne({ _id: id }, { $set: { status, ...extra, ...(state === 'delivered' ? { sendTimeComplete: this.o.clock().toISOString() } : {}) } })
    this.o.log.info({ id, state }, 'webhook notification finished')
  }
}
