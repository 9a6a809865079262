/**
 * Low-balance and exhaustion notices: follows the events collection (what the EventFeed streams) for
 * the CHF's balance/quota events and sends the subscriber an SMS through the webhook outbox.
 * The cursor is kept in the store so a restart neither repeats nor skips a notice.
 */
import { readEvents } from '../nf/sbi/event-feed.ts'
import type { BssDeps } from './index.ts'
import { sendMessage } from './routes/care.ts'

export const NOTICE_TYPES = ['chf.balance.low', 'chf.quota.exhausted', 'chf.bundle.exhausted', 'chf.balance.exhausted']
/** Events after which the BSS compares a prepaid balance with the plan's lowBalanceThreshold. */
export const BALANCE_TYPES = ['chf.usage.rated', 'chf.balance.adjusted', 'chf.balance.topup']

const TEXT: Record<string, string> = {
  'chf.balance.low': 'Your balance is low. Top up to stay connected.',
  'chf.quota.exhausted': 'You have used up your allowance.',
  'chf.bundle.exhausted': 'You have used up your allowance.',
  'chf.balance.exhausted': 'Your balance is used up. Top up to stay connected.',
}

export class Notices {
  private timer: NodeJS.Timeout | undefined
  constructor(
    private d: BssDeps,
    private pollMs: number,
  ) {}

  start(): void {
    if (!this.pollMs) return
    const tick = () => {
      this.timer = setTimeout(() => void this.poll().catch((e) => this.d.ctx.log.warn({ err: e }, 'notices poll failed')).finally(tick), this.pollMs)
      this.timer.unref?.()
    }
    tick()
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }

  /** One pass: sends a notice per new matching event; returns how many were sent. */
  async poll(): Promise<number> {
    const { s, ctx } = this.d
    const cur = await s.counters.findOne({ _id: 'notices-cursor' })
    let afterId = (cur?.value as string | undefined) ?? ''
    if (!cur) {
      // First start: begin at the end of the feed, not with the whole history.
      const last = await ctx.store.collection('events').find({}, { sort: { _id: -1 }, limit: 1 })
      afterId = (last[0]?._id as string | undefined) ?? ''
      await s.counters.replaceOne({ _id: 'notices-cursor' }, { _id: 'notices-cursor', value: afterId }, { upsert: true })
    }
    let sent = 0
    for (;;) {
      const { events, lastId } = await readEvents(ctx.store, { afterId, types: [...NOTICE_TYPES, ...BALANCE_TYPES] }, 200)
      for (const ev of events) {
        const prod = ev.supi ? await s.products.findOne({ supi: ev.supi, status: { $ne: 'terminated' } }) : null
        if (!prod) continue
        if (BALANCE_TYPES.includes(ev.type)) {
          // The CHF emits no low-balance event: the BSS checks the balance after money moved.
          const threshold = prod.plan.offering.lowBalanceThreshold ?? 0
          if (prod.paymentType !== 'prepaid' || !threshold) continue
          const data = JSON.parse(ev.dataJson) as { amount?: number; balance?: number }
          if (ev.type === 'chf.usage.rated' && !data.amount) continue
          const balance = typeof data.balance === 'number' ? data.balance : (await this.d.chf().GetAccount({ supi: prod.supi }).catch(() => undefined))?.balance
          if (balance === undefined) continue
          if (balance >= threshold) {
            if (prod.lowBalanceNotified) await s.products.updateOne({ _id: prod.id }, { $set: { lowBalanceNotified: false } })
            continue
          }
          if (prod.lowBalanceNotified) continue
          await s.products.updateOne({ _id: prod.id }, { $set: { lowBalanceNotified: true } })
          ev.type = 'chf.balance.low'
        }
        await sendMessage(this.d, {
          id: `notice-${ev.id}`,
          messageType: 'SMS',
          content: TEXT[ev.type] ?? ev.type,
          receiver: [{ phoneNumber: prod.msisdn, id: prod.customerId }],
          product: { id: prod.id },
          sender: 'bss',
          reason: ev.type,
        })
        sent++
      }
      if (lastId === afterId) break
      afterId = lastId
      await s.counters.replaceOne({ _id: 'notices-cursor' }, { _id: 'notices-cursor', value: afterId }, { upsert: true })
    }
    return sent
  }
}
