/**
 * Rating (TS 32.290 §5.3, the Rating Function's job, done in-process): turns used units of one rating
 * group into bundle consumption and money. Pure and table-driven: the plan's tariff lines decide the
 * price per rating group, unit, roaming zone, time-of-day window and day of week.
 *
 * - A usage report covers an interval [start, end]; when a tariff switch falls inside it, the units are
 *   split pro rata over time at the switch (TS 32.299 calls this a tariff time change; free5GC's SMF
 *   does not report the split, so we assume even use over the interval).
 * - Bundles are consumed before money: lowest priority first, then earliest expiry.
 * - Money is integer minor units; each rated piece is rounded UP to whole `unitSize` steps (so a
 *   reservation of N steps always covers any use up to N steps: the commit never costs more than the
 *   reservation at the same price).
 */
import { HOME_ZONE, type BundleView, type RatingPlan, type Tariff, type UnitKind } from './types.ts'

const DAY_MS = 86_400_000
const MIN_MS = 60_000

/** The zone of a serving PLMN (mcc+mnc): '' at home, else the first zone listing it, else '*' zone, else 'roaming'. */
export function zoneOf(plan: RatingPlan, servingPlmn: string | undefined, homePlmns: string[]): string {
  if (!servingPlmn || homePlmns.includes(servingPlmn)) return HOME_ZONE
  const zones = plan.roamingZones ?? []
  const z = zones.find((z) => z.plmns.includes(servingPlmn)) ?? zones.find((z) => z.plmns.includes('*'))
  return z ? z.id : 'roaming'
}

function hhmm(s: string | undefined): number | undefined {
  if (!s) return undefined
  const m = /^(\d{1,2}):(\d{2})$/.exec(s)
  if (!m) throw new Error(`bad time of day "${s}" (HH:MM expected)`)
  return Number(m[1]) * 60 + Number(m[2])
}

/** Does the tariff's time window (and day-of-week list) contain the instant? */
export function windowContains(t: Tariff, at: Date, utcOffsetMinutes = 0): boolean {
  const local = at.getTime() + utcOffsetMinutes * MIN_MS
  const minute = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MIN_MS)
  const day = new Date(local).getUTCDay()
  const from = hhmm(t.timeFrom)
  const to = hhmm(t.timeTo)
  const dayOk = (d: number) => !t.days || t.days.length === 0 || t.days.includes(d)
  if (from === undefined && to === undefined) return dayOk(day)
  const f = from ?? 0
  const e = to ?? 24 * 60
  if (f === e) return dayOk(day)
  if (f < e) return minute >= f && minute < e && dayOk(day)
  // wraps midnight: the part after midnight belongs to the previous day's window
  if (minute >= f) return dayOk(day)
  if (minute < e) return dayOk((day + 6) % 7)
  return false
}

function specificity(t: Tariff, ratingGroup: number): number {
  return (t.ratingGroup === ratingGroup ? 2 : 0) + (t.timeFrom || t.timeTo || (t.days && t.days.length) ? 1 : 0)
}

/** The tariff that applies at an instant: exact rating group beats the wildcard 0, a window beats all-day. */
export function tariffAt(plan: RatingPlan, ratingGroup: number, zone: string, at: Date, unit?: UnitKind): Tariff | undefined {
  let best: Tariff | undefined
  let bestScore = -1
  for (const t of plan.tariffs) {
    if (t.ratingGroup !== ratingGroup && t.ratingGroup !== 0) continue
    if ((t.zone ?? HOME_ZONE) !== zone) continue
    if (unit && t.unit !== unit) continue
    if (!windowContains(t, at, plan.utcOffsetMinutes)) continue
    const s = specificity(t, ratingGroup)
    if (s > bestScore) {
      best = t
      bestScore = s
    }
  }
  return best
}

/** The unit a rating group is counted in: its tariff's, else VOLUME. */
export function unitOf(plan: RatingPlan, ratingGroup: number, zone: string, at: Date): UnitKind {
  return tariffAt(plan, ratingGroup, zone, at)?.unit ?? tariffAt(plan, ratingGroup, HOME_ZONE, at)?.unit ?? 'VOLUME'
}

/** Instants strictly inside (start, end) where a window boundary or a local midnight falls. */
function boundaries(plan: RatingPlan, start: Date, end: Date): number[] {
  const off = (plan.utcOffsetMinutes ?? 0) * MIN_MS
  const minutes = new Set<number>([0])
  for (const t of plan.tariffs) {
    const f = hhmm(t.timeFrom)
    const e = hhmm(t.timeTo)
    if (f !== undefined) minutes.add(f)
    if (e !== undefined) minutes.add(e % (24 * 60))
  }
  const out: number[] = []
  const firstDay = Math.floor((start.getTime() + off) / DAY_MS) * DAY_MS - off
  for (let day = firstDay; day < end.getTime(); day += DAY_MS) {
    for (const m of minutes) {
      const at = day + m * MIN_MS
      if (at > start.getTime() && at < end.getTime()) out.push(at)
    }
  }
  return out.sort((a, b) => a - b)
}

export interface TariffSegment {
  start: Date
  end: Date
  tariff: Tariff | undefined
}

/** Splits [start, end] into segments with one tariff each (adjacent equal tariffs merged). */
export function tariffSegments(plan: RatingPlan, ratingGroup: number, zone: string, start: Date, end: Date, unit?: UnitKind): TariffSegment[] {
  if (end.getTime() <= start.getTime()) return [{ start: end, end, tariff: tariffAt(plan, ratingGroup, zone, end, unit) }]
  const cuts = [start.getTime(), ...boundaries(plan, start, end), end.getTime()]
  const segs: TariffSegment[] = []
  for (let i = 0; i < cuts.length - 1; i++) {
    const tariff = tariffAt(plan, ratingGroup, zone, new Date(cuts[i]!), unit)
    const last = segs[segs.length - 1]
    if (last && last.tariff === tariff) last.end = new Date(cuts[i + 1]!)
    else segs.push({ start: new Date(cuts[i]!), end: new Date(cuts[i + 1]!), tariff })
  }
  return segs
}

