/**
 * The PCF's repository over the store port: policy associations and per-subscriber subscriptions,
 * so that any PCF instance can serve any update or callback and a restart loses nothing.
 *
 * Collections
 * - `pcf.smPolicies` one per SM policy association: `_id` smPolicyId, supi, context (SmPolicyContextData
 *   as received), decision (last SmPolicyDecision sent), summary, terminated?, timestamps.
 * - `pcf.amPolicies` one per AM policy association: `_id` polAssoId, supi, accessType, request, policy.
 * - `pcf.ues` one per subscriber with a live association (or whose last one ended less than the
 *   linger period ago): `_id` supi, `udrSub` (our policy-data subscription at the UDR, with `gen`, bumped
 *   by every change notification, and `notifyRoot`, the apiRoot its notifications go to), `slc` (our
 *   spending-limit subscription at the CHF and the last counter statuses it reported), `idleSince`
 *   (when the last association ended; the sweeper releases the subscriptions after the linger period).
 */
import { DuplicateKeyError, type Collection, type DocumentStore } from '../../store/port.ts'
import type { PolicyAssociation, PolicyAssociationRequest, SmPolicyContextData, SmPolicyDecision } from './domain/types.ts'
import type { SmPolicySummary } from './domain/sm-policy.ts'

export interface SmPolicyDoc {
  _id: string
  supi: string
  pduSessionId: number
  dnn: string
  context: SmPolicyContextData
  decision: SmPolicyDecision
  summary: SmPolicySummary
  /** A /terminate was queued (subscriber barred): not re-sent on later changes. */
  terminated?: boolean
  createdAt: string
  updatedAt: string
  [k: string]: unknown
}

export interface AmPolicyDoc {
  _id: string
  supi: string
  accessType?: string
  request: PolicyAssociationRequest
  policy: PolicyAssociation
  createdAt: string
  updatedAt: string
  [k: string]: unknown
}

export interface RemoteSubscription {
  /** 'pending' while the creating instance waits for the peer's answer. */
  state: 'pending' | 'active' | 'failed'
  /** Absolute Location of the subscription at the peer (for DELETE). */
  uri?: string
  since: string
  /** apiRoot of the instance whose callback the peer notifies (another instance adopts it when it dies). */
  notifyRoot?: string
}

export interface UdrSubscription extends RemoteSubscription {
  /** Bumped by every policy-data change notification: a cached copy of an older generation is stale. */
  gen?: number
}

export interface UeDoc {
  _id: string
  udrSub?: UdrSubscription
  /** When the subscriber's last association ended (ISO); absent while it has one. */
  idleSince?: string
  slc?: RemoteSubscription & {
    policyCounterIds: string[]
    /** policyCounterId → currentStatus as last reported by the CHF. */
    statuses: Record<string, string>
  }
  createdAt: string
  [k: string]: unknown
}

export class PcfStore {
  readonly sm: Collection<SmPolicyDoc>
  readonly am: Collection<AmPolicyDoc>
  readonly ues: Collection<UeDoc>
  /** One document per PCF instance (by apiRoot) with its last heart-beat: who is alive to be notified. */
  readonly instances: Collection<{ _id: string; aliveAt: number }>

  constructor(store: DocumentStore) {
    this.sm = store.collection<SmPolicyDoc>('pcf.smPolicies')
    this.am = store.collection<AmPolicyDoc>('pcf.amPolicies')
    this.ues = store.collection<UeDoc>('pcf.ues')
    this.instances = store.collection('pcf.instances')
  }

  async init(): Promise<void> {
    await this.sm.createIndex({ fields: ['supi'] })
    // Only terminated associations are in it: a live one's insert and updates never touch it.
    await this.sm.createIndex({ fields: ['terminated'], sparse: true })
    await this.am.createIndex({ fields: ['supi'] })
    await this.ues.createIndex({ fields: ['idleSince'] })
    await this.ues.createIndex({ fields: ['udrSub.notifyRoot'] })
    await this.ues.createIndex({ fields: ['slc.notifyRoot'] })
    await this.instances.createIndex({ fields: ['aliveAt'] })
  }

