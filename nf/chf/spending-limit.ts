/**
 * Nchf_SpendingLimitControl producer (TS 29.594): subscriptions of the PCF to policy counter statuses,
 * and the status-change notifications (`POST {notifUri}/notify`, SpendingLimitStatus) through the outbox.
 * A status change is claimed with a guarded update of the account's `policyCounters.<id>` (old → new),
 * so concurrent re-evaluations notify once.
 */
import { newId } from '../../store/doc.ts'
import type { Outbox } from '../sbi/ports.ts'
import { problem } from '../sbi/types.ts'
import { counterStatuses } from './domain/policy-counters.ts'
import { bundleViews, type AccountDoc, type ChfStore, type SlcSubscriptionDoc } from './store.ts'

export interface SpendingLimitContext {
  supi?: string
  gpsi?: string
  policyCounterIds?: string[]
  notifUri?: string
  expiry?: string
  supportedFeatures?: string
  notifId?: string
}

export interface SpendingLimitStatus {
  supi: string
  notifId?: string
  statusInfos: Record<string, { policyCounterId: string; currentStatus: string }>
  supportedFeatures?: string
}

export class SpendingLimitService {
  constructor(private readonly d: { store: ChfStore; outbox: Outbox; clock: () => Date; events?: import('../sbi/ports.ts').EventSink }) {}

  private statusOf(acct: AccountDoc, ids: string[] | undefined, notifId?: string): SpendingLimitStatus {
    const all = counterStatuses(acct.plan, bundleViews(acct), acct.balance + acct.creditLimit, this.d.clock())
    const statusInfos: SpendingLimitStatus['statusInfos'] = {}
    for (const [id, st] of Object.entries(all)) if (!ids?.length || ids.includes(id)) statusInfos[id] = { policyCounterId: id, currentStatus: st }
    return { supi: acct._id, ...(notifId ? { notifId } : {}), statusInfos }
  }

  private async account(ctx: SpendingLimitContext): Promise<AccountDoc> {
    let acct = ctx.supi ? await this.d.store.getAccount(ctx.supi) : null
    if (!acct && ctx.gpsi) acct = await this.d.store.accounts.findOne({ gpsi: ctx.gpsi })
    if (!acct) throw problem(404, 'USER_UNKNOWN', `no account for ${ctx.supi ?? ctx.gpsi ?? '(none)'}`)
    return acct
  }

  async subscribe(ctx: SpendingLimitContext): Promise<{ id: string; status: SpendingLimitStatus }> {
    if (!ctx.notifUri) throw problem(400, 'MANDATORY_IE_MISSING', 'notifUri is required', [{ param: 'notifUri' }])
    if (!ctx.supi && !ctx.gpsi) throw problem(400, 'MANDATORY_IE_MISSING', 'supi is required', [{ param: 'supi' }])
    const acct = await this.account(ctx)
    const known = Object.keys(counterStatuses(acct.plan, bundleViews(acct), acct.balance + acct.creditLimit, this.d.clock()))
    if (ctx.policyCounterIds?.length && !ctx.policyCounterIds.some((id) => known.includes(id))) {
      throw problem(400, 'MANDATORY_IE_INCORRECT', `unknown policy counters; this subscriber has ${known.join(', ')}`, [{ param: 'policyCounterIds' }])
    }
    const id = newId()
    const doc: SlcSubscriptionDoc = {
      _id: id, supi: acct._id, notifUri: ctx.notifUri, createdAt: this.d.clock().toISOString(),
      ...(ctx.gpsi ? { gpsi: ctx.gpsi } : {}), ...(ctx.policyCounterIds?.length ? { policyCounterIds: ctx.policyCounterIds } : {}),
      ...(ctx.notifId ? { notifId: ctx.notifId } : {}), ...(ctx.supportedFeatures ? { supportedFeatures: ctx.supportedFeatures } : {}),
    }
    await this.d.store.slc.insertOne(doc)
    await this.settle(acct)
    return { id, status: this.statusOf((await this.d.store.getAccount(acct._id)) ?? acct, ctx.policyCounterIds, ctx.notifId) }
  }

