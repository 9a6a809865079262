/**
 * The UDR's repository over the document store: free5GC's collection names and document shapes
 * (INTEROP §3.1), so free5GC's webconsole and this UDR can share one MongoDB database. Every document
 * carries `ueId` (and `servingPlmnId` for provisioned data); numbers are written as BSON doubles
 * (`bsonNumbers: 'double'`), DNN map keys with `.` escaped as `_`.
 *
 * Every write goes through here and reports a {@link DataChange} to `onChange`, so subscribers to
 * `subs-to-notify` hear about it whoever the writer is (UDM, PCF, BSS, importer). Writes made to the
 * database behind our back (e.g. by free5GC's webconsole) are not seen: there is no change stream.
 */
import { randomUUID } from 'node:crypto'
import { DuplicateKeyError, type Collection, type Doc, type DocumentStore, type Filter } from '../../store/port.ts'
import { sealAuthSubscription, openAuthSubscription, redactAuthSubscription } from './domain/secrets.ts'
import {
  applyJsonPatch,
  applyMergePatch,
  diffToUpdate,
  PatchError,
  testsToFilter,
  type PatchResult,
} from './domain/json-patch.ts'
import {
  escapeDnn,
  smDataForStore,
  smDataFromStore,
  smPolicyDataKeys,
  snssaiEquals,
  snssaiKeyF5,
  unescapeDnn,
  type Snssai,
} from './domain/subscription.ts'

export const COLLECTIONS = {
  authSubscription: 'subscriptionData.authenticationData.authenticationSubscription',
  authStatus: 'subscriptionData.authenticationData.authenticationStatus',
  amData: 'subscriptionData.provisionedData.amData',
  smfSelData: 'subscriptionData.provisionedData.smfSelectionSubscriptionData',
  smData: 'subscriptionData.provisionedData.smData',
  amf3gpp: 'subscriptionData.contextData.amf3gppAccess',
  smfRegistrations: 'subscriptionData.contextData.smfRegistrations',
  sdmSubscriptions: 'subscriptionData.contextData.sdmSubscriptions',
  policyAmData: 'policyData.ues.amData',
  policySmData: 'policyData.ues.smData',
  uePolicySet: 'policyData.ues.uePolicySet',
  subscriptionDataSubs: 'udr.subscriptionDataSubscriptions',
  policyDataSubs: 'udr.policyDataSubscriptions',
} as const

export type Area = 'subscription-data' | 'policy-data'

/** One write, as seen by the change notifier. `before`/`after` are API views (secrets removed). */
export interface DataChange {
  area: Area
  ueId: string
  /** Resource path relative to the Nudr_DR base, e.g. `/subscription-data/imsi-…/99970/provisioned-data/am-data`. */
  resource: string
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
}

export interface WriteResult {
  created: boolean
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
}

export class NotFoundError extends Error {
  constructor(readonly cause3gpp: 'USER_NOT_FOUND' | 'DATA_NOT_FOUND' | 'CONTEXT_NOT_FOUND' | 'SUBSCRIPTION_NOT_FOUND', detail: string) {
    super(detail)
    this.name = 'NotFoundError'
  }
}

/** Singleton data sets keyed by ueId (+ servingPlmnId / pduSessionId). */
export type Kind =
  | 'authStatus'
  | 'amData'
  | 'smfSelData'
  | 'amf3gpp'
  | 'smfRegistration'
  | 'policyAmData'
  | 'policySmData'
  | 'uePolicySet'

export interface Key {
  ueId: string
  servingPlmnId?: string
  pduSessionId?: number
}

interface KindDef {
  coll: string
  area: Area
  /** Fields of the key stored in the document. */
  keyFields: (keyof Key)[]
  resource(k: Key): string
  toStore?(view: Record<string, unknown>): Record<string, unknown>
  fromStore?(doc: Record<string, unknown>): Record<string, unknown>
}