/** Price of `units` at a tariff, rounded up to whole steps. Exact integer arithmetic. */
export function priceOf(units: number, t: Tariff): number {
  if (units <= 0 || t.price === 0) return 0
  const steps = (BigInt(units) + BigInt(t.unitSize) - 1n) / BigInt(t.unitSize)
  return Number(steps * BigInt(t.price))
}

/** Bundles usable for a rating group/unit/zone at an instant, in consumption order. */
export function eligibleBundles(bundles: BundleView[], ratingGroup: number, unit: UnitKind, zone: string, at: Date): BundleView[] {
  const t = at.toISOString()
  return bundles
    .filter((b) => (b.ratingGroup === 0 || b.ratingGroup === ratingGroup) && b.unit === unit)
    .filter((b) => (b.zones && b.zones.length ? b.zones.includes(zone) || b.zones.includes('*') : zone === HOME_ZONE))
    .filter((b) => (!b.validFrom || b.validFrom <= t) && (!b.validUntil || b.validUntil > t))
    .sort((a, b) => a.priority - b.priority || (a.validUntil || '9999').localeCompare(b.validUntil || '9999') || a.id.localeCompare(b.id))
}

export interface RatedPiece {
  start: string
  end: string
  units: number
  /** Units covered by bundles. */
  bundleUnits: number
  /** Units charged from the balance. */
  moneyUnits: number
  amount: number
  price?: number
  unitSize?: number
}

export interface RatingResult {
  ratingGroup: number
  unit: UnitKind
  zone: string
  units: number
  pieces: RatedPiece[]
  bundleUse: { bundleId: string; units: number }[]
  bundleUnits: number
  moneyUnits: number
  /** Minor units to debit. */
  amount: number
  /** Units beyond the bundles for which no tariff exists (recorded at amount 0, flagged). */
  unratedUnits: number
}

export interface RateInput {
  plan: RatingPlan
  ratingGroup: number
  unit: UnitKind
  units: number
  start: Date
  end: Date
  zone: string
  bundles: BundleView[]
  /** Units of each bundle this session itself has reserved (they are released by the same operation). */
  ownReserved?: Record<string, number>
}

/**
 * Rates one usage report of one rating group.
 *
 * @example
 *   rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 3 * MB, start, end, zone: '', bundles })
 *   // → 1 MB from the bundle, 2 MB at the tariff's price per MB
 */
export function rateUsage(input: RateInput): RatingResult {
  const { plan, ratingGroup, unit, zone } = input
  const units = Math.max(0, Math.floor(input.units))
  const segs = tariffSegments(plan, ratingGroup, zone, input.start, input.end, unit)
  const totalMs = BigInt(Math.max(0, input.end.getTime() - input.start.getTime()))
  // pro-rata split by cumulative rounding, so the pieces add up to `units` exactly
  const pieces: RatedPiece[] = []
  let cumMs = 0n
  let cumUnits = 0
  segs.forEach((s, i) => {
    cumMs += BigInt(s.end.getTime() - s.start.getTime())
    const cum = i === segs.length - 1 || totalMs === 0n ? units : Number((BigInt(units) * cumMs) / totalMs)
    pieces.push({ start: s.start.toISOString(), end: s.end.toISOString(), units: cum - cumUnits, bundleUnits: 0, moneyUnits: 0, amount: 0 })
    cumUnits = cum
  })

  const bundles = eligibleBundles(input.bundles, ratingGroup, unit, zone, input.end)
  const free = new Map(bundles.map((b) => [b.id, Math.max(0, b.remaining - b.reserved + (input.ownReserved?.[b.id] ?? 0))]))
  const use = new Map<string, number>()
  let unrated = 0
  pieces.forEach((p, i) => {
    let left = p.units
    for (const b of bundles) {
      if (left === 0) break
      const take = Math.min(left, free.get(b.id) ?? 0)
      if (take > 0) {
        free.set(b.id, (free.get(b.id) ?? 0) - take)
        use.set(b.id, (use.get(b.id) ?? 0) + take)
        p.bundleUnits += take
        left -= take
      }
    }
    p.moneyUnits = left
    const t = segs[i]!.tariff
    if (t) {
      p.amount = priceOf(left, t)
      p.price = t.price
      p.unitSize = t.unitSize
    } else unrated += left
  })
  const sum = (f: (p: RatedPiece) => number) => pieces.reduce((a, p) => a + f(p), 0)
  return {
    ratingGroup,
    unit,
    zone,
    units,
    pieces,
    bundleUse: [...use].map(([bundleId, u]) => ({ bundleId, units: u })),
    bundleUnits: sum((p) => p.bundleUnits),
    moneyUnits: sum((p) => p.moneyUnits),
    amount: sum((p) => p.amount),
    unratedUnits: unrated,
  }
}

/** The dearest tariff (price per unit) in force at any time in [start, end]: what a reservation is priced at. */
export function dearestTariff(plan: RatingPlan, ratingGroup: number, zone: string, start: Date, end: Date, unit: UnitKind): Tariff | undefined {
  let best: Tariff | undefined
  for (const s of tariffSegments(plan, ratingGroup, zone, start, end, unit)) {
    const t = s.tariff
    if (!t) return undefined // part of the window cannot be rated: reserve nothing from money
    if (!best || BigInt(t.price) * BigInt(best.unitSize) > BigInt(best.price) * BigInt(t.unitSize)) best = t
  }
  return best
}
