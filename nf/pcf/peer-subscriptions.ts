/**
 * The PCF's own subscriptions at its peers, one of each per subscriber with a live association:
 * - at the UDR, to changes of the subscriber's policy-data (sm-data and am-data), from the first
 *   association (SM or AM) until the last one ends;
 * - at the CHF, to the policy counters the plan names (Nchf_SpendingLimitControl), from the first SM
 *   session until the last one ends.
 * Exactly one instance creates each (a guarded claim in `pcf.ues`); a failed attempt is retried by the
 * next session that starts.
 *
 * Linger: when the last association ends, the subscriptions are kept for `subscriptionLingerMs` and
 * released by a sweeper (any instance; a guarded claim on `idleSince` makes one of them do it), so a UE
 * that detaches and attaches again costs no unsubscribe/subscribe round trips and keeps its cached
 * policy-data. With a linger of 0 they are released at once, as before.
 *
 * Adoption: every instance writes a heart-beat (`pcf.instances`, every `heartbeatMs`; aliveAt 0 when it
 * stops). An instance silent for three beats is dead: the others take over the UDR and CHF subscriptions
 * whose callbacks point at it (a guarded claim per subscriber, so one of them does it), subscribe again
 * at the UDR / move the CHF subscription's notifUri to themselves, and re-decide the subscriber's sessions
 * (changes notified to the dead instance were lost). Without it, a PCF instance that never comes back would
 * leave its subscribers' plan changes and spending-limit changes unheard.
 *
 * Policy-data cache: while our UDR subscription is active and its notifications reach this instance
 * (`udrSub.notifyRoot` is our apiRoot), the subscriber's sm-data is kept in memory under the
 * subscription's `gen`. Every change notification (whichever instance or worker receives it) bumps `gen`
 * in the store before anything is re-decided, so a copy of an older generation is never used; instances
 * whose callback the UDR does not call read the UDR every time.
 */
import type { NfContext } from '../sbi/ports.ts'
import type { NchfSpendingLimitClient } from './clients/nchf-spendinglimitcontrol.ts'
import type { NudrDrClient } from './clients/nudr-dr.ts'
import type { PolicyCounterInfo, SmPolicyData, SpendingLimitStatus } from './domain/types.ts'
import type { PcfStore, UeDoc } from './store.ts'
import { BoundedMap } from '../sbi/bounded-map.ts'
import { every, type Periodic } from '../sbi/periodic.ts'

/** Default linger of the peer subscriptions after a subscriber's last association ends. */
export const DEFAULT_SUBSCRIPTION_LINGER_MS = 300_000

export interface PeerSubscriptionOptions {
  /** How long the UDR and CHF subscriptions outlive the subscriber's last association (ms); 0 = release at once. */
  subscriptionLingerMs?: number
  /** Sweeper period (ms); default a quarter of the linger, between 50 ms and 30 s. */
  sweepIntervalMs?: number
  /** Subscribers whose policy-data is kept in memory (least recently stored evicted first, an eighth at a time). */
  cacheSize?: number
  /** Heart-beat period (ms); an instance silent for 3 periods is adopted. Default 10 s; 0 = no heart-beat. */
  heartbeatMs?: number
}