  async modify(id: string, ctx: SpendingLimitContext): Promise<SpendingLimitStatus> {
    const sub = await this.d.store.slc.findOne({ _id: id })
    if (!sub) throw problem(404, 'SUBSCRIPTION_NOT_FOUND', `no subscription ${id}`)
    const set: Record<string, unknown> = {}
    if (ctx.notifUri) set.notifUri = ctx.notifUri
    if (ctx.policyCounterIds?.length) set.policyCounterIds = ctx.policyCounterIds
    if (ctx.notifId) set.notifId = ctx.notifId
    if (Object.keys(set).length) await this.d.store.slc.updateOne({ _id: id }, { $set: set })
    const acct = await this.account({ supi: sub.supi })
    return this.statusOf(acct, ctx.policyCounterIds ?? sub.policyCounterIds, ctx.notifId ?? (sub.notifId as string | undefined))
  }

  /** The subscriber is gone: `POST {notifUri}/terminate` (SubscriptionTerminationInfo) and drop the subscriptions. */
  async terminate(supi: string): Promise<number> {
    const subs = await this.d.store.slc.find({ supi })
    for (const sub of subs) {
      await this.d.outbox.enqueue({
        uri: `${sub.notifUri}/terminate`,
        method: 'POST',
        body: { supi, ...(sub.notifId ? { notifId: sub.notifId } : {}), termCause: 'REMOVED_SUBSCRIBER' },
        kind: 'SpendingLimitTerminate',
        targetNfType: 'PCF',
      })
      await this.d.store.slc.deleteOne({ _id: sub._id })
    }
    return subs.length
  }

  async unsubscribe(id: string): Promise<void> {
    if ((await this.d.store.slc.deleteOne({ _id: id })) === 0) throw problem(404, 'SUBSCRIPTION_NOT_FOUND', `no subscription ${id}`)
  }

  /** Emits chf.balance.low once when the balance falls below the plan's lowBalanceThreshold (claimed with a guarded flag). */
  private async lowBalance(acct: AccountDoc): Promise<void> {
    const threshold = acct.plan.lowBalanceThreshold ?? 0
    const low = threshold > 0 && acct.balance < threshold
    if (low === !!acct.lowBalance) return
    const r = await this.d.store.accounts.updateOne({ _id: acct._id, lowBalance: acct.lowBalance === undefined ? { $exists: false } : acct.lowBalance }, { $set: { lowBalance: low } })
    if (r.matched === 1 && low) await this.d.events?.emit('chf', { type: 'chf.balance.low', supi: acct._id, data: { balance: acct.balance, threshold, currency: acct.currency } })
  }

  /** Records the current statuses without notifying (on subscribe: the answer carries them). */
  private async settle(acct: AccountDoc): Promise<void> {
    const now = counterStatuses(acct.plan, bundleViews(acct), acct.balance + acct.creditLimit, this.d.clock())
    const set: Record<string, string> = {}
    for (const [id, st] of Object.entries(now)) if (acct.policyCounters?.[id] === undefined) set[`policyCounters.${id}`] = st
    if (Object.keys(set).length) await this.d.store.accounts.updateOne({ _id: acct._id }, { $set: set })
  }

  /** Re-evaluates the counters after an account change; notifies subscribers of every status that changed. */
  async reevaluate(supi: string): Promise<string[]> {
    const acct = await this.d.store.getAccount(supi)
    if (!acct) return []
    await this.lowBalance(acct)
    const now = counterStatuses(acct.plan, bundleViews(acct), acct.balance + acct.creditLimit, this.d.clock())
    const changed: string[] = []
    for (const [id, st] of Object.entries(now)) {
      const old = acct.policyCounters?.[id]
      if (old === st) continue
      const r = await this.d.store.accounts.updateOne({ _id: supi, [`policyCounters.${id}`]: old === undefined ? { $exists: false } : old }, { $set: { [`policyCounters.${id}`]: st } })
      if (r.matched === 1 && old !== undefined) changed.push(id)
    }
    if (!changed.length) return []
    const subs = await this.d.store.slc.find({ supi })
    for (const sub of subs) {
      const ids = changed.filter((id) => !sub.policyCounterIds?.length || sub.policyCounterIds.includes(id))
      if (!ids.length) continue
      const statusInfos: SpendingLimitStatus['statusInfos'] = {}
      for (const id of ids) statusInfos[id] = { policyCounterId: id, currentStatus: now[id]! }
      await this.d.outbox.enqueue({
        uri: `${sub.notifUri}/notify`,
        method: 'POST',
        body: { supi, ...(sub.notifId ? { notifId: sub.notifId } : {}), statusInfos },
        kind: 'SpendingLimitStatusNotify',
        targetNfType: 'PCF',
      })
    }
    for (const id of changed) await this.d.events?.emit('chf', { type: 'chf.policyCounter.changed', supi, data: { policyCounterId: id, status: now[id] } })
    return changed
  }
}
