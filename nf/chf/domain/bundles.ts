/**
 * Recurring bundles (proto Bundle.recurrence "P1D" | "P7D" | "P1M"): at the end of a period the bundle is
 * refilled to `total`; with `rollover` the unused remainder carries over, capped at one `total`. Pure.
 */

/** Adds one ISO-8601 period of the forms PnD / PnW / PnM to an instant (UTC calendar months, clamped; a clamped day then stays, e.g. Feb 28 → Mar 28). */
export function addPeriod(at: Date, period: string): Date {
  const m = /^P(\d+)([DWM])$/.exec(period)
  if (!m) throw new Error(`unsupported recurrence ${period}`)
  const n = Number(m[1])
  const d = new Date(at.getTime())
  if (m[2] === 'D') d.setUTCDate(d.getUTCDate() + n)
  else if (m[2] === 'W') d.setUTCDate(d.getUTCDate() + 7 * n)
  else {
    // calendar months, clamped to the month's last day (Jan 31 + P1M = Feb 28)
    const day = d.getUTCDate()
    d.setUTCDate(1)
    d.setUTCMonth(d.getUTCMonth() + n)
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
    d.setUTCDate(Math.min(day, last))
  }
  return d
}

export interface RecurringBundle {
  total: number
  remaining: number
  reserved: number
  validFrom?: string
  validUntil?: string
  recurrence?: string
  rollover?: boolean
}

/** The bundle's next state if its period has ended by `now` (several periods may have passed), else undefined. */
export function renewBundle<B extends RecurringBundle>(b: B, now: Date): (B & { available: number }) | undefined {
  if (!b.recurrence || !b.validUntil || Date.parse(b.validUntil) > now.getTime()) return undefined
  let from = new Date(b.validUntil)
  let until = addPeriod(from, b.recurrence)
  let periods = 1
  while (until.getTime() <= now.getTime()) {
    from = until
    until = addPeriod(until, b.recurrence)
    periods++
  }
  // the remainder rolls over only from the period that just ended, and only once
  const carried = b.rollover && periods === 1 ? Math.min(Math.max(0, b.remaining - b.reserved), b.total) : 0
  // units reserved by running sessions stay reserved: they are now taken from the new period
  const remaining = b.total + carried
  return { ...b, remaining, validFrom: from.toISOString(), validUntil: until.toISOString(), available: remaining - b.reserved }
}

/** Earliest end of period among recurring bundles (the sweeper's index), or undefined. */
export function nextRenewal(bundles: RecurringBundle[]): string | undefined {
  const ends = bundles.filter((b) => b.recurrence && b.validUntil).map((b) => b.validUntil!).sort()
  return ends[0]
}
