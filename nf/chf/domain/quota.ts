/**
 * Quota decisions (TS 32.290 §5.2.2.3 session-based charging with unit reservation; TS 32.291
 * MultipleUnitInformation): how many units to grant to one rating group, reserved from which bundles
 * and how much money, with validity time, threshold and final unit indication. Pure.
 *
 * free5GC's SMF (INTEROP §0.9, §1.3) reads only `multipleUnitInformation[].triggers` keyed by
 * (ratingGroup, uPFID), takes `grantedUnit.totalVolume` on QUOTA_EXHAUSTED (0 or absent = block), and
 * never reads finalUnitIndication: exhaustion is therefore ALSO a zero grant with QUOTA_EXHAUSTED.
 * All its volume fields are int32, so every volume we answer is capped at 2^31-1.
 */
import { dearestTariff, eligibleBundles, priceOf, unitOf } from './rating.ts'
import { INT32_MAX, type BundleView, type FinalAction, type RatingPlan, type UnitKind } from './types.ts'

/** TS 32.291 ResultCode values we use. */
export type ResultCode = 'SUCCESS' | 'END_USER_SERVICE_DENIED' | 'QUOTA_LIMIT_REACHED' | 'RATING_FAILED' | 'QUOTA_MANAGEMENT_NOT_APPLICABLE'

export interface FinalUnitIndication {
  finalUnitAction: Exclude<FinalAction, 'THROTTLE'>
  redirectServer?: { redirectAddressType: 'URL'; redirectServerAddress: string }
  filterId?: string
}

export interface GrantInput {
  plan: RatingPlan
  ratingGroup: number
  zone: string
  now: Date
  /** Units the consumer asked for (requestedUnit), if any. */
  requested?: number
  /** Grant when nothing (or a volume below MIN_VOLUME_REQUEST) is requested, per unit kind. */
  defaultGrant: Record<UnitKind, number>
  /** Balance + credit limit − reserved (minor units); what new reservations may take. */
  availableMoney: number
  bundles: BundleView[]
  /** Units of each bundle this session already holds for this rating group (released by the same op). */
  ownReserved?: Record<string, number>
  /** Money this session holds for this rating group (released by the same op). */
  ownReservedMoney?: number
  /** Config quota validity time, seconds. */
  validityTime: number
  /** volumeQuotaThreshold as a fraction of the grant (free5GC semantics: report when this much is used). */
  thresholdRate: number
  barred?: boolean
}

export interface GrantDecision {
  resultCode: ResultCode
  unit: UnitKind
  /** Units granted (≤ INT32_MAX). */
  units: number
  bundleReserve: { bundleId: string; units: number }[]
  /** Minor units reserved from the balance. */
  moneyReserve: number
  validityTime: number
  /** Usage level (units) at which the SMF should report; undefined with a zero grant. */
  threshold?: number
  finalUnitIndication?: FinalUnitIndication
  /** Nothing could be granted (zero grant). */
  exhausted: boolean
  /** A THROTTLE plan's grant with nothing behind it: used units beyond bundles/balance are not charged. */
  unfunded?: boolean
}

export function finalUnitIndicationOf(plan: RatingPlan): FinalUnitIndication {
  switch (plan.finalUnitAction) {
    case 'REDIRECT':
      return plan.redirectUrl
        ? { finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: plan.redirectUrl } }
        : { finalUnitAction: 'TERMINATE' }
    case 'RESTRICT_ACCESS':
      return { finalUnitAction: 'RESTRICT_ACCESS', ...(plan.restrictionFilterId ? { filterId: plan.restrictionFilterId } : {}) }
    default:
      return { finalUnitAction: 'TERMINATE' }
  }
}

/** Volume requests below this (bytes) are raised to the default grant. */
export const MIN_VOLUME_REQUEST = 65_536

