/**
 * The CHF's persistent state in domain terms: account (ABMF) and charging-session documents, rated
 * usage rows, and the account change one operation makes. nf/chf/store.ts persists them; the pure
 * planning in domain/session.ts produces them.
 */
import { memoByString } from '../../../store/doc.ts'
import type { BundleView, RatingPlan, UnitKind } from './types.ts'

export interface BundleDoc extends BundleView {
  name?: string
  source?: string
  recurrence?: string
  /** Rollover rule at the end of a recurrence period: carry the unused remainder (up to `total`). */
  rollover?: boolean
  /** remaining − reserved, kept by every update (guard field). */
  available: number
}

/** The pending effect of one operation on the account, stored in the account as its idempotency marker. */
export interface OpMarker {
  id: string
  kind: 'session'
  ref: string
  /** The session document to write once the account change is applied (its version = old + 1). */
  session: SessionDoc
  rated: RatedUsageDoc[]
  at: string
}

export interface AccountDoc extends Record<string, unknown> {
  _id: string
  gpsi?: string
  planId: string
  currency: string
  /** Minor units. */
  balance: number
  reserved: number
  creditLimit: number
  /** balance + creditLimit − reserved. */
  available: number
  bundles: Record<string, BundleDoc>
  plan: RatingPlan
  state: 'ACTIVE' | 'BARRED'
  barReason?: string
  /** policyCounterId → current status (TS 29.594). */
  policyCounters: Record<string, string>
  /** Op markers (see charging.ts); `pendingOps` counts them so a reconciler can find accounts with any. */
  ops: Record<string, OpMarker>
  pendingOps: number
  /** Outcomes of AccountService calls by idempotency key. */
  idem: Record<string, { at: string; transactionId: string; result?: unknown }>
  /** Balance below the plan's lowBalanceThreshold (chf.balance.low emitted once per crossing). */
  lowBalance?: boolean
  /** Earliest end of period of a recurring bundle (renewal sweeper index). */
  nextBundleRenewal?: string
  createdAt: string
  updatedAt: string
  version: number
}

export interface Reservation {
  money: number
  /** bundle key → units */
  bundles: Record<string, number>
  units: number
  expiresAt: string
  unfunded?: boolean
}

export interface RgState {
  ratingGroup: number
  uPFID?: string
  unit: UnitKind
  reservation?: Reservation
  /** The last answer gave nothing (QUOTA_EXHAUSTED with 0): re-authorise on top-up. */
  exhausted: boolean
  /** Quota was granted at least once (a first grant is an event; renewals are not). */
  granted?: boolean
  offline?: boolean
  /** Start of the next usage interval (previous report's trigger time). */
  lastReportAt: string
  usedUnits: number
  amount: number
}

/** One CHF-CDR container (TS 32.298 MultipleUnitUsage / UsedUnitContainer after rating). */
export interface CdrContainer {
  ratingGroup: number
  localSequenceNumber?: number
  triggerTimestamp?: string
  uplinkVolume?: number
  downlinkVolume?: number
  totalVolume?: number
  time?: number
  serviceSpecificUnits?: number
  triggers?: unknown[]
  quotaManagementIndicator?: string
  ratedAmount: number
  bundleUnits: number
  currency: string
  zone: string
}

export interface CdrRecord extends Record<string, unknown> {
  recordId: string
}

export interface SessionDoc extends Record<string, unknown> {
  _id: string
  supi: string
  gpsi?: string
  version: number
  state: 'OPEN' | 'CLOSED'
  createdAt: string
  updatedAt: string
  notifyUri?: string
  chargingId?: number
  nfConsumer?: Record<string, unknown>
  pduSession?: Record<string, unknown>
  servingPlmn?: string
  zone: string
  ratType?: string
  oneTimeEvent?: boolean
  rgs: Record<string, RgState>
  /** Identities of the usage reports already applied (last 64). */
  applied: string[]
  /** The last request's sequence number, and its fingerprint and answer when a retransmission would be answered from it. */
  last?: { fp?: string; isn: number; answer?: unknown; status: number }
  /** Earliest reservation expiry (sweeper index); absent when nothing is reserved. */
  nextExpiry?: string
  /**
   * The CHF-CDR being built: its sequence number, opening time, how many containers it has (they are in
   * the rated rows with this `cdrSeq`), volume and amount. `containers`: documents written before the
   * containers moved to the rated rows.
   */
  cdr: { seq: number; openedAt: string; count?: number; containers?: CdrContainer[]; volume: number; amount: number }
  /** CDRs cut but not yet written to a file. */
  cdrPending: CdrRecord[]
  hasPendingCdr: boolean
  closedAt?: string
  /** Last request from the consumer (sweeper ops do not count): a silent session is closed after a day. */
  lastRequestAt?: string
}

