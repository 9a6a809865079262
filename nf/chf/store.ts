/**
 * The CHF's repository over the store port: the ABMF (accounts with balance and bundles), charging
 * sessions, rated usage and spending-limit subscriptions.
 *
 * Balances never overdraw and never double-charge without multi-document transactions (DESIGN §4):
 * every balance change is ONE guarded update of the account document, e.g.
 *   filter { _id: supi, available: { $gte: 120 }, 'ops.<session>.id': <the marker the op planned from> }
 *   update { $inc: { reserved: 120, available: -120 }, $set: { 'ops.<session>': marker } }
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
import { memoByString } from '../../store/doc.ts'
import type { RetentionRule } from '../sbi/retention.ts'
import type { BundleView } from './domain/types.ts'
import { markerKey, type AccountChange, type AccountDoc, type ApplyOutcome, type CdrContainer, type OpMarker, type RatedUsageDoc, type SessionDoc, type SlcSubscriptionDoc } from './domain/state.ts'

export * from './domain/state.ts'

/**
 * The dotted paths of a session's marker, built once per session: the same string objects every op (a
 * property key V8 has already internalised; a fresh template string is hashed and looked up every time).
 */
const markerPaths = memoByString((ref) => {
  const marker = `ops.${markerKey(ref)}`
  return { marker, id: `${marker}.id` }
}, 100_000)

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
    await this.sessions.createIndex({ fields: ['state', 'lastRequestAt'] })
    await this.sessions.createIndex({ fields: ['hasPendingCdr'] })
    await this.rated.createIndex({ fields: ['supi', 'ts'] })
    await this.rated.createIndex({ fields: ['chargingDataRef', 'cdrSeq'] })
    await this.rated.createIndex({ fields: ['ts'] })
    await this.slc.createIndex({ fields: ['supi'] })
  }

  /** `readonly`: the caller changes nothing in the account it gets (the store may share it: no copy). */
  getAccount(supi: string, readonly = false): Promise<AccountDoc | null> {
    return this.accounts.findOne({ _id: supi }, { readonly })
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
   * once per opId (a session's marker `ops.s_<ref>` holds the op id and is replaced by the session's next
   * op; without a marker the guard is `idem.<opId>`, set by the same update).
   */
  async applyChange(supi: string, c: AccountChange, now: string, extra: Update = {}): Promise<ApplyOutcome> {
    const paths = c.marker ? markerPaths(c.marker.ref) : undefined
    const markerPath = paths ? paths.marker : `idem.${c.opId}`
    const filter: Filter = { _id: supi }
    // a session's op replaces the marker it planned from: the update requires exactly that one to be there
    if (paths && c.replaces !== undefined) filter[paths.id] = c.replaces
    else filter[markerPath] = { $exists: false }
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
      if (c.replaces === undefined) add('pendingOps', 1)
    } else set[markerPath] = { at: now, transactionId: c.opId }
    Object.assign(set, extra.$set ?? {})
    for (const [k, v] of Object.entries(extra.$inc ?? {})) add(k, v)
    const unset: Record<string, unknown> = { ...(extra.$unset ?? {}) }
    for (const k of c.clearMarkers ?? []) {
      filter[`ops.${k}`] = { $exists: true }
      unset[`ops.${k}`] = ''
      add('pendingOps', -1)
    }
    // adopt: the marker (the op's next session) and the other values are built for this update and never
    // changed afterwards, so the store keeps them instead of copying them in
    const r = await this.accounts.updateOne(filter, { ...extra, $inc: inc, $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { adopt: true })
    if (r.matched === 1) return { kind: 'applied' }
    const acct = await this.accounts.findOne({ _id: supi })
    if (!acct) return { kind: 'no-account' }
    if (c.marker && acct.ops?.[markerKey(c.marker.ref)]?.id === c.opId) return { kind: 'already', marker: acct.ops[markerKey(c.marker.ref)] }
    if (!c.marker && acct.idem?.[c.opId]) return { kind: 'already' }
    return { kind: 'refused' }
  }

  /** Removes a session's op marker if it is still this one (under its session key, or older code's per-op key). */
  async clearMarker(supi: string, m: OpMarker): Promise<void> {
    const key = markerKey(m.ref)
    const r = await this.accounts.updateOne({ _id: supi, [`ops.${key}.id`]: m.id }, { $unset: { [`ops.${key}`]: '' }, $inc: { pendingOps: -1 } })
    if (r.matched === 0) await this.accounts.updateOne({ _id: supi, [`ops.${m.id}`]: { $exists: true } }, { $unset: { [`ops.${m.id}`]: '' }, $inc: { pendingOps: -1 } })
  }

  /** `readonly`: the caller changes nothing in the session it gets (the store may share it: no copy). */
  getSession(ref: string, readonly = false): Promise<SessionDoc | null> {
    return this.sessions.findOne({ _id: ref }, { readonly })
  }

  async insertSession(doc: SessionDoc): Promise<void> {
    await this.sessions.insertOne(doc)
  }

  /** Writes a version of a session iff the row holds an older one (rows are written behind: nf/chf/charging.ts). */
  async casSession(next: SessionDoc): Promise<boolean> {
    const r = await this.sessions.replaceOne({ _id: next._id, version: { $lt: next.version } }, next)
    return r.matched === 1
  }

  /** The CDR containers of one record of a session, in usage order (nf/chf/cdr.ts). */
  async cdrContainers(ref: string, cdrSeq: number): Promise<CdrContainer[]> {
    const rows = await this.rated.find({ chargingDataRef: ref, cdrSeq }, { sort: { ts: 1, _id: 1 } })
    return rows.flatMap((r) => (r.container ? [r.container] : []))
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

/**
 * The CHF's records for the retention sweeper (nf/sbi/retention.ts): charging sessions closed more than
 * `sessionsMs` ago whose CDRs are all written (their content is in the CDR files), and rated usage rows
 * older than `ratedMs` (the usage history and the BSS bill runs read them: keep past the longest period
 * re-billed). A session is never deleted while it is open or a CDR of it is pending.
 */
export function chfRetention(sessionsMs: number, ratedMs: number): RetentionRule[] {
  return [
    {
      name: 'chf.sessions closed',
      collection: 'chf.sessions',
      keepMs: sessionsMs,
      // lastRequestAt ≤ closedAt: the (state, lastRequestAt) index narrows, closedAt decides.
      expired: (cutoff) => {
        const c = cutoff.toISOString()
        return { state: 'CLOSED', lastRequestAt: { $lt: c }, closedAt: { $lt: c }, hasPendingCdr: false }
      },
      sort: { state: 1, lastRequestAt: 1 },
    },
    {
      name: 'chf.ratedUsage',
      collection: 'chf.ratedUsage',
      keepMs: ratedMs,
      expired: (cutoff) => ({ ts: { $lt: cutoff.toISOString() } }),
      sort: { ts: 1 },
    },
  ]
}