const enc = encodeURIComponent
const KINDS: Record<Kind, KindDef> = {
  authStatus: {
    coll: COLLECTIONS.authStatus,
    area: 'subscription-data',
    keyFields: ['ueId'],
    resource: (k) => `/subscription-data/${enc(k.ueId)}/authentication-data/authentication-status`,
  },
  amData: {
    coll: COLLECTIONS.amData,
    area: 'subscription-data',
    keyFields: ['ueId', 'servingPlmnId'],
    resource: (k) => `/subscription-data/${enc(k.ueId)}/${k.servingPlmnId}/provisioned-data/am-data`,
  },
  smfSelData: {
    coll: COLLECTIONS.smfSelData,
    area: 'subscription-data',
    keyFields: ['ueId', 'servingPlmnId'],
    resource: (k) => `/subscription-data/${enc(k.ueId)}/${k.servingPlmnId}/provisioned-data/smf-selection-subscription-data`,
  },
  amf3gpp: {
    coll: COLLECTIONS.amf3gpp,
    area: 'subscription-data',
    keyFields: ['ueId'],
    resource: (k) => `/subscription-data/${enc(k.ueId)}/context-data/amf-3gpp-access`,
  },
  smfRegistration: {
    coll: COLLECTIONS.smfRegistrations,
    area: 'subscription-data',
    keyFields: ['ueId', 'pduSessionId'],
    resource: (k) => `/subscription-data/${enc(k.ueId)}/context-data/smf-registrations/${k.pduSessionId}`,
  },
  policyAmData: {
    coll: COLLECTIONS.policyAmData,
    area: 'policy-data',
    keyFields: ['ueId'],
    resource: (k) => `/policy-data/ues/${enc(k.ueId)}/am-data`,
  },
  policySmData: {
    coll: COLLECTIONS.policySmData,
    area: 'policy-data',
    keyFields: ['ueId'],
    resource: (k) => `/policy-data/ues/${enc(k.ueId)}/sm-data`,
    toStore: (v) => smPolicyDataKeys(v, escapeDnn),
    fromStore: (d) => smPolicyDataKeys(d, unescapeDnn),
  },
  uePolicySet: {
    coll: COLLECTIONS.uePolicySet,
    area: 'policy-data',
    keyFields: ['ueId'],
    resource: (k) => `/policy-data/ues/${enc(k.ueId)}/ue-policy-set`,
  },
}

/** Fields that belong to the storage key, not to the 3GPP resource. */
const STORAGE_FIELDS = ['_id', 'ueId', 'servingPlmnId']

function strip(doc: Doc | null, keep: string[] = []): Record<string, unknown> | null {
  if (!doc) return null
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(doc)) if (!STORAGE_FIELDS.includes(k) || keep.includes(k)) out[k] = v
  return out
}

export interface UdrStoreOptions {
  kek: string
  onChange?: (c: DataChange) => Promise<void> | void
  newId?: () => string
}

export class UdrStore {
  readonly onChangeHandlers: ((c: DataChange) => Promise<void> | void)[] = []
  private readonly newId: () => string

  constructor(
    readonly store: DocumentStore,
    private readonly opts: UdrStoreOptions,
  ) {
    if (opts.onChange) this.onChangeHandlers.push(opts.onChange)
    this.newId = opts.newId ?? randomUUID
  }

  coll(name: string): Collection {
    return this.store.collection(name, { bsonNumbers: 'double' })
  }

  /** Indexes on the free5GC keys. A shared database with duplicates keeps working without the unique index. */
  async init(log?: { warn(o: object, m: string): void }): Promise<void> {
    const specs: [string, string[], boolean][] = [
      [COLLECTIONS.authSubscription, ['ueId'], true],
      [COLLECTIONS.authStatus, ['ueId'], true],
      [COLLECTIONS.amData, ['ueId', 'servingPlmnId'], true],
      [COLLECTIONS.smfSelData, ['ueId', 'servingPlmnId'], true],
      [COLLECTIONS.smData, ['ueId', 'servingPlmnId'], false],
      [COLLECTIONS.amf3gpp, ['ueId'], true],
      [COLLECTIONS.smfRegistrations, ['ueId', 'pduSessionId'], true],
      [COLLECTIONS.sdmSubscriptions, ['ueId'], false],
      [COLLECTIONS.policyAmData, ['ueId'], true],
      [COLLECTIONS.policySmData, ['ueId'], true],
      [COLLECTIONS.uePolicySet, ['ueId'], true],
      [COLLECTIONS.subscriptionDataSubs, ['ueKey'], false],
      [COLLECTIONS.policyDataSubs, ['ueKey'], false],
    ]
    for (const [c, fields, unique] of specs) {
      try {
        await this.coll(c).createIndex({ fields, unique })
      } catch (err) {
        log?.warn({ collection: c, err: (err as Error).message }, 'index not created')
      }
    }
  }