export interface RatedUsageDoc extends Record<string, unknown> {
  _id: string
  supi: string
  ratingGroup: number
  chargingDataRef: string
  unit: UnitKind
  units: number
  uplinkVolume: number
  downlinkVolume: number
  bundleUnits: number
  amount: number
  currency: string
  ts: string
  zone: string
  unrated?: number
  /** The CHF-CDR of the session this usage belongs to (recordSequenceNumber), and its container there. */
  cdrSeq?: number
  container?: CdrContainer
}

export interface SlcSubscriptionDoc extends Record<string, unknown> {
  _id: string
  supi: string
  gpsi?: string
  notifUri: string
  policyCounterIds?: string[]
  supportedFeatures?: string
  createdAt: string
}

/**
 * The copy of a session an op plans on. Planning changes in place only the rating-group states (and their
 * reservation) and the record counters in `cdr`; everything else it replaces instead of changing (applied
 * ids, the last answer, pending CDRs, scalars), and what never changes after create (the consumer's
 * identification, the PDU session information) is shared. A generic deep copy of the ~1.3 KB session was
 * ~4 % of a charging update's CPU. test/chf/readonly-inputs.test.ts plans on deep-frozen documents.
 */
export function copySession(s: SessionDoc): SessionDoc {
  const rgs: Record<string, RgState> = {}
  for (const k in s.rgs) {
    const r = s.rgs[k]!
    rgs[k] = r.reservation ? { ...r, reservation: { ...r.reservation, bundles: { ...r.reservation.bundles } } } : { ...r }
  }
  return { ...s, rgs, cdr: { ...s.cdr } }
}

/**
 * A map key made from an id: `prefix` + the id with '%', '.' and '$' percent-encoded, so it is one
 * dotted-path segment on both adapters (the prefix keeps it from being numeric or starting with '$').
 */
export function mapKey(prefix: string, id: string): string {
  return prefix + id.replace(/[%.$]/g, (c) => '%' + c.charCodeAt(0).toString(16))
}

/** Map key of a bundle id. */
export function bundleKey(id: string): string {
  return mapKey('b_', id)
}

/**
 * Map key of a session's op marker in `ops` (one per session: each op replaces the previous one), the same
 * string for every op of the session. Keys that repeat matter: a property name never seen before costs V8
 * ~2 µs per object it is put in (string internalisation, a new hidden class), and a per-op key made ~5 of
 * those per charging update.
 */
export const markerKey: (ref: string) => string = memoByString((ref) => mapKey('s_', ref), 100_000)

/**
 * The session's op marker, if any. A running session's marker stays in the account until the session's
 * next op replaces it, and it holds the session as that op left it. Markers written by older code (one
 * key per op, `opKey`) are found too: the one with the highest version.
 */
export function liveMarkerOf(acct: AccountDoc, ref: string): OpMarker | undefined {
  const ops = acct.ops
  if (!ops) return undefined
  let best = ops[markerKey(ref)]
  for (const k in ops) {
    if (k.startsWith('o_')) {
      const m = ops[k]!
      if (m.ref === ref && (!best || m.session.version > best.session.version)) best = m
    }
  }
  return best
}

/** Keys of the markers of a session written by older code (one key per op). */
export function legacyMarkerKeys(acct: AccountDoc, ref: string): string[] {
  const out: string[] = []
  for (const k in acct.ops) if (k.startsWith('o_') && acct.ops[k]!.ref === ref) out.push(k)
  return out
}

/**
 * The session as it is now: its row, or the session its live marker holds when that is newer (the row of a
 * running session is written behind: see nf/chf/charging.ts).
 */
export function currentSession(row: SessionDoc, acct: AccountDoc | null): SessionDoc {
  return newerOf(row, acct ? liveMarkerOf(acct, row._id) : undefined)
}

/** The row, or the session of the session's live marker `m` when that is newer. */
export function newerOf(row: SessionDoc, m: OpMarker | undefined): SessionDoc {
  return m && m.session.version > row.version ? m.session : row
}

/** The id of a session's op (ref, version): its marker's `id`, and the map key older code stored it under. */
export function opKey(ref: string, version: number): string {
  return mapKey('o_', `${ref}@${version}`)
}

/** One guarded account change. */
export interface AccountChange {
  opId: string
  marker?: OpMarker
  /** Require `available >= moneyGuard` (set when the change reserves money). */
  moneyGuard?: number
  money: { balance: number; reserved: number }
  /** bundle key → deltas; guard (when set) requires bundles.<key>.available >= guard. */
  bundles: Record<string, { remaining: number; reserved: number; guard?: number }>
  /**
   * With a marker: the id of the session's marker this op replaces (the update requires it to be there),
   * or undefined when the session has none (the update requires that).
   */
  replaces?: string
  /** Markers of the same session stored by older code under per-op keys, removed by this update (they must still exist). */
  clearMarkers?: string[]
}

export type ApplyOutcome = { kind: 'applied' } | { kind: 'already'; marker?: OpMarker } | { kind: 'refused' } | { kind: 'no-account' }