  /** Heart-beat of an instance (aliveAt 0: stopped, its subscriptions may be adopted at once). */
  async beat(apiRoot: string, aliveAt: number): Promise<void> {
    await this.instances.updateOne({ _id: apiRoot }, { $set: { aliveAt } }, { upsert: true })
  }

  /** Instances other than `own` whose last heart-beat is older than `before` (ms). */
  async silentInstances(own: string, before: number): Promise<string[]> {
    return (await this.instances.find({ aliveAt: { $lt: before } })).map((d) => d._id).filter((id) => id !== own)
  }

  /** Subscribers whose UDR or CHF subscription notifies `root`. */
  async uesNotifying(root: string, limit: number): Promise<UeDoc[]> {
    const byUdr = await this.ues.find({ 'udrSub.notifyRoot': root }, { limit })
    const bySlc = await this.ues.find({ 'slc.notifyRoot': root }, { limit })
    const seen = new Set(byUdr.map((u) => u._id))
    return [...byUdr, ...bySlc.filter((u) => !seen.has(u._id))]
  }

  async forgetInstance(root: string, before: number): Promise<void> {
    await this.instances.deleteOne({ _id: root, aliveAt: { $lt: before } })
  }

  /**
   * Takes over one of a silent instance's subscriptions (guarded: exactly one live instance wins):
   * `field` goes to `pending` with our apiRoot. Returns the document as it was, or null when lost.
   */
  async adopt(supi: string, field: 'udrSub' | 'slc', deadRoot: string, ownRoot: string): Promise<UeDoc | null> {
    return this.ues.findOneAndUpdate(
      { _id: supi, [`${field}.notifyRoot`]: deadRoot, [`${field}.state`]: 'active' },
      { $set: { [`${field}.notifyRoot`]: ownRoot, [`${field}.state`]: 'pending' } },
      { returnDocument: 'before' },
    )
  }

  insertSm(doc: SmPolicyDoc): Promise<string> {
    return this.sm.insertOne(doc)
  }

  /** `readonly`: the caller changes nothing in the association it gets (the store may share it: no copy). */
  getSm(id: string, readonly = false): Promise<SmPolicyDoc | null> {
    return this.sm.findOne({ _id: id }, { readonly })
  }

  smOfSupi(supi: string): Promise<SmPolicyDoc[]> {
    return this.sm.find({ supi })
  }

  /** The SUPI's associations for one PDU session ID as `_id` and `dnn`, newest first (ids are time-ordered); usually one. */
  smOfPduSession(supi: string, pduSessionId: number): Promise<Array<Pick<SmPolicyDoc, '_id' | 'dnn'>>> {
    return this.sm.find({ supi, pduSessionId }, { sort: { _id: -1 }, projection: { dnn: 1 } })
  }

  /** Deletes an association; false when it was not there (no document read, unlike deleteSm). */
  async removeSm(id: string): Promise<boolean> {
    return (await this.sm.deleteOne({ _id: id })) > 0
  }

  async saveSmDecision(id: string, patch: Partial<SmPolicyDoc>): Promise<boolean> {
    const r = await this.sm.updateOne({ _id: id }, { $set: patch })
    return r.matched > 0
  }

  deleteSm(id: string): Promise<SmPolicyDoc | null> {
    return this.sm.findOneAndDelete({ _id: id })
  }

  /** The ids of the associations terminated before `before` (ISO), oldest first. */
  terminatedSmBefore(before: string, limit: number): Promise<Array<Pick<SmPolicyDoc, '_id'>>> {
    return this.sm.find({ terminated: true, updatedAt: { $lt: before } }, { sort: { updatedAt: 1 }, limit, projection: { _id: 1 } })
  }

  /** Deletes an association if it is (still) a terminated one. */
  deleteTerminatedSm(id: string): Promise<SmPolicyDoc | null> {
    return this.sm.findOneAndDelete({ _id: id, terminated: true })
  }

  countSm(supi: string): Promise<number> {
    return this.sm.count({ supi })
  }

  /** Whether the subscriber has an SM association (one indexed row, unlike a count over all of them). */
  hasSm(supi: string): Promise<boolean> {
    return this.sm.exists({ supi })
  }

  insertAm(doc: AmPolicyDoc): Promise<string> {
    return this.am.insertOne(doc)
  }