  private async changed(area: Area, ueId: string, resource: string, before: WriteResult['before'], after: WriteResult['after']) {
    for (const h of this.onChangeHandlers) await h({ area, ueId, resource, before, after })
  }

  /** A subscriber exists when it has an authentication subscription or AM data. */
  async ueExists(ueId: string): Promise<boolean> {
    return (
      (await this.coll(COLLECTIONS.authSubscription).exists({ ueId })) ||
      (await this.coll(COLLECTIONS.amData).exists({ ueId }))
    )
  }

  async notFound(ueId: string, what: string): Promise<NotFoundError> {
    return (await this.ueExists(ueId))
      ? new NotFoundError('DATA_NOT_FOUND', `no ${what} for this subscriber`)
      : new NotFoundError('USER_NOT_FOUND', 'unknown subscriber')
  }

  private filterOf(def: KindDef, k: Key): Filter {
    const f: Filter = {}
    for (const kf of def.keyFields) f[kf] = k[kf]
    return f
  }

  // ---- singleton data sets ----

  /** Reads one data set. Provisioned data falls back to any serving PLMN when the asked one has none. */
  async get(kind: Kind, k: Key): Promise<Record<string, unknown> | null> {
    const def = KINDS[kind]
    const c = this.coll(def.coll)
    let doc = await c.findOne(this.filterOf(def, k))
    if (!doc && def.keyFields.includes('servingPlmnId')) doc = await c.findOne({ ueId: k.ueId })
    const v = strip(doc)
    return v && def.fromStore ? def.fromStore(v) : v
  }

  async list(kind: Kind, ueId: string): Promise<Record<string, unknown>[]> {
    const def = KINDS[kind]
    const docs = await this.coll(def.coll).find({ ueId }, { sort: { pduSessionId: 1 } })
    return docs.map((d) => {
      const v = strip(d)!
      return def.fromStore ? def.fromStore(v) : v
    })
  }

  /** Create or replace. */
  async put(kind: Kind, k: Key, view: Record<string, unknown>): Promise<WriteResult> {
    const def = KINDS[kind]
    const c = this.coll(def.coll)
    const filter = this.filterOf(def, k)
    const prev = await c.findOne(filter)
    const body = strip(view)!
    const stored = { ...(def.toStore ? def.toStore(body) : body), ...filter }
    await upsert(c, filter, stored)
    const before = strip(prev)
    const after = body
    const r = { created: !prev, before: before && def.fromStore ? def.fromStore(before) : before, after }
    await this.changed(def.area, k.ueId, def.resource(k), r.before, r.after)
    return r
  }

  /**
   * JSON Patch (array) or merge patch (object). `test` operations guard the write: if another writer
   * changed a tested value since it was read, nothing is written and PatchError('TEST_FAILED') is thrown.
   */
  async patch(kind: Kind, k: Key, patch: unknown): Promise<WriteResult> {
    const def = KINDS[kind]
    const c = this.coll(def.coll)
    let filter = this.filterOf(def, k)
    let prev = await c.findOne(filter)
    if (!prev && def.keyFields.includes('servingPlmnId')) {
      prev = await c.findOne({ ueId: k.ueId })
      if (prev) filter = { ...filter, servingPlmnId: prev.servingPlmnId }
    }
    if (!prev) throw await this.notFound(k.ueId, kind)
    const beforeView = strip(prev)!
    const before = def.fromStore ? def.fromStore(beforeView) : beforeView
    const { doc: after, tests } = applyPatch(before, patch)
    const newStored = { ...(def.toStore ? def.toStore(after) : after) }
    await this.guardedUpdate(c, prev, beforeView, newStored, tests)
    await this.changed(def.area, k.ueId, def.resource({ ...k, servingPlmnId: (prev.servingPlmnId as string) ?? k.servingPlmnId }), before, after)
    return { created: false, before, after }
  }

