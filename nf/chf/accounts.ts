/**
 * The ABMF's account operations (what gRPC AccountService exposes, proto/account.proto): create, read,
 * top-up, adjust, bundles, plan change, bar/unbar, delete, rated usage. Every mutation is one guarded
 * update of the account document, idempotent by its idempotencyKey (`idem.<key>` set by the same update).
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { EventSink } from '../sbi/ports.ts'
import type { BundleView, FinalAction, RatingPlan, Tariff, UnitKind } from './domain/types.ts'
import { bundleKey, mapKey, type AccountDoc, type BundleDoc, type ChfStore, type RatedUsageDoc } from './store.ts'
import { nextRenewal, renewBundle } from './domain/bundles.ts'

export class AccountError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION',
    message: string,
  ) {
    super(message)
    this.name = 'AccountError'
  }
}

/** Bundle as the API gives it (proto Bundle). */
export interface BundleInput {
  id: string
  name?: string
  ratingGroup?: number
  unit?: string
  total: number
  remaining?: number
  validFrom?: string
  validUntil?: string
  source?: string
  priority?: number
  recurrence?: string
  zones?: string[]
  rollover?: boolean
}

/** Plan as the API gives it (proto RatingPlan; `json` may carry roamingZones, chargingMode, days, policyCounters). */
export interface PlanInput {
  planId?: string
  name?: string
  paymentType?: string
  tariffs?: Array<Partial<Tariff> & { ratingGroup?: number; unit?: string; timeFrom?: string; timeTo?: string }>
  finalUnitAction?: string
  redirectUrl?: string
  creditLimit?: number
  lowBalanceThreshold?: number
  json?: string
}

export interface CreateAccountInput {
  supi: string
  gpsi?: string
  planId?: string
  currency?: string
  openingBalance?: number
  bundles?: BundleInput[]
  plan?: PlanInput
  idempotencyKey?: string
}

const UNITS: UnitKind[] = ['VOLUME', 'TIME', 'EVENTS']
const ACTIONS: FinalAction[] = ['TERMINATE', 'REDIRECT', 'RESTRICT_ACCESS', 'THROTTLE']

function int(v: unknown, name: string, min = -Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' ? Number(v) : (v as number)
  if (!Number.isSafeInteger(n) || n < min) throw new AccountError('INVALID_ARGUMENT', `${name} must be an integer${min > -Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ''}`)
  return n
}

export function toPlan(p: PlanInput | undefined, planId: string): RatingPlan {
  let extra: Record<string, any> = {}
  if (p?.json) {
    try {
      extra = JSON.parse(p.json)
    } catch {
      throw new AccountError('INVALID_ARGUMENT', 'plan.json is not JSON')
    }
  }
  const action = (p?.finalUnitAction || extra.finalUnitAction || 'TERMINATE') as FinalAction
  if (!ACTIONS.includes(action)) throw new AccountError('INVALID_ARGUMENT', `plan.finalUnitAction must be one of ${ACTIONS.join(', ')}`)
  const tariffs: Tariff[] = (p?.tariffs ?? extra.tariffs ?? []).map((t: any, i: number) => {
    const unit = (t.unit || 'VOLUME') as UnitKind
    if (!UNITS.includes(unit)) throw new AccountError('INVALID_ARGUMENT', `plan.tariffs[${i}].unit`)
    const out: Tariff = { ratingGroup: int(t.ratingGroup ?? 0, `plan.tariffs[${i}].ratingGroup`, 0), unit, price: int(t.price ?? 0, `plan.tariffs[${i}].price`, 0), unitSize: int(t.unitSize || 1, `plan.tariffs[${i}].unitSize`, 1) }
    if (t.timeFrom) out.timeFrom = t.timeFrom
    if (t.timeTo) out.timeTo = t.timeTo
    if (t.zone) out.zone = t.zone
    const days = t.days ?? extra.tariffDays?.[i]
    if (Array.isArray(days) && days.length) out.days = days.map(Number)
    return out
  })
  const paymentType = p?.paymentType === 'POSTPAID' ? 'POSTPAID' : 'PREPAID'
  return {
    planId: p?.planId || planId,
    ...(p?.name ? { name: p.name } : {}),
    paymentType,
    tariffs,
    finalUnitAction: action,
    ...(p?.redirectUrl || extra.redirectUrl ? { redirectUrl: p?.redirectUrl || extra.redirectUrl } : {}),
    ...(extra.restrictionFilterId ? { restrictionFilterId: String(extra.restrictionFilterId) } : {}),
    creditLimit: paymentType === 'POSTPAID' ? int(p?.creditLimit ?? 0, 'plan.creditLimit', 0) : 0,
    ...(p?.lowBalanceThreshold ? { lowBalanceThreshold: int(p.lowBalanceThreshold, 'plan.lowBalanceThreshold', 0) } : {}),
    ...(extra.chargingMode === 'OFFLINE' ? { chargingMode: 'OFFLINE' as const } : {}),
    ...(Array.isArray(extra.roamingZones) ? { roamingZones: extra.roamingZones } : {}),
    ...(typeof extra.utcOffsetMinutes === 'number' ? { utcOffsetMinutes: extra.utcOffsetMinutes } : {}),
    ...(Array.isArray(extra.policyCounters) ? { policyCounters: extra.policyCounters } : {}),
  }
}

