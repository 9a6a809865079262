/**
 * Prepaid renewals: when a prepaid subscription's period rolls over, the plan's recurring fee is debited
 * at the CHF (`Adjust`, idempotent per product and period) and the next renewal date moves on. (The CHF
 * refills recurring bundles itself.) A debit the balance cannot cover (FAILED_PRECONDITION) is retried at
 * the next pass and noticed to the subscriber once per period.
 */
import type { Logger } from 'pino'
import type { EventSink } from '../nf/sbi/ports.ts'
import { ChfError, type AccountApi } from './clients/chf.ts'
import { addPeriod } from './domain/plan.ts'
import type { BssStore, ProductDoc } from './store.ts'

export interface RenewalDeps {
  s: BssStore
  chf: () => AccountApi
  clock: () => Date
  events: EventSink
  log: Logger
  onFailed?: (p: ProductDoc, reason: string) => Promise<void>
}

export function firstRenewal(p: { startDate: string; plan: { offering: { recurringCharge?: { period: string } } } }): string | undefined {
  const period = p.plan.offering.recurringCharge?.period
  return period ? addPeriod(new Date(p.startDate), period).toISOString() : undefined
}

/** One pass; returns {renewed, failed}. */
export async function runRenewals(d: RenewalDeps): Promise<{ renewed: number; failed: number }> {
  const now = d.clock().toISOString()
  let renewed = 0
  let failed = 0
  const due = await d.s.products.find({ paymentType: 'prepaid', status: 'active', nextRenewalAt: { $lte: now } }, { limit: 1000 })
  for (const p of due) {
    if (!p.plan.offering.recurringCharge) continue
    // catch up period by period (at most 60)
    for (let guard = 0; guard < 60 && (await renewOnce(p, p.nextRenewalAt as string)); guard++);
  }
  async function renewOnce(p: ProductDoc, at: string): Promise<boolean> {
    const fee = p.plan.offering.recurringCharge!
    try {
      if (fee.amount > 0) {
        await d.chf().Adjust({ supi: p.supi, amount: -fee.amount, reason: `renewal ${p.plan.offeringId} from ${at.slice(0, 10)}`, operator: 'bss', idempotencyKey: `renew:${p.id}:${at}` })
      }
      const next = addPeriod(new Date(at), fee.period).toISOString()
      const moved = await d.s.products.updateOne({ _id: p.id, nextRenewalAt: at }, { $set: { nextRenewalAt: next }, $unset: { renewalFailedFor: '' } })
      if (!moved.matched) return false // another process renewed it
      await d.events.emit('bss', { type: 'bss.renewal', supi: p.supi, gpsi: p.gpsi, data: { productId: p.id, amount: fee.amount, period: at } }).catch(() => {})
      renewed++
      p.nextRenewalAt = next
      return next <= now
    } catch (e) {
      failed++
      const reason = e instanceof ChfError ? e.message : (e as Error).message
      if (p.renewalFailedFor !== at) {
        await d.s.products.updateOne({ _id: p.id }, { $set: { renewalFailedFor: at } })
        await d.events.emit('bss', { type: 'bss.renewal.failed', supi: p.supi, gpsi: p.gpsi, data: { productId: p.id, amount: fee.amount, reason } }).catch(() => {})
        await d.onFailed?.(p, reason).catch(() => {})
      }
      d.log.warn({ product: p.id, err: reason }, 'prepaid renewal failed')
      return false
    }
  }
  return { renewed, failed }
}