  private async guardedUpdate(
    c: Collection,
    prev: Doc,
    beforeStored: Record<string, unknown>,
    afterStored: Record<string, unknown>,
    tests: PatchResult['tests'],
  ): Promise<void> {
    const update = diffToUpdate(beforeStored, afterStored)
    const guard = { _id: prev._id, ...testsToFilter(tests) }
    if (!update.$set && !update.$unset) {
      if (tests.length && !(await c.exists(guard))) throw new PatchError('TEST_FAILED', 'changed concurrently')
      return
    }
    const r = await c.updateOne(guard, update)
    if (r.matched === 0) throw new PatchError('TEST_FAILED', 'changed concurrently')
  }

  async delete(kind: Kind, k: Key): Promise<WriteResult> {
    const def = KINDS[kind]
    const prev = await this.coll(def.coll).findOneAndDelete(this.filterOf(def, k))
    if (!prev) throw await this.notFound(k.ueId, kind)
    const v = strip(prev)!
    const before = def.fromStore ? def.fromStore(v) : v
    await this.changed(def.area, k.ueId, def.resource(k), before, null)
    return { created: false, before, after: null }
  }

  // ---- authentication subscription (K/OPc sealed at rest) ----

  private authResource = (ueId: string) => `/subscription-data/${enc(ueId)}/authentication-data/authentication-subscription`

  /** The clear view, K and OPc included: only the authentication-subscription GET may return it. */
  async getAuthSubscription(ueId: string): Promise<Record<string, unknown> | null> {
    const doc = await this.coll(COLLECTIONS.authSubscription).findOne({ ueId })
    return doc ? openAuthSubscription(this.opts.kek, ueId, strip(doc)!) : null
  }

  async putAuthSubscription(ueId: string, view: Record<string, unknown>): Promise<WriteResult> {
    const c = this.coll(COLLECTIONS.authSubscription)
    const prev = await c.findOne({ ueId })
    const sealed = sealAuthSubscription(this.opts.kek, ueId, strip(view)!, strip(prev))
    await upsert(c, { ueId }, { ...sealed, ueId })
    const before = prev ? redactAuthSubscription(openAuthSubscription(this.opts.kek, ueId, strip(prev)!)) : null
    const after = redactAuthSubscription(view)
    await this.changed('subscription-data', ueId, this.authResource(ueId), before, after)
    return { created: !prev, before, after }
  }

  async patchAuthSubscription(ueId: string, patch: unknown): Promise<WriteResult> {
    const c = this.coll(COLLECTIONS.authSubscription)
    const prev = await c.findOne({ ueId })
    if (!prev) throw await this.notFound(ueId, 'authentication subscription')
    const prevStored = strip(prev)!
    const view = openAuthSubscription(this.opts.kek, ueId, prevStored)
    const { doc: newView, tests } = applyPatch(view, patch)
    const newStored = sealAuthSubscription(this.opts.kek, ueId, newView, prevStored, undefined, view)
    // Guards on secret fields cannot be expressed on ciphertext; they were checked on the read above.
    const guards = tests.filter((t) => !['encPermanentKey', 'encOpcKey', 'encTopcKey'].includes(t.path[0]))
    await this.guardedUpdate(c, prev, prevStored, newStored, guards)
    const before = redactAuthSubscription(view)
    const after = redactAuthSubscription(newView)
    await this.changed('subscription-data', ueId, this.authResource(ueId), before, after)
    return { created: false, before, after }
  }

  async deleteAuthSubscription(ueId: string): Promise<void> {
    const prev = await this.coll(COLLECTIONS.authSubscription).findOneAndDelete({ ueId })
    if (!prev) throw new NotFoundError('USER_NOT_FOUND', 'unknown subscriber')
    const before = redactAuthSubscription(openAuthSubscription(this.opts.kek, ueId, strip(prev)!))
    await this.changed('subscription-data', ueId, this.authResource(ueId), before, null)
  }

  // ---- sm-data: one document per slice (free5GC) ----

  private smResource = (ueId: string, plmn: string) => `/subscription-data/${enc(ueId)}/${plmn}/provisioned-data/sm-data`