  getAm(id: string): Promise<AmPolicyDoc | null> {
    return this.am.findOne({ _id: id })
  }

  amOfSupi(supi: string): Promise<AmPolicyDoc[]> {
    return this.am.find({ supi })
  }

  async saveAm(id: string, patch: Partial<AmPolicyDoc>): Promise<boolean> {
    const r = await this.am.updateOne({ _id: id }, { $set: patch })
    return r.matched > 0
  }

  deleteAm(id: string): Promise<AmPolicyDoc | null> {
    return this.am.findOneAndDelete({ _id: id })
  }

  countAm(supi: string): Promise<number> {
    return this.am.count({ supi })
  }

  hasAm(supi: string): Promise<boolean> {
    return this.am.exists({ supi })
  }

  getUe(supi: string): Promise<UeDoc | null> {
    return this.ues.findOne({ _id: supi })
  }

  /** Creates the subscriber's document if absent (idempotent, safe under concurrency). */
  async ensureUe(supi: string, now: string): Promise<void> {
    try {
      await this.ues.updateOne({ _id: supi }, { $setOnInsert: { createdAt: now } }, { upsert: true })
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err
    }
  }

  /**
   * Claims the right to create the subscription `field` for this subscriber: true for exactly one caller
   * (across instances) while none exists or the last attempt failed.
   */
  async claim(supi: string, field: 'udrSub' | 'slc', now: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    const absent = await this.ues.updateOne(
      { _id: supi, [field]: { $exists: false } },
      { $set: { [field]: { state: 'pending', since: now, ...extra } } },
    )
    if (absent.matched > 0) return true
    const failed = await this.ues.updateOne(
      { _id: supi, [`${field}.state`]: 'failed' },
      { $set: { [field]: { state: 'pending', since: now, ...extra } } },
    )
    return failed.matched > 0
  }

  async setUe(supi: string, set: Record<string, unknown>): Promise<void> {
    await this.ues.updateOne({ _id: supi }, { $set: set })
  }

  async unsetUe(supi: string, field: 'udrSub' | 'slc'): Promise<UeDoc | null> {
    return this.ues.findOneAndUpdate({ _id: supi, [field]: { $exists: true } }, { $unset: { [field]: '' } }, { returnDocument: 'before' })
  }

  deleteUe(supi: string): Promise<UeDoc | null> {
    return this.ues.findOneAndDelete({ _id: supi })
  }

  /** A policy-data change was notified: bumps the generation of our UDR subscription; the document after. */
  bumpPolicyDataGen(supi: string): Promise<UeDoc | null> {
    return this.ues.findOneAndUpdate({ _id: supi, udrSub: { $exists: true } }, { $inc: { 'udrSub.gen': 1 } }, { returnDocument: 'after' })
  }

  /** Marks the subscriber idle from `now` (its last SM session ended); a new association does not clear it, the sweeper does. */
  async markIdle(supi: string, now: string): Promise<void> {
    await this.ues.updateOne({ _id: supi }, { $set: { idleSince: now } })
  }

  /** Subscribers idle since `cutoff` or earlier. */
  idleBefore(cutoff: string, limit = 100): Promise<UeDoc[]> {
    return this.ues.find({ idleSince: { $lte: cutoff } }, { limit })
  }

  /** Ends the idle mark set at `since` (an association came back); false if another sweeper got there first. */
  async clearIdle(supi: string, since: string): Promise<boolean> {
    return (await this.ues.updateOne({ _id: supi, idleSince: since }, { $unset: { idleSince: '' } })).matched > 0
  }

  /** Removes `field` if the subscriber is still idle since `since`; the document before. */
  unsetUeIfIdle(supi: string, field: 'udrSub' | 'slc', since: string): Promise<UeDoc | null> {
    return this.ues.findOneAndUpdate({ _id: supi, idleSince: since, [field]: { $exists: true } }, { $unset: { [field]: '' } }, { returnDocument: 'before' })
  }

  /** Deletes the subscriber's document if it is still idle since `since`. */
  deleteUeIfIdle(supi: string, since: string): Promise<UeDoc | null> {
    return this.ues.findOneAndDelete({ _id: supi, idleSince: since })
  }
}