/** Decides the grant for one rating group. */
export function decideGrant(input: GrantInput): GrantDecision {
  const { plan, ratingGroup, zone, now } = input
  const unit = unitOf(plan, ratingGroup, zone, now)
  const validityTime = Math.max(1, Math.floor(input.validityTime))
  const zero = (resultCode: ResultCode, fui: FinalUnitIndication | undefined = finalUnitIndicationOf(plan)): GrantDecision => ({
    resultCode,
    unit,
    units: 0,
    bundleReserve: [],
    moneyReserve: 0,
    validityTime,
    finalUnitIndication: fui,
    exhausted: true,
  })
  if (input.barred) return zero('END_USER_SERVICE_DENIED', { finalUnitAction: 'TERMINATE' })

  // A tiny volume request is raised to the default grant: free5GC's SMF asks for cfg.requestedUnit
  // (1000 bytes by default), and a quota that small would make the UPF report every kilobyte.
  const req = input.requested && input.requested > 0 ? input.requested : 0
  const asked = req === 0 || (unit === 'VOLUME' && req < MIN_VOLUME_REQUEST) ? Math.max(req, input.defaultGrant[unit]) : req
  const wanted = Math.max(1, Math.min(INT32_MAX, Math.floor(asked)))
  let left = wanted
  const bundleReserve: { bundleId: string; units: number }[] = []
  let earliestExpiry: string | undefined
  for (const b of eligibleBundles(input.bundles, ratingGroup, unit, zone, now)) {
    if (left === 0) break
    const free = b.remaining - b.reserved + (input.ownReserved?.[b.id] ?? 0)
    const take = Math.min(left, Math.max(0, free))
    if (take > 0) {
      bundleReserve.push({ bundleId: b.id, units: take })
      left -= take
      if (b.validUntil && (!earliestExpiry || b.validUntil < earliestExpiry)) earliestExpiry = b.validUntil
    }
  }

  let moneyUnits = 0
  let moneyReserve = 0
  const until = new Date(now.getTime() + validityTime * 1000)
  const tariff = left > 0 ? dearestTariff(plan, ratingGroup, zone, now, until, unit) : undefined
  if (left > 0 && tariff) {
    if (tariff.price === 0) moneyUnits = left
    else {
      const money = Math.max(0, input.availableMoney + (input.ownReservedMoney ?? 0))
      const steps = BigInt(money) / BigInt(tariff.price)
      const affordable = steps * BigInt(tariff.unitSize)
      moneyUnits = Number(affordable < BigInt(left) ? affordable : BigInt(left))
      moneyReserve = priceOf(moneyUnits, tariff)
    }
  }
  const units = wanted - left + moneyUnits

  let validity = validityTime
  if (earliestExpiry) {
    const s = Math.ceil((Date.parse(earliestExpiry) - now.getTime()) / 1000)
    validity = Math.max(1, Math.min(validity, s))
  }

  if (units === 0) {
    if (plan.finalUnitAction === 'THROTTLE') {
      return { resultCode: 'SUCCESS', unit, units: wanted, bundleReserve: [], moneyReserve: 0, validityTime: validity, threshold: thresholdOf(wanted, input.thresholdRate), exhausted: false, unfunded: true }
    }
    const rateable = hasTariff(plan, ratingGroup, zone, unit) || eligibleBundles(input.bundles, ratingGroup, unit, zone, now).length > 0
    return zero(rateable ? 'QUOTA_LIMIT_REACHED' : 'RATING_FAILED')
  }
  const final = units < wanted && plan.finalUnitAction !== 'THROTTLE'
  return {
    resultCode: 'SUCCESS',
    unit,
    units,
    bundleReserve,
    moneyReserve,
    validityTime: validity,
    threshold: thresholdOf(units, input.thresholdRate),
    ...(final ? { finalUnitIndication: finalUnitIndicationOf(plan) } : {}),
    exhausted: false,
  }
}

function hasTariff(plan: RatingPlan, ratingGroup: number, zone: string, unit: UnitKind): boolean {
  return plan.tariffs.some((t) => (t.ratingGroup === ratingGroup || t.ratingGroup === 0) && (t.zone ?? '') === zone && t.unit === unit)
}

function thresholdOf(units: number, rate: number): number | undefined {
  if (units <= 0 || !(rate > 0) || rate >= 1) return undefined
  return Math.max(1, Math.floor(units * rate))
}