  /** SessionManagementSubscriptionData list, filtered like free5GC's UDR (slice, then DNN present). */
  async querySmData(ueId: string, plmn: string, f: { singleNssai?: Snssai; dnn?: string } = {}): Promise<Record<string, unknown>[]> {
    const c = this.coll(COLLECTIONS.smData)
    let docs = await c.find({ ueId, servingPlmnId: plmn }, { sort: { _id: 1 } })
    if (docs.length === 0) {
      const any = await c.find({ ueId }, { sort: { _id: 1 } })
      const plmns = [...new Set(any.map((d) => d.servingPlmnId))]
      docs = any.filter((d) => d.servingPlmnId === plmns[0])
    }
    let views = docs.map((d) => smDataFromStore(strip(d)!))
    if (f.singleNssai) {
      const want = f.singleNssai
      views = views.filter((v) => {
        const s = v.singleNssai as Snssai | undefined
        return want.sd ? snssaiEquals(s, want) : Number(s?.sst) === Number(want.sst)
      })
    }
    if (f.dnn) {
      const dnn = f.dnn.toLowerCase()
      views = views.filter((v) =>
        Object.keys((v.dnnConfigurations as object) ?? {}).some((k) => k.toLowerCase() === dnn),
      )
    }
    return views
  }

  private smDataAsMap(list: Record<string, unknown>[]): Record<string, unknown> | null {
    if (list.length === 0) return null
    return Object.fromEntries(list.map((v) => [snssaiKeyF5((v.singleNssai as Snssai) ?? { sst: 0 }), v]))
  }

  /** Replaces the whole sm-data of a subscriber in one serving PLMN (one document per slice). */
  async putSmData(ueId: string, plmn: string, list: Record<string, unknown>[]): Promise<WriteResult> {
    const c = this.coll(COLLECTIONS.smData)
    const prev = await c.find({ ueId, servingPlmnId: plmn })
    await c.deleteMany({ ueId, servingPlmnId: plmn })
    // `_id`s sort in list order, so the list reads back as provisioned (PATCH paths index it).
    let i = 0
    for (const item of list) {
      const _id = `${ueId}:${plmn}:${String(i++).padStart(3, '0')}:${this.newId()}`
      await c.insertOne({ ...smDataForStore(strip(item)!), ueId, servingPlmnId: plmn, _id })
    }
    const before = this.smDataAsMap(prev.map((d) => smDataFromStore(strip(d)!)))
    const after = this.smDataAsMap(list.map((v) => strip(v)!))
    await this.changed('subscription-data', ueId, this.smResource(ueId, plmn), before, after)
    return { created: prev.length === 0, before, after }
  }

  async deleteSmData(ueId: string, plmn: string): Promise<void> {
    const c = this.coll(COLLECTIONS.smData)
    const prev = await c.find({ ueId, servingPlmnId: plmn })
    if (prev.length === 0) throw await this.notFound(ueId, 'sm-data')
    await c.deleteMany({ ueId, servingPlmnId: plmn })
    await this.changed('subscription-data', ueId, this.smResource(ueId, plmn), this.smDataAsMap(prev.map((d) => smDataFromStore(strip(d)!))), null)
  }

  // ---- SDM subscriptions (context-data) ----

  private sdmResource = (ueId: string, id: string) => `/subscription-data/${enc(ueId)}/context-data/sdm-subscriptions/${enc(id)}`

  async createSdmSubscription(ueId: string, sub: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.newId()
    const view = { ...strip(sub)!, subscriptionId: id }
    await this.coll(COLLECTIONS.sdmSubscriptions).insertOne({ ...view, ueId, _id: id })
    await this.changed('subscription-data', ueId, this.sdmResource(ueId, id), null, view)
    return view
  }

  async getSdmSubscription(ueId: string, id: string): Promise<Record<string, unknown> | null> {
    return strip(await this.coll(COLLECTIONS.sdmSubscriptions).findOne({ _id: id, ueId }))
  }

  async listSdmSubscriptions(ueId: string): Promise<Record<string, unknown>[]> {
    return (await this.coll(COLLECTIONS.sdmSubscriptions).find({ ueId })).map((d) => strip(d)!)
  }

