/**
 * CHF domain types: the rating plan (the snapshot proto/account.proto's RatingPlan carries), bundles and
 * the units they count, in TS 32.290/32.291 terms. Money is always an integer in minor units of the
 * account's currency; volumes are bytes, time is seconds, events are counts.
 */

/** What a tariff or bundle counts: VOLUME (bytes), TIME (seconds), EVENTS (service-specific units). */
export type UnitKind = 'VOLUME' | 'TIME' | 'EVENTS'

/** TS 32.291 FinalUnitAction, plus THROTTLE (ours: keep granting, the PCF applies the after-exhaustion QoS). */
export type FinalAction = 'TERMINATE' | 'REDIRECT' | 'RESTRICT_ACCESS' | 'THROTTLE'

/** One tariff line: the price of usage on one rating group (0 = any) beyond the bundles. */
export interface Tariff {
  ratingGroup: number
  unit: UnitKind
  /** Minor units per `unitSize` units; usage is rounded up to whole steps per rated piece. */
  price: number
  /** Units per price step: 1048576 bytes = per MB, 60 s = per minute, 1 = per event. */
  unitSize: number
  /** Time-of-day window "HH:MM" (in the plan's time zone, UTC by default); both empty = all day. from > to wraps midnight. */
  timeFrom?: string
  timeTo?: string
  /** Days of week the window applies to (0 = Sunday … 6 = Saturday, day of the window's start); absent = every day. */
  days?: number[]
  /** Roaming zone id; '' or absent = home network. */
  zone?: string
}

/** Roaming zone: a named set of serving PLMNs (mcc+mnc, e.g. "20801"); '*' matches any foreign PLMN. */
export interface RoamingZone {
  id: string
  plmns: string[]
}

/** The rating snapshot of a subscriber's plan (proto RatingPlan + what we read from its `json`). */
export interface RatingPlan {
  planId: string
  name?: string
  paymentType: 'PREPAID' | 'POSTPAID'
  tariffs: Tariff[]
  finalUnitAction: FinalAction
  redirectUrl?: string
  /** Filter id the UPF/SMF applies on RESTRICT_ACCESS (TS 32.291 FinalUnitIndication.filterId). */
  restrictionFilterId?: string
  /** Postpaid: the balance may go down to -creditLimit. */
  creditLimit: number
  lowBalanceThreshold?: number
  /** ONLINE: quota management; OFFLINE: no quota, usage recorded and debited (TS 32.255 offline). */
  chargingMode?: 'ONLINE' | 'OFFLINE'
  roamingZones?: RoamingZone[]
  /** Fixed offset of the plan's local time from UTC, minutes (tariff windows and day-of-week). */
  utcOffsetMinutes?: number
  /** Spending-limit policy counters (TS 29.594) the plan defines; default: one `data-allowance`. */
  policyCounters?: PolicyCounterDef[]
}

/**
 * A policy counter (TS 29.594 PolicyCounterInfo) derived from bundle consumption: the status is the
 * first entry of `thresholds` (ordered by decreasing `usedRatio`) whose ratio the consumption reaches,
 * else `normal`. `exhausted` is reported when the bundles it watches have no units left.
 */
export interface PolicyCounterDef {
  id: string
  /** Which bundles count: by unit (default VOLUME) and rating group (absent = any). */
  unit?: UnitKind
  ratingGroup?: number
  /** e.g. [{ status: 'warning', usedRatio: 0.8 }]. */
  thresholds?: { status: string; usedRatio: number }[]
}

/** A bundle as the domain sees it: units still free to use (remaining minus reserved). */
export interface BundleView {
  id: string
  /** 0 = any rating group. */
  ratingGroup: number
  unit: UnitKind
  total: number
  remaining: number
  reserved: number
  validFrom?: string
  validUntil?: string
  /** Lower is consumed first. */
  priority: number
  /** Zones where the bundle applies; absent = home only, ['*'] = everywhere. */
  zones?: string[]
}

/** Largest value free5GC's models accept for any volume (int32, INTEROP §0.9). */
export const INT32_MAX = 2_147_483_647

export const HOME_ZONE = ''