interface CachedPolicyData {
  uri: string
  gen: number
  data: SmPolicyData | undefined
}

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
  readonly lingerMs: number
  private readonly sweepMs: number
  private readonly cache: BoundedMap<string, CachedPolicyData>
  private sweeper: Periodic | undefined
  private readonly heartbeatMs: number
  private beater: Periodic | undefined
  /** Called when a subscriber got an association while its subscriptions were being released (set by index.ts). */
  onRevived: (supi: string) => Promise<void> = async () => {}

  constructor(
    private readonly ctx: NfContext,
    private readonly store: PcfStore,
    private readonly udr: NudrDrClient,
    private readonly chf: NchfSpendingLimitClient,
    opts: PeerSubscriptionOptions = {},
  ) {
    this.lingerMs = opts.subscriptionLingerMs ?? DEFAULT_SUBSCRIPTION_LINGER_MS
    this.sweepMs = opts.sweepIntervalMs ?? Math.min(30_000, Math.max(50, Math.floor(this.lingerMs / 4)))
    this.cache = new BoundedMap(opts.cacheSize ?? 10_000)
    this.heartbeatMs = opts.heartbeatMs ?? 10_000
  }

  private now(): string {
    return this.ctx.clock().toISOString()
  }

  /**
   * Subscribes at the UDR to the subscriber's policy-data changes, unless done already. Returns the
   * subscriber's document as read (one read, no write, for every session after the first).
   */
  async ensureUdr(supi: string): Promise<UeDoc | null> {
    const ue = await this.store.getUe(supi)
    if (ue?.udrSub && ue.udrSub.state !== 'failed') return ue
    const now = this.now()
    await this.store.ensureUe(supi, now)
    if (await this.store.claim(supi, 'udrSub', now)) await this.subscribeUdr(supi, now, 0)
    return this.store.getUe(supi)
  }

  /** Subscribes at the UDR with our callback, after a claim of `udrSub`; records the outcome. */
  private async subscribeUdr(supi: string, now: string, gen: number): Promise<void> {
    try {
      const uri = await this.udr.subscribe(supi, policyDataNotifyUri(this.ctx.apiRoot, supi))
      await this.store.setUe(supi, { udrSub: { state: uri ? 'active' : 'failed', uri, since: now, notifyRoot: this.ctx.apiRoot, gen } })
    } catch (err) {
      this.ctx.log.warn({ supi, err: (err as Error).message }, 'policy-data subscription at the UDR failed')
      await this.store.setUe(supi, { udrSub: { state: 'failed', since: now } })
    }
  }

  /**
   * The subscriber's sm-data: from memory while our UDR subscription (as `ue` shows it) notifies this
   * instance and no change was notified since it was read; from the UDR otherwise. A UDR failure is
   * thrown (and never cached).
   */
  async smData(supi: string, ue: UeDoc | null | undefined): Promise<SmPolicyData | undefined> {
    const sub = ue?.udrSub
    const cacheable = sub?.state === 'active' && !!sub.uri && sub.notifyRoot === this.ctx.apiRoot
    if (cacheable) {
      const hit = this.cache.get(supi)
      if (hit && hit.uri === sub.uri && hit.gen === (sub.gen ?? 0)) return hit.data
    }
    const data = await this.udr.smData(supi)
    if (cacheable) this.remember(supi, { uri: sub.uri!, gen: sub.gen ?? 0, data })
    return data
  }

  private remember(supi: string, entry: CachedPolicyData): void {
    this.cache.delete(supi)
    this.cache.set(supi, entry)
  }

  /**
   * The UDR notified a policy-data change: the cached copy is stale from now on, in every instance
   * (the generation in the store moves). When the notification carries the new sm-data (or says it
   * was deleted: null), that becomes the cached copy of the new generation.
   */
  async policyDataChanged(supi: string, smData?: SmPolicyData | null): Promise<void> {
    this.cache.delete(supi)
    const ue = await this.store.bumpPolicyDataGen(supi)
    const sub = ue?.udrSub
    if (smData !== undefined && sub?.state === 'active' && sub.uri && sub.notifyRoot === this.ctx.apiRoot) {
      this.remember(supi, { uri: sub.uri, gen: sub.gen ?? 0, data: smData ?? undefined })
    }
  }

  /**
   * Subscribes at the CHF to the plan's policy counters, or widens the subscription when a session
   * needs counters it does not cover yet. Returns the counter statuses known afterwards.
   */
  async ensureSpendingLimits(supi: string, gpsi: string | undefined, counterIds: string[], ue?: UeDoc | null): Promise<Record<string, string>> {
    const known = ue === undefined ? await this.store.getUe(supi) : ue
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
          slc: { state: r?.location ? 'active' : 'failed', uri: r?.location, since: now, notifyRoot: this.ctx.apiRoot, policyCounterIds: counterIds, statuses },
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

  /**
   * After an association was deleted: when it was the subscriber's last, marks it idle for the
   * sweeper (linger), or with no linger ends the subscriptions nothing needs any more at once.
   */
  async releaseUnused(supi: string): Promise<void> {
    if (await this.store.hasSm(supi)) return
    if (this.lingerMs > 0) {
      // No SM session left: the CHF subscription lingers; the UDR one too when no AM association is left.
      await this.store.markIdle(supi, this.now())
      return
    }
    await this.releaseSlc(supi, await this.store.unsetUe(supi, 'slc'))
    if (await this.store.hasAm(supi)) return
    await this.releaseUdr(supi, await this.store.deleteUe(supi))
    await this.reviveIfNeeded(supi)
  }

  private async releaseSlc(supi: string, before: UeDoc | null): Promise<void> {
    if (before?.slc?.uri && before.slc.state === 'active') {
      await this.chf.unsubscribe(before.slc.uri).catch((err: Error) => this.ctx.log.warn({ supi, err: err.message }, 'spending-limit unsubscribe failed'))
    }
  }

  private async releaseUdr(supi: string, ue: UeDoc | null): Promise<void> {
    this.cache.delete(supi)
    if (ue?.udrSub?.uri && ue.udrSub.state === 'active') {
      await this.udr.unsubscribe(ue.udrSub.uri).catch((err: Error) => this.ctx.log.warn({ supi, err: err.message }, 'policy-data unsubscribe failed'))
    }
  }

  /** An association started while we released: subscribe again and re-decide (nothing missed stays missed). */
  private async reviveIfNeeded(supi: string): Promise<void> {
    if ((await this.store.hasSm(supi)) || (await this.store.hasAm(supi))) await this.onRevived(supi)
  }

  /**
   * Releases the subscriptions of subscribers idle for longer than the linger period. Safe to run in
   * every instance at once: each step is guarded by the `idleSince` the sweeper read.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.ctx.clock().getTime() - this.lingerMs).toISOString()
    let released = 0
    for (const ue of await this.store.idleBefore(cutoff)) {
      const supi = ue._id
      const since = ue.idleSince!
      if (await this.store.hasSm(supi)) {
        await this.store.clearIdle(supi, since)
        continue
      }
      await this.releaseSlc(supi, await this.store.unsetUeIfIdle(supi, 'slc', since))
      if (await this.store.hasAm(supi)) {
        await this.store.clearIdle(supi, since)
        continue
      }
      const gone = await this.store.deleteUeIfIdle(supi, since)
      if (!gone) continue
      await this.releaseUdr(supi, gone)
      released++
      await this.reviveIfNeeded(supi)
    }
    return released
  }

  /** One heart-beat, then adoption of what silent instances left; returns how many subscriptions it adopted. */
  async heartbeat(): Promise<number> {
    const own = this.ctx.apiRoot
    if (!own) return 0
    const now = this.ctx.clock().getTime()
    await this.store.beat(own, now)
    const before = now - 3 * this.heartbeatMs
    let adopted = 0
    for (const dead of await this.store.silentInstances(own, before)) {
      const ues = await this.store.uesNotifying(dead, 200)
      for (const ue of ues) adopted += await this.adoptSubscriber(ue._id, dead)
      if (ues.length === 0) await this.store.forgetInstance(dead, before)
    }
    return adopted
  }

  private async adoptSubscriber(supi: string, dead: string): Promise<number> {
    const own = this.ctx.apiRoot
    const now = this.now()
    let n = 0
    const u = await this.store.adopt(supi, 'udrSub', dead, own)
    if (u?.udrSub) {
      n++
      this.cache.delete(supi)
      await this.subscribeUdr(supi, now, (u.udrSub.gen ?? 0) + 1)
      if (u.udrSub.uri) await this.udr.unsubscribe(u.udrSub.uri).catch(() => undefined)
    }
    const c = await this.store.adopt(supi, 'slc', dead, own)
    if (c?.slc?.uri) {
      n++
      try {
        const status = await this.chf.modify(c.slc.uri, { supi, policyCounterIds: c.slc.policyCounterIds, notifUri: spendingLimitNotifyUri(own, supi) })
        await this.store.setUe(supi, { 'slc.state': 'active', 'slc.statuses': { ...c.slc.statuses, ...statusesOf(status) } })
      } catch (err) {
        this.ctx.log.warn({ supi, err: (err as Error).message }, 'adopting the spending-limit subscription failed')
        await this.store.setUe(supi, { 'slc.state': 'failed' })
      }
    }
    if (n > 0) {
      this.ctx.log.info({ supi, from: dead }, 'adopted the peer subscriptions of a silent PCF instance')
      // Changes notified to the dead instance were lost: decide again from what the peers say now.
      await this.onRevived(supi).catch((err: Error) => this.ctx.log.warn({ supi, err: err.message }, 're-deciding an adopted subscriber failed'))
    }
    return n
  }

  start(): void {
    if (this.heartbeatMs > 0 && !this.beater) {
      this.beater = every(this.heartbeatMs, () => this.heartbeat(), (err) => this.ctx.log.warn({ err: (err as Error).message }, 'PCF heart-beat failed'), { runNow: true })
    }
    if (this.lingerMs <= 0 || this.sweeper) return
    this.sweeper = every(this.sweepMs, () => this.sweep(), (err) => this.ctx.log.warn({ err: (err as Error).message }, 'subscription sweep failed'))
  }

  async stop(): Promise<void> {
    await this.sweeper?.stop()
    this.sweeper = undefined
    if (this.beater) {
      await this.beater.stop()
      this.beater = undefined
      // Stopped: the other instances may adopt our subscribers at once (a restart at the same address
      // simply finds them adopted, or keeps them when it is alone).
      if (this.ctx.apiRoot) await this.store.beat(this.ctx.apiRoot, 0).catch(() => undefined)
    }
  }
}