export function toBundle(b: BundleInput, now: string): BundleDoc {
  if (!b.id) throw new AccountError('INVALID_ARGUMENT', 'bundle.id is required')
  const unit = (b.unit || 'VOLUME') as UnitKind
  if (!UNITS.includes(unit)) throw new AccountError('INVALID_ARGUMENT', 'bundle.unit')
  const total = int(b.total, 'bundle.total', 0)
  const remaining = b.remaining === undefined ? total : Math.min(total, int(b.remaining, 'bundle.remaining', 0))
  const out: BundleDoc = {
    id: b.id, ratingGroup: int(b.ratingGroup ?? 0, 'bundle.ratingGroup', 0), unit, total, remaining, reserved: 0, available: remaining,
    validFrom: b.validFrom || now, priority: int(b.priority ?? 0, 'bundle.priority'),
  }
  if (b.validUntil) out.validUntil = b.validUntil
  if (b.name) out.name = b.name
  if (b.source) out.source = b.source
  if (b.recurrence) out.recurrence = b.recurrence
  if (b.zones?.length) out.zones = b.zones
  if (b.rollover) out.rollover = true
  return out
}

/** How long an AccountService call's idempotency record is kept (a retry after that is a new call). */
export const IDEMPOTENCY_RETENTION_MS = 30 * 86_400_000
/** At most this many idempotency records per account (the newest). */
export const IDEMPOTENCY_MAX_RECORDS = 200

/**
 * The `$unset` that prunes an account's idempotency records older than the retention, and the oldest
 * beyond the cap, keeping `keep` (the call being made). Every charging update serialises the account
 * document, so records must not pile up for the account's lifetime (a daily top-up would add 70 KB a year).
 */
export function staleIdempotencyRecords(a: AccountDoc | null, now: Date, keep: string): Record<string, ''> {
  const out: Record<string, ''> = {}
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS).toISOString()
  const recs = Object.entries(a?.idem ?? {}).filter(([k]) => k !== keep)
  recs.sort((x, y) => String(y[1]?.at ?? '').localeCompare(String(x[1]?.at ?? '')))
  recs.forEach(([k, r], i) => {
    if (i >= IDEMPOTENCY_MAX_RECORDS - 1 || String(r?.at ?? '') < cutoff) out[`idem.${k}`] = ''
  })
  return out
}

function idemKey(k: string | undefined): string {
  return mapKey('k_', k || randomUUID())
}

export interface AccountDeps {
  store: ChfStore
  clock: () => Date
  log: Logger
  events: EventSink
  defaultCurrency: string
  /** After a change that may make quota available (top-up, bundle, plan, unbar) or bar the account. */
  onChanged?: (supi: string, what: 'topup' | 'adjust' | 'bundle' | 'plan' | 'bar' | 'unbar' | 'remove-bundle' | 'delete') => Promise<void>
}

export class AccountService {
  constructor(private readonly d: AccountDeps) {}

  private now(): string {
    return this.d.clock().toISOString()
  }

  /** The account's idempotency records to prune with the call `key` makes (read without a copy). */
  private async staleIdempotency(supi: string, key: string): Promise<Record<string, ''>> {
    return staleIdempotencyRecords(await this.d.store.getAccount(supi, true), this.d.clock(), key)
  }

  async get(supi: string): Promise<AccountDoc> {
    const a = await this.d.store.getAccount(supi)
    if (!a) throw new AccountError('NOT_FOUND', `no account for ${supi}`)
    return a
  }