  async replaceSdmSubscription(ueId: string, id: string, sub: Record<string, unknown>): Promise<WriteResult> {
    const c = this.coll(COLLECTIONS.sdmSubscriptions)
    const prev = await c.findOne({ _id: id, ueId })
    if (!prev) throw new NotFoundError('SUBSCRIPTION_NOT_FOUND', 'no such SDM subscription')
    const view = { ...strip(sub)!, subscriptionId: id }
    await c.replaceOne({ _id: id }, { ...view, ueId, _id: id })
    await this.changed('subscription-data', ueId, this.sdmResource(ueId, id), strip(prev), view)
    return { created: false, before: strip(prev), after: view }
  }

  /** Deletes an SDM subscription and the change subscriptions made on its behalf (they carry it). */
  async deleteSdmSubscription(ueId: string, id: string): Promise<void> {
    const prev = await this.coll(COLLECTIONS.sdmSubscriptions).findOneAndDelete({ _id: id, ueId })
    if (!prev) throw new NotFoundError('SUBSCRIPTION_NOT_FOUND', 'no such SDM subscription')
    await this.coll(COLLECTIONS.subscriptionDataSubs).deleteMany({ ueId, 'sdmSubscription.subscriptionId': id })
    await this.changed('subscription-data', ueId, this.sdmResource(ueId, id), strip(prev), null)
  }

  // ---- change subscriptions ----

  private changeSubscriptions(area: Area): Collection {
    return this.store.collection(area === 'subscription-data' ? COLLECTIONS.subscriptionDataSubs : COLLECTIONS.policyDataSubs)
  }

  /**
   * Stores a change subscription, or, when one with the same UE, callback and body (all but `expiry`)
   * exists, refreshes its expiry and returns its id: a consumer that re-subscribes on every registration
   * (the UDM's withdrawal watch) keeps one subscription per UE.
   */
  async createChangeSubscription(area: Area, doc: Record<string, unknown>): Promise<string> {
    const coll = this.changeSubscriptions(area)
    const sameAs = (d: Record<string, unknown>) => {
      const { _id, subscriptionId, expiry, ...rest } = d
      void _id, void subscriptionId, void expiry
      return stableJson(rest)
    }
    const wanted = sameAs(doc)
    for (const old of await coll.find({ ueKey: doc.ueKey as string })) {
      if (sameAs(old) !== wanted) continue
      await coll.updateOne({ _id: old._id }, doc.expiry !== undefined ? { $set: { expiry: doc.expiry } } : { $unset: { expiry: '' } })
      return String(old._id)
    }
    const id = this.newId()
    await coll.insertOne({ ...doc, _id: id, subscriptionId: id })
    return id
  }

  async getChangeSubscription(area: Area, id: string): Promise<Doc | null> {
    return this.changeSubscriptions(area).findOne({ _id: id })
  }

  async deleteChangeSubscription(area: Area, id: string): Promise<boolean> {
    return (await this.changeSubscriptions(area).deleteOne({ _id: id })) > 0
  }

  /** Subscriptions that may match a change of `ueId` (those about that UE and those about every UE). */
  async candidateSubscriptions(area: Area, ueId: string): Promise<Doc[]> {
    return this.changeSubscriptions(area).find({ ueKey: { $in: [ueId, '*'] } })
  }
}

/** JSON text with object keys sorted at every level (equal documents, whatever their key order). */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** JSON Patch for arrays, merge patch for objects; PatchError otherwise. */
export function applyPatch(doc: Record<string, unknown>, patch: unknown): PatchResult {
  if (Array.isArray(patch)) return applyJsonPatch(doc, patch)
  if (patch && typeof patch === 'object') return { doc: applyMergePatch(doc, patch), tests: [] }
  throw new PatchError('INVALID', 'expected a JSON patch array or a merge patch object')
}

/** Create-or-replace; two writers racing to create the same resource both succeed (the later replaces). */
async function upsert(c: Collection, filter: Filter, doc: Doc): Promise<void> {
  try {
    await c.replaceOne(filter, doc, { upsert: true })
  } catch (err) {
    if (!(err instanceof DuplicateKeyError)) throw err
    await c.replaceOne(filter, doc)
  }
}
