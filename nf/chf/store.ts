/**
 * The CHF's repository over the store port: the ABMF (accounts with balance and bundles), charging
 * sessions, rated usage and spending-limit subscriptions.
 *
 * Balances never overdraw and never double-charge without multi-document transactions (DESIGN §4):
 * every balance change is ONE guarded update of the account document, e.g.
 *   filter { _id: supi, available: { $gte: 120 }, 'ops.<opId>': { $exists: false } }
 *   update { $inc: { reserved: 120, available: -120 }, $set: { 'ops.<opId>': marker } }
 * `available` is kept equal to balance + creditLimit − reserved by every update (it exists so the guard
 * is a single-field comparison), and the same per bundle (`bundles.<key>.available` = remaining − reserved).
 * How the account op and the session document stay consistent across a crash is explained in
 * nf/chf/charging.ts (the op marker is the idempotency record).
 *
 * Bundles are stored as a map keyed by an encoded bundle id (not an array) so a guarded update can
 * address one bundle by a dotted path on both adapters; the API shows them as a list.
 */
import type { Collection, DocumentStore, Filter, Update } from '../../store/port.ts'
import { DuplicateKeyError } from '../../store/port.ts'
import type { BundleView, RatingPlan, UnitKind } from './domain/types.ts'

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
  last?: { fp: string; isn: number; answer: unknown; status: number }
  /** Earliest reservation expiry (sweeper index); absent when nothing is reserved. */
  nextExpiry?: string
  cdr: { seq: number; openedAt: string; containers: CdrContainer[]; volume: number; amount: number }
  /** CDRs cut but not yet written to a file. */
  cdrPending: CdrRecord[]
  hasPendingCdr: boolean
  closedAt?: string
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

/** Map key of a bundle id: safe as one dotted-path segment on both adapters (no '.', '$', not numeric). */
export function bundleKey(id: string): string {
  return 'b_' + id.replace(/[%.$]/g, (c) => '%' + c.charCodeAt(0).toString(16))
}

export function opKey(ref: string, version: number): string {
  return 'o_' + `${ref}@${version}`.replace(/[%.$]/g, (c) => '%' + c.charCodeAt(0).toString(16))
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
  /** Markers of earlier, completed ops of the same session to remove with this update (they must still exist). */
  clearMarkers?: string[]
}

export type ApplyOutcome = { kind: 'applied' } | { kind: 'already'; marker?: OpMarker } | { kind: 'refused' } | { kind: 'no-account' }

export class ChfStore {
  readonly accounts: Collection<AccountDoc>
  readonly sessions: Collection<SessionDoc>
  readonly rated: Collection<RatedUsageDoc>
  readonly slc: Collection<SlcSubscriptionDoc>

  constructor(store: DocumentStore) {
    this.accounts = store.collection<AccountDoc>('chf.accounts')
    this.sessions = store.collection<SessionDoc>('chf.sessions')
    this.rated = store.collection<RatedUsageDoc>('chf.ratedUsage')
    this.slc = store.collection<SlcSubscriptionDoc>('chf.slcSubscriptions')
  }

  async init(): Promise<void> {
    await this.accounts.createIndex({ fields: ['pendingOps'] })
    await this.accounts.createIndex({ fields: ['gpsi'] })
    await this.accounts.createIndex({ fields: ['nextBundleRenewal'] })
    await this.sessions.createIndex({ fields: ['supi'] })
    await this.sessions.createIndex({ fields: ['nextExpiry'] })
    await this.sessions.createIndex({ fields: ['hasPendingCdr'] })
    await this.rated.createIndex({ fields: ['supi', 'ts'] })
    await this.slc.createIndex({ fields: ['supi'] })
  }

  getAccount(supi: string): Promise<AccountDoc | null> {
    return this.accounts.findOne({ _id: supi })
  }