  async create(i: CreateAccountInput): Promise<AccountDoc> {
    if (!/^(imsi-\d{5,15}|nai-.+)$/.test(i.supi ?? '')) throw new AccountError('INVALID_ARGUMENT', 'supi must be imsi-<digits>')
    const now = this.now()
    const plan = toPlan(i.plan, i.planId || i.plan?.planId || 'default')
    const balance = int(i.openingBalance ?? 0, 'openingBalance')
    const bundles: Record<string, BundleDoc> = {}
    for (const b of i.bundles ?? []) bundles[bundleKey(b.id)] = toBundle(b, now)
    const key = idemKey(i.idempotencyKey)
    const doc: AccountDoc = {
      _id: i.supi,
      ...(i.gpsi ? { gpsi: i.gpsi } : {}),
      planId: plan.planId,
      currency: i.currency || this.d.defaultCurrency,
      balance,
      reserved: 0,
      creditLimit: plan.creditLimit,
      available: balance + plan.creditLimit,
      bundles,
      plan,
      state: 'ACTIVE',
      policyCounters: {},
      ops: {},
      pendingOps: 0,
      idem: { [key]: { at: now, transactionId: randomUUID() } },
      createdAt: now,
      updatedAt: now,
      version: 0,
    }
    const renewal = nextRenewal(Object.values(bundles))
    if (renewal) doc.nextBundleRenewal = renewal
    if (await this.d.store.insertAccount(doc)) {
      await this.d.events.emit('chf', { type: 'chf.account.created', supi: i.supi, data: { planId: plan.planId, balance, currency: doc.currency } })
      return doc
    }
    const existing = await this.get(i.supi)
    if (i.idempotencyKey && existing.idem?.[key]) return existing
    throw new AccountError('ALREADY_EXISTS', `account ${i.supi} exists`)
  }

