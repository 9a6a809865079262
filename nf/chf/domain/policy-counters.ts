/**
 * Spending-limit policy counters (TS 29.594 PolicyCounterInfo) derived from an account: the plan names
 * the counters; the default is `data-allowance` over the volume bundles, `normal` → `warning` at 80 %
 * used → `on-balance` when the bundles are used up but the balance still pays for data →
 * `exhausted` when nothing is left (the PCF's plans act on `exhausted`, nf/pcf). Pure.
 */
import type { BundleView, PolicyCounterDef, RatingPlan } from './types.ts'

export const DEFAULT_POLICY_COUNTERS: PolicyCounterDef[] = [{ id: 'data-allowance', unit: 'VOLUME', thresholds: [{ status: 'warning', usedRatio: 0.8 }] }]

export function counterDefs(plan: RatingPlan): PolicyCounterDef[] {
  return plan.policyCounters?.length ? plan.policyCounters : DEFAULT_POLICY_COUNTERS
}

/** Status of each counter of the plan: 'normal' | threshold status | 'exhausted'. */
export function counterStatuses(plan: RatingPlan, bundles: BundleView[], availableMoney: number, now: Date): Record<string, string> {
  const t = now.toISOString()
  const out: Record<string, string> = {}
  for (const c of counterDefs(plan)) {
    const mine = bundles.filter((b) => b.unit === (c.unit ?? 'VOLUME') && (c.ratingGroup === undefined || b.ratingGroup === 0 || b.ratingGroup === c.ratingGroup) && (!b.validUntil || b.validUntil > t) && (!b.validFrom || b.validFrom <= t))
    const total = mine.reduce((a, b) => a + b.total, 0)
    const remaining = mine.reduce((a, b) => a + Math.max(0, b.remaining), 0)
    if (total === 0) {
      out[c.id] = moneyBuysUnits(plan, c, availableMoney) || plan.finalUnitAction === 'THROTTLE' ? 'normal' : 'exhausted'
      continue
    }
    if (remaining === 0) {
      // The allowance is used up. On a THROTTLE plan that is the fair-use limit: slow down at once.
      // Otherwise, as long as the balance pays for data the subscriber is served at full speed
      // ('on-balance'); only when neither bundle nor money is left is the counter 'exhausted',
      // the moment the CHF also answers a zero grant with its final-unit indication — and a top-up
      // brings it back.
      out[c.id] = plan.finalUnitAction !== 'THROTTLE' && moneyBuysUnits(plan, c, availableMoney) ? 'on-balance' : 'exhausted'
      continue
    }
    const used = (total - remaining) / total
    const hit = [...(c.thresholds ?? [])].sort((a, b) => b.usedRatio - a.usedRatio).find((th) => used >= th.usedRatio)
    out[c.id] = hit ? hit.status : 'normal'
  }
  return out
}

/** Whether the money can pay for at least one price step of a home tariff in the counter's unit. */
function moneyBuysUnits(plan: RatingPlan, c: PolicyCounterDef, money: number): boolean {
  const unit = c.unit ?? 'VOLUME'
  const prices = plan.tariffs
    .filter((t) => t.unit === unit && !t.zone && (c.ratingGroup === undefined || t.ratingGroup === c.ratingGroup))
    .map((t) => t.price)
  if (!prices.length) return false
  return money >= Math.min(...prices)
}