  /** Inserts a new account; false when the supi exists. */
  async insertAccount(doc: AccountDoc): Promise<boolean> {
    try {
      await this.accounts.insertOne(doc)
      return true
    } catch (e) {
      if (e instanceof DuplicateKeyError) return false
      throw e
    }
  }

  /**
   * Applies a balance/bundle change as ONE guarded update: it happens entirely or not at all, at most
   * once per opId (the marker `ops.<opId>` is the idempotency record; without a marker the guard is
   * `idem.<opId>`, set by the same update).
   */
  async applyChange(supi: string, c: AccountChange, now: string, extra: Update = {}): Promise<ApplyOutcome> {
    const markerPath = c.marker ? `ops.${c.opId}` : `idem.${c.opId}`
    const filter: Filter = { _id: supi, [markerPath]: { $exists: false } }
    if (c.moneyGuard !== undefined) filter.available = { $gte: c.moneyGuard }
    const inc: Record<string, number> = { version: 1 }
    const add = (k: string, v: number) => {
      if (v !== 0) inc[k] = (inc[k] ?? 0) + v
    }
    add('balance', c.money.balance)
    add('reserved', c.money.reserved)
    add('available', c.money.balance - c.money.reserved)
    for (const [k, d] of Object.entries(c.bundles)) {
      // the bundle must still exist (a $inc on a removed bundle would resurrect a fragment of it)
      filter[`bundles.${k}.id`] = { $exists: true }
      if (d.guard !== undefined) filter[`bundles.${k}.available`] = { $gte: d.guard }
      add(`bundles.${k}.remaining`, d.remaining)
      add(`bundles.${k}.reserved`, d.reserved)
      add(`bundles.${k}.available`, d.remaining - d.reserved)
    }
    const set: Record<string, unknown> = { updatedAt: now }
    if (c.marker) {
      set[markerPath] = c.marker
      add('pendingOps', 1)
    } else set[markerPath] = { at: now, transactionId: c.opId }
    Object.assign(set, extra.$set ?? {})
    for (const [k, v] of Object.entries(extra.$inc ?? {})) add(k, v)
    const unset: Record<string, unknown> = { ...(extra.$unset ?? {}) }
    for (const k of c.clearMarkers ?? []) {
      filter[`ops.${k}`] = { $exists: true }
      unset[`ops.${k}`] = ''
      add('pendingOps', -1)
    }
    const r = await this.accounts.updateOne(filter, { ...extra, $inc: inc, $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) })
    if (r.matched === 1) return { kind: 'applied' }
    const acct = await this.accounts.findOne({ _id: supi })
    if (!acct) return { kind: 'no-account' }
    if (c.marker && acct.ops?.[c.opId]) return { kind: 'already', marker: acct.ops[c.opId] }
    if (!c.marker && acct.idem?.[c.opId]) return { kind: 'already' }
    return { kind: 'refused' }
  }

  async clearMarker(supi: string, opId: string): Promise<void> {
    await this.accounts.updateOne({ _id: supi, [`ops.${opId}`]: { $exists: true } }, { $unset: { [`ops.${opId}`]: '' }, $inc: { pendingOps: -1 } })
  }

  getSession(ref: string): Promise<SessionDoc | null> {
    return this.sessions.findOne({ _id: ref })
  }

  async insertSession(doc: SessionDoc): Promise<void> {
    await this.sessions.insertOne(doc)
  }

  /** Writes the next version of a session iff it is still at `version - 1`. */
  async casSession(next: SessionDoc): Promise<boolean> {
    const r = await this.sessions.replaceOne({ _id: next._id, version: next.version - 1 }, next)
    return r.matched === 1
  }

  async insertRated(docs: RatedUsageDoc[]): Promise<void> {
    for (const d of docs) {
      try {
        await this.rated.insertOne(d)
      } catch (e) {
        if (!(e instanceof DuplicateKeyError)) throw e
      }
    }
  }
}

/** Bundle list of an account, as the domain sees it. */
export function bundleViews(acct: AccountDoc): BundleView[] {
  return Object.values(acct.bundles ?? {})
}