  /** Top-up (amount > 0) or adjustment (≠ 0, may be negative: never below the credit limit). */
  async credit(supi: string, amount: number, opts: { idempotencyKey?: string; reason?: string; operator?: string; reference?: string; kind: 'topup' | 'adjust' }): Promise<{ account: AccountDoc; transactionId: string; replayed: boolean }> {
    const n = int(amount, 'amount')
    if (opts.kind === 'topup' && n <= 0) throw new AccountError('INVALID_ARGUMENT', 'amount must be > 0')
    if (n === 0) throw new AccountError('INVALID_ARGUMENT', 'amount must not be 0')
    const key = idemKey(opts.idempotencyKey)
    const transactionId = randomUUID()
    const prune = await this.staleIdempotency(supi, key)
    const r = await this.d.store.applyChange(supi, { opId: key, money: { balance: n, reserved: 0 }, bundles: {}, ...(n < 0 ? { moneyGuard: -n } : {}) }, this.now(), {
      ...(Object.keys(prune).length ? { $unset: prune } : {}),
      $set: { [`idem.${key}`]: { at: this.now(), transactionId, kind: opts.kind, amount: n, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.operator ? { operator: opts.operator } : {}), ...(opts.reference ? { reference: opts.reference } : {}) } },
    })
    if (r.kind === 'no-account') throw new AccountError('NOT_FOUND', `no account for ${supi}`)
    if (r.kind === 'refused') throw new AccountError('FAILED_PRECONDITION', 'the debit would exceed the available balance')
    const account = await this.get(supi)
    if (r.kind === 'already') return { account, transactionId: String((account.idem[key] as any)?.transactionId ?? ''), replayed: true }
    await this.d.events.emit('chf', { type: opts.kind === 'topup' ? 'chf.balance.topup' : 'chf.balance.adjusted', supi, data: { amount: n, balance: account.balance, currency: account.currency, transactionId, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.operator ? { operator: opts.operator } : {}), ...(opts.reference ? { reference: opts.reference } : {}) } })
    await this.d.onChanged?.(supi, opts.kind)
    return { account, transactionId, replayed: false }
  }

  async addBundle(supi: string, b: BundleInput, idempotencyKey?: string): Promise<AccountDoc> {
    const bundle = toBundle(b, this.now())
    const k = bundleKey(bundle.id)
    const key = idemKey(idempotencyKey)
    const prune = await this.staleIdempotency(supi, key)
    const r = await this.d.store.accounts.updateOne(
      { _id: supi, [`idem.${key}`]: { $exists: false }, [`bundles.${k}`]: { $exists: false } },
      { $set: { [`bundles.${k}`]: bundle, [`idem.${key}`]: { at: this.now(), transactionId: randomUUID() }, updatedAt: this.now() }, $inc: { version: 1 }, ...(Object.keys(prune).length ? { $unset: prune } : {}) },
    )
    const account = await this.get(supi)
    if (r.matched === 0) {
      if (account.idem?.[key]) return account
      throw new AccountError('ALREADY_EXISTS', `bundle ${bundle.id} exists`)
    }
    await this.refreshRenewal(supi)
    await this.d.events.emit('chf', { type: 'chf.bundle.added', supi, data: { bundleId: bundle.id, unit: bundle.unit, total: bundle.total, ratingGroup: bundle.ratingGroup } })
    await this.d.onChanged?.(supi, 'bundle')
    return account
  }

  async removeBundle(supi: string, bundleId: string, idempotencyKey?: string): Promise<AccountDoc> {
    const k = bundleKey(bundleId)
    const key = idemKey(idempotencyKey)
    const prune = await this.staleIdempotency(supi, key)
    const r = await this.d.store.accounts.updateOne(
      { _id: supi, [`idem.${key}`]: { $exists: false }, [`bundles.${k}`]: { $exists: true } },
      { $unset: { [`bundles.${k}`]: '', ...prune }, $set: { [`idem.${key}`]: { at: this.now(), transactionId: randomUUID() }, updatedAt: this.now() }, $inc: { version: 1 } },
    )
    const account = await this.get(supi)
    if (r.matched === 0) {
      if (account.idem?.[key]) return account
      throw new AccountError('FAILED_PRECONDITION', `no bundle ${bundleId}`)
    }
    await this.d.events.emit('chf', { type: 'chf.bundle.removed', supi, data: { bundleId } })
    await this.d.onChanged?.(supi, 'remove-bundle')
    return account
  }

  /** Replaces the rating plan and the PLAN bundles (TOPUP/CARE bundles are kept), as one CAS on the version. */
  async changePlan(supi: string, planId: string, p: PlanInput | undefined, bundles: BundleInput[], idempotencyKey?: string): Promise<AccountDoc> {
    const key = idemKey(idempotencyKey)
    for (let i = 0; i < 50; i++) {
      const a = await this.get(supi)
      if (a.idem?.[key]) return a
      const plan = toPlan(p, planId || p?.planId || a.planId)
      const now = this.now()
      const set: Record<string, unknown> = { plan, planId: plan.planId, creditLimit: plan.creditLimit, updatedAt: now, [`idem.${key}`]: { at: now, transactionId: randomUUID() } }
      const unset: Record<string, unknown> = { ...staleIdempotencyRecords(a, this.d.clock(), key) }
      // Old plan bundles go even while reserved: a session's later release skips a bundle that no longer
      // exists (its guard would never match). A bundle replaced under the same id keeps its reservations.
      for (const [k, b] of Object.entries(a.bundles ?? {})) if ((b.source ?? 'PLAN') === 'PLAN') unset[`bundles.${k}`] = ''
      for (const b of bundles) {
        const doc = toBundle({ source: 'PLAN', ...b }, now)
        const k = bundleKey(doc.id)
        const held = a.bundles?.[k]?.reserved ?? 0
        set[`bundles.${k}`] = { ...doc, reserved: held, available: doc.remaining - held }
        delete unset[`bundles.${k}`]
      }
      const r = await this.d.store.accounts.updateOne(
        { _id: supi, version: a.version },
        { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1, available: plan.creditLimit - a.creditLimit } },
      )
      if (r.matched === 1) {
        await this.refreshRenewal(supi)
        await this.d.events.emit('chf', { type: 'chf.plan.changed', supi, data: { planId: plan.planId } })
        await this.d.onChanged?.(supi, 'plan')
        return this.get(supi)
      }
    }
    throw new AccountError('FAILED_PRECONDITION', 'account busy, retry')
  }

  /** Keeps `nextBundleRenewal` (sweeper index) equal to the earliest period end of the recurring bundles. */
  private async refreshRenewal(supi: string): Promise<void> {
    const a = await this.d.store.getAccount(supi)
    if (!a) return
    const next = nextRenewal(Object.values(a.bundles ?? {}))
    if (next === a.nextBundleRenewal) return
    await this.d.store.accounts.updateOne({ _id: supi }, next ? { $set: { nextBundleRenewal: next } } : { $unset: { nextBundleRenewal: '' } })
  }

  /**
   * Refills recurring bundles whose period ended (with rollover), as one compare-and-set on the account
   * version per account; returns the supis renewed.
   */
  async renewBundles(): Promise<string[]> {
    const now = this.d.clock()
    const due = await this.d.store.accounts.find({ nextBundleRenewal: { $lte: now.toISOString() } }, { limit: 500 })
    const renewed: string[] = []
    for (const first of due) {
      for (let attempt = 0, a: AccountDoc | null = first; a && attempt < 20; attempt++, a = await this.d.store.getAccount(first._id)) {
        const set: Record<string, unknown> = { updatedAt: now.toISOString() }
        const after: BundleDoc[] = []
        for (const [k, b] of Object.entries(a.bundles ?? {})) {
          const nb = renewBundle(b, now)
          if (nb) set[`bundles.${k}`] = nb
          after.push(nb ?? b)
        }
        const next = nextRenewal(after)
        const update = { $set: { ...set, ...(next ? { nextBundleRenewal: next } : {}) }, $inc: { version: 1 }, ...(next ? {} : { $unset: { nextBundleRenewal: '' } }) }
        const r = await this.d.store.accounts.updateOne({ _id: a._id, version: a.version }, update)
        if (r.matched === 1) {
          renewed.push(a._id)
          await this.d.events.emit('chf', { type: 'chf.bundle.renewed', supi: a._id, data: { bundles: Object.keys(set).filter((k) => k.startsWith('bundles.')).length } })
          await this.d.onChanged?.(a._id, 'bundle')
          break
        }
      }
    }
    return renewed
  }

  async setBarred(supi: string, barred: boolean, reason?: string): Promise<AccountDoc> {
    const r = await this.d.store.accounts.updateOne(
      { _id: supi },
      barred ? { $set: { state: 'BARRED', barReason: reason ?? '', updatedAt: this.now() }, $inc: { version: 1 } } : { $set: { state: 'ACTIVE', updatedAt: this.now() }, $unset: { barReason: '' }, $inc: { version: 1 } },
    )
    if (r.matched === 0) throw new AccountError('NOT_FOUND', `no account for ${supi}`)
    await this.d.events.emit('chf', { type: barred ? 'chf.account.barred' : 'chf.account.unbarred', supi, data: reason ? { reason } : {} })
    await this.d.onChanged?.(supi, barred ? 'bar' : 'unbar')
    return this.get(supi)
  }

  async remove(supi: string): Promise<{ supi: string; finalBalance: number }> {
    const a = await this.d.store.accounts.findOneAndDelete({ _id: supi })
    if (!a) throw new AccountError('NOT_FOUND', `no account for ${supi}`)
    await this.d.events.emit('chf', { type: 'chf.account.deleted', supi, data: { finalBalance: a.balance } })
    await this.d.onChanged?.(supi, 'delete')
    return { supi, finalBalance: a.balance }
  }

  async ratedUsage(q: { supi: string; from?: string; to?: string; ratingGroup?: number; pageSize?: number; pageToken?: string }): Promise<{ records: RatedUsageDoc[]; nextPageToken: string }> {
    const size = Math.min(10_000, q.pageSize && q.pageSize > 0 ? q.pageSize : 1000)
    const skip = q.pageToken ? Number(q.pageToken) || 0 : 0
    const ts: Record<string, string> = {}
    if (q.from) ts.$gte = q.from
    if (q.to) ts.$lt = q.to
    const filter: Record<string, unknown> = { supi: q.supi, ...(Object.keys(ts).length ? { ts } : {}), ...(q.ratingGroup ? { ratingGroup: q.ratingGroup } : {}) }
    const records = await this.d.store.rated.find(filter, { sort: { ts: 1, _id: 1 }, skip, limit: size + 1 })
    return { records: records.slice(0, size), nextPageToken: records.length > size ? String(skip + size) : '' }
  }
}

/** Bundles of an account as a list (API shape). */
export function bundleList(a: AccountDoc): BundleView[] {
  return Object.values(a.bundles ?? {}).sort((x, y) => x.priority - y.priority || x.id.localeCompare(y.id))
}
