/**
 * The PCF's own subscriptions at its peers, one of each per subscriber with a live association:
 * - at the UDR, to changes of the subscriber's policy-data (sm-data and am-data), from the first
 *   association (SM or AM) until the last one ends;
 * - at the CHF, to the policy counters the plan names (Nchf_SpendingLimitControl), from the first SM
 *   session until the last one ends.
 * Exactly one instance creates each (a guarded claim in `pcf.ues`); a failed attempt is retried by the
 * next session that starts.
 */
import type { NfContext } from '../sbi/ports.ts'
import type { NchfSpendingLimitClient } from './clients/nchf-spendinglimitcontrol.ts'
import type { NudrDrClient } from './clients/nudr-dr.ts'
import type { PolicyCounterInfo, SpendingLimitStatus } from './domain/types.ts'
import type { PcfStore } from './store.ts'

export const CALLBACK_BASE = '/npcf-callback/v1'

export function policyDataNotifyUri(apiRoot: string, supi: string): string {
  return `${apiRoot}${CALLBACK_BASE}/policy-data-notify/${encodeURIComponent(supi)}`
}

export function spendingLimitNotifyUri(apiRoot: string, supi: string): string {
  return `${apiRoot}${CALLBACK_BASE}/spending-limit-notify/${encodeURIComponent(supi)}`
}

/** policyCounterId → currentStatus from a SpendingLimitStatus (keys of the map or the ids inside). */
export function statusesOf(s: SpendingLimitStatus | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, info] of Object.entries(s?.statusInfos ?? {})) {
    const i = info as PolicyCounterInfo | undefined
    if (i && typeof i.currentStatus === 'string') out[i.policyCounterId ?? key] = i.currentStatus
  }
  return out
}

export class PeerSubscriptions {
  constructor(
    private readonly ctx: NfContext,
    private readonly store: PcfStore,
    private readonly udr: NudrDrClient,
    private readonly chf: NchfSpendingLimitClient,
  ) {}

  private now(): string {
    return this.ctx.clock().toISOString()
  }

  /** Subscribes at the UDR to the subscriber's policy-data changes, unless done already. */
  async ensureUdr(supi: string): Promise<void> {
    // Fast path (every session after the first): one read, no write transaction.
    const ue = await this.store.getUe(supi)
    if (ue?.udrSub && ue.udrSub.state !== 'failed') return
    const now = this.now()
    await this.store.ensureUe(supi, now)
    if (!(await this.store.claim(supi, 'udrSub', now))) return
    try {
      const uri = await this.udr.subscribe(supi, policyDataNotifyUri(this.ctx.apiRoot, supi))
      await this.store.setUe(supi, { udrSub: { state: uri ? 'active' : 'failed', uri, since: now } })
    } catch (err) {
      this.ctx.log.warn({ supi, err: (err as Error).message }, 'policy-data subscription at the UDR failed')
      await this.store.setUe(supi, { udrSub: { state: 'failed', since: now } })
    }
  }

  /**
   * Subscribes at the CHF to the plan's policy counters, or widens the subscription when a session
   * needs counters it does not cover yet. Returns the counter statuses known afterwards.
   */
  async ensureSpendingLimits(supi: string, gpsi: string | undefined, counterIds: string[]): Promise<Record<string, string>> {
    const known = await this.store.getUe(supi)
    if (counterIds.length === 0) return known?.slc?.statuses ?? {}
    if (known?.slc?.state === 'active' && counterIds.every((id) => known.slc!.policyCounterIds.includes(id))) return known.slc.statuses
    const now = this.now()
    await this.store.ensureUe(supi, now)
    const notifUri = spendingLimitNotifyUri(this.ctx.apiRoot, supi)
    if (await this.store.claim(supi, 'slc', now, { policyCounterIds: counterIds, statuses: {} })) {
      try {
        const r = await this.chf.subscribe({ supi, ...(gpsi ? { gpsi } : {}), policyCounterIds: counterIds, notifUri })
        const statuses = statusesOf(r?.status)
        await this.store.setUe(supi, {
          slc: { state: r?.location ? 'active' : 'failed', uri: r?.location, since: now, policyCounterIds: counterIds, statuses },
        })
        return statuses
      } catch (err) {
        this.ctx.log.warn({ supi, err: (err as Error).message }, 'spending-limit subscription at the CHF failed')
        await this.store.setUe(supi, { slc: { state: 'failed', since: now, policyCounterIds: counterIds, statuses: {} } })
        return {}
      }
    }
    let slc = (await this.store.getUe(supi))?.slc
    // Another session (maybe on another instance) is subscribing right now: wait for its answer, so
    // that concurrent first sessions decide from the same statuses.
    for (let i = 0; slc?.state === 'pending' && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50))
      slc = (await this.store.getUe(supi))?.slc
    }
    if (slc?.state === 'active' && slc.uri && counterIds.some((id) => !slc.policyCounterIds.includes(id))) {
      const all = [...new Set([...slc.policyCounterIds, ...counterIds])]
      try {
        const status = await this.chf.modify(slc.uri, { supi, ...(gpsi ? { gpsi } : {}), policyCounterIds: all, notifUri })
        const statuses = { ...slc.statuses, ...statusesOf(status) }
        await this.store.setUe(supi, { 'slc.policyCounterIds': all, 'slc.statuses': statuses })
        return statuses
      } catch (err) {
        this.ctx.log.warn({ supi, err: (err as Error).message }, 'spending-limit subscription update at the CHF failed')
      }
    }
    return slc?.statuses ?? {}
  }

  /** Merges a CHF status report into the stored statuses; false when we hold no subscription for the SUPI. */
  async recordStatuses(supi: string, status: SpendingLimitStatus): Promise<boolean> {
    const ue = await this.store.getUe(supi)
    if (!ue?.slc) return false
    await this.store.setUe(supi, { 'slc.statuses': { ...ue.slc.statuses, ...statusesOf(status) } })
    return true
  }

  /** The CHF ended our subscription: the next session start subscribes again; statuses are kept. */
  async spendingLimitsTerminated(supi: string): Promise<void> {
    const ue = await this.store.getUe(supi)
    if (ue?.slc) await this.store.setUe(supi, { 'slc.state': 'failed' })
  }

  /** Ends the subscriptions nothing needs any more (after an association was deleted). */
  async releaseUnused(supi: string): Promise<void> {
    const sm = await this.store.countSm(supi)
    if (sm > 0) return
    const before = await this.store.unsetUe(supi, 'slc')
    if (before?.slc?.uri && before.slc.state === 'active') {
      await this.chf.unsubscribe(before.slc.uri).catch((err: Error) => this.ctx.log.warn({ supi, err: err.message }, 'spending-limit unsubscribe failed'))
    }
    if ((await this.store.countAm(supi)) > 0) return
    const ue = await this.store.deleteUe(supi)
    if (ue?.udrSub?.uri && ue.udrSub.state === 'active') {
      await this.udr.unsubscribe(ue.udrSub.uri).catch((err: Error) => this.ctx.log.warn({ supi, err: err.message }, 'policy-data unsubscribe failed'))
    }
  }
}
