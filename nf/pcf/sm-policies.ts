/**
 * Npcf_SMPolicyControl as a service over the store, the UDR and the CHF: create/get/update/delete an
 * SM policy association (TS 29.512 §4.2.2–§4.2.5) and re-decide live sessions when policy-data or
 * spending-limit statuses change, pushing update-notify or terminate to the SMF through the outbox.
 */
import { newId } from '../../store/doc.ts'
import type { NfContext } from '../sbi/ports.ts'
import { problem } from '../sbi/types.ts'
import type { NudrDrClient } from './clients/nudr-dr.ts'
import { findSmPolicyDnnData, isBarred, policyCounterIdsOf } from './domain/policy-data.ts'
import { decideSmPolicy, smDecisionChanged, withNegotiatedFeatures, type SmPolicySummary } from './domain/sm-policy.ts'
import { smfFlavour, smNotifyDecision, smTerminateNotify, smUpdateNotify, type CallbackRequest } from './domain/notify.ts'
import type { SmPolicyContextData, SmPolicyData, SmPolicyDecision } from './domain/types.ts'
import type { PeerSubscriptions } from './peer-subscriptions.ts'
import type { PcfStore, SmPolicyDoc, UeDoc } from './store.ts'

/**
 * Runs `f` for a key in passes that never overlap, and coalesces: a caller arriving while a pass is
 * queued (not started) shares it; one arriving while a pass runs queues the next. Every caller's promise
 * settles after a pass that started after its call, so a pass sees what the caller wrote before.
 */
export function coalescedPasses() {
  const keys = new Map<string, { tail: Promise<void>; queued?: Promise<void>; passes: number }>()
  return (key: string, f: () => Promise<void>): Promise<void> => {
    let k = keys.get(key)
    if (!k) keys.set(key, (k = { tail: Promise.resolve(), passes: 0 }))
    if (k.queued) return k.queued
    const entry = k
    entry.passes++
    const pass = entry.tail.then(() => {
      entry.queued = undefined
      return f()
    })
    entry.queued = pass
    entry.tail = pass
      .catch(() => undefined)
      .finally(() => {
        if (--entry.passes === 0) keys.delete(key)
      })
    return pass
  }
}

export const SM_BASE = '/npcf-smpolicycontrol/v1'

export class SmPolicyService {
  constructor(
    private readonly ctx: NfContext,
    private readonly store: PcfStore,
    private readonly udr: NudrDrClient,
    private readonly subs: PeerSubscriptions,
  ) {}

  /** sm-data from the cache or the UDR (nf/pcf/peer-subscriptions.ts); `ue` is the subscriber's document as read. */
  private async readPolicyData(supi: string, ue?: UeDoc | null): Promise<SmPolicyData | undefined> {
    try {
      return await this.subs.smData(supi, ue === undefined ? await this.store.getUe(supi) : ue)
    } catch (err) {
      // The UDR is down: serve with local policy (config defaults) rather than fail the PDU session.
      this.ctx.log.warn({ supi, err: (err as Error).message }, 'policy-data unavailable; deciding with defaults')
      return undefined
    }
  }

  /** Npcf_SMPolicyControl_Create. `apiRoot` is the one the SMF reached us on (for the Location). */
  async create(context: SmPolicyContextData, apiRoot: string): Promise<{ id: string; location: string; decision: SmPolicyDecision }> {
    const supi = context.supi
    // Subscribe before reading, so that no change between the read and the subscription is missed.
    // One read of the subscriber's document serves the subscription check, the cache and the statuses.
    const ue = await this.subs.ensureUdr(supi)
    const policyData = await this.readPolicyData(supi, ue)
    let statuses: Record<string, string> = {}
    if (!isBarred(policyData)) {
      const counterIds = policyCounterIdsOf(findSmPolicyDnnData(policyData, context.sliceInfo, context.dnn))
      statuses = await this.subs.ensureSpendingLimits(supi, context.gpsi, counterIds, ue)
    }
    const outcome = decideSmPolicy({ context, policyData, counterStatuses: statuses, defaults: this.ctx.config.pcf.defaults })
    if (outcome.kind === 'denied') {
      await this.ctx.events.emit('pcf', { type: 'pcf.sm-policy.denied', supi, data: { dnn: context.dnn, reason: outcome.detail } })
      await this.subs.releaseUnused(supi)
      throw problem(403, outcome.cause, outcome.detail)
    }
    const id = newId()
    const location = `${apiRoot}${SM_BASE}/sm-policies/${id}`
    const now = this.ctx.clock().toISOString()
    await this.store.insertSm({
      _id: id,
      supi,
      pduSessionId: context.pduSessionId,
      dnn: context.dnn,
      resourceUri: location,
      context,
      decision: outcome.decision,
      summary: outcome.summary,
      createdAt: now,
      updatedAt: now,
    })
    // After the write, not with it: an event always tells of an association that was stored.
    await this.emitDecision('pcf.sm-policy.created', supi, id, context.dnn, outcome.summary)
    // A failed cleanup does not fail the create: the next create for this PDU session ID retries it.
    await this.replacing(`${supi} ${context.pduSessionId}`, () => this.keepNewest(supi, context.pduSessionId)).catch((err: unknown) =>
      this.ctx.log.warn({ supi, pduSessionId: context.pduSessionId, err: (err as Error).message }, 'replaced SM policy associations not removed'),
    )
    return { id, location, decision: withNegotiatedFeatures(outcome.decision, context.suppFeat) }
  }

  /** One "keep the newest" pass per SUPI and PDU session ID at a time (see keepNewest). */
  private readonly replacing = coalescedPasses()

  /**
   * PCF resource cleanup (TS 29.512 §4.2.2.1 lists it among the Create procedures): a UE never holds two
   * PDU sessions with one ID, so when a create leaves more than one association for a SUPI and PDU
   * session ID, the SMF lost the older ones (a restart, a missed delete; INTEROP §7.11 shows Open5GS's AMF
   * doing the same with AM associations). All but the newest are deleted here, as the SMF's delete would
   * (event, subscriptions kept by the new one), without a notification: the old `notificationUri` may
   * already name the new session (Open5GS numbers them `…/sm-policy-notify/1`).
   */
  private async keepNewest(supi: string, pduSessionId: number): Promise<void> {
    const [newest, ...older] = await this.store.smOfPduSession(supi, pduSessionId)
    if (older.length === 0) return
    // All at once: with group commit the deletes share one COMMIT and their events the next.
    const removed = await Promise.all(older.map((s) => this.store.removeSm(s._id)))
    const gone = older.filter((_, i) => removed[i]) // not those deleted meanwhile
    for (const s of gone) this.ctx.log.info({ supi, pduSessionId, smPolicyId: s._id, replacedBy: newest!._id }, 'stale SM policy association replaced')
    await Promise.all(gone.map((s) => this.emitDeleted({ ...s, supi, pduSessionId }, { reason: 'REPLACED', replacedBy: newest!._id })))
  }

  /** The association as stored, shared with the store's cache: callers read it and change nothing in it. */
  async get(id: string): Promise<Readonly<SmPolicyDoc>> {
    const doc = await this.store.getSm(id, true)
    if (!doc) throw problem(404, 'CONTEXT_NOT_FOUND', `no SM policy association ${id}`)
    return doc
  }

  /**
   * Npcf_SMPolicyControl_Update: merges what the SMF reports (subscribed AMBR/QoS, addresses) into the
   * context and answers the current decision. A UE-requested resource (free5GC's RES_MO_RE) gets no
   * dedicated rule: the plan grants the default flow only, so the answer repeats it.
   */
  async update(id: string, body: Record<string, unknown>): Promise<SmPolicyDecision> {
    const doc = await this.get(id)
    const context: SmPolicyContextData = { ...doc.context }
    for (const k of ['subsSessAmbr', 'subsDefQos', 'ipv4Address', 'ipv6AddressPrefix', 'accessType', 'ratType', 'servingNetwork', 'userLocationInfo'] as const) {
      if (body[k] !== undefined) (context as Record<string, unknown>)[k] = body[k]
    }
    const ue = await this.store.getUe(doc.supi)
    const policyData = await this.readPolicyData(doc.supi, ue)
    const statuses = ue?.slc?.statuses ?? {}
    const outcome = decideSmPolicy({ context, policyData, counterStatuses: statuses, defaults: this.ctx.config.pcf.defaults })
    if (outcome.kind === 'denied') throw problem(403, outcome.cause, outcome.detail)
    await this.store.saveSmDecision(id, { context, decision: outcome.decision, summary: outcome.summary, updatedAt: this.ctx.clock().toISOString() })
    return outcome.decision
  }

  /** Npcf_SMPolicyControl_Delete; ends the peer subscriptions when it was the subscriber's last session. */
  async delete(id: string, body: Record<string, unknown> | undefined): Promise<void> {
    const doc = await this.store.deleteSm(id)
    if (!doc) throw problem(404, 'CONTEXT_NOT_FOUND', `no SM policy association ${id}`)
    await this.emitDeleted(doc, Array.isArray(body?.ranNasRelCauses) ? { ranNasRelCauses: body.ranNasRelCauses } : {})
    await this.subs.releaseUnused(doc.supi)
  }

  /**
   * Deletes the associations this PCF terminated (subscriber barred or gone) more than `graceMs` ago that
   * their SMF never deleted (free5GC's SMF answers /terminate with 501 and keeps no session): as the SMF's
   * delete would, with its event, so that the subscriber's UDR and CHF subscriptions are released with
   * its last association. Returns how many it deleted.
   */
  async purgeTerminated(graceMs: number, limit = 500): Promise<number> {
    const before = new Date(this.ctx.clock().getTime() - graceMs).toISOString()
    let n = 0
    for (const s of await this.store.terminatedSmBefore(before, limit)) {
      const doc = await this.store.deleteTerminatedSm(s._id)
      if (!doc) continue // the SMF deleted it meanwhile
      await this.emitDeleted(doc, { reason: 'TERMINATED_NOT_DELETED' })
      await this.subs.releaseUnused(doc.supi)
      n++
    }
    return n
  }

  /**
   * Re-decides every live session of the subscriber and pushes what changed: update-notify with the
   * full rule set, or terminate when the subscriber is now barred. `policyData` may come with the
   * UDR's notification; otherwise the UDR is read again.
   */
  async reevaluate(supi: string, reason: string, policyData?: SmPolicyData | null): Promise<number> {
    const sessions = (await this.store.smOfSupi(supi)).filter((s) => !s.terminated)
    if (sessions.length === 0) return 0
    const ue = await this.store.getUe(supi)
    const data = policyData === null ? undefined : (policyData ?? (await this.readPolicyData(supi, ue)))
    let statuses = ue?.slc?.statuses ?? {}
    if (!isBarred(data)) {
      // A plan change may name new policy counters: widen the CHF subscription first.
      const ids = [...new Set(sessions.flatMap((s) => policyCounterIdsOf(findSmPolicyDnnData(data, s.context.sliceInfo, s.context.dnn))))]
      if (ids.length) statuses = await this.subs.ensureSpendingLimits(supi, sessions[0]!.context.gpsi, ids)
    }
    let pushed = 0
    for (const s of sessions) {
      const outcome = decideSmPolicy({ context: s.context, policyData: data, counterStatuses: statuses, defaults: this.ctx.config.pcf.defaults })
      const resourceUri = (s.resourceUri as string | undefined) ?? `${this.ctx.apiRoot}${SM_BASE}/sm-policies/${s._id}`
      const now = this.ctx.clock().toISOString()
      if (outcome.kind === 'denied') {
        await this.send(smTerminateNotify(s.context.notificationUri, resourceUri, 'UE_SUBSCRIPTION'), s._id)
        await this.store.saveSmDecision(s._id, { terminated: true, updatedAt: now })
        await this.ctx.events.emit('pcf', { type: 'pcf.sm-policy.terminated', supi, data: { smPolicyId: s._id, dnn: s.dnn, reason, subscriberState: outcome.subscriberState } })
        pushed++
        continue
      }
      if (!smDecisionChanged(s.decision, outcome.decision)) continue
      const decision = smNotifyDecision(s.decision, outcome.decision, smfFlavour(s.context.notificationUri))
      await this.send(smUpdateNotify(s.context.notificationUri, resourceUri, decision), s._id)
      await this.store.saveSmDecision(s._id, { decision: outcome.decision, summary: outcome.summary, updatedAt: now })
      await this.emitDecision('pcf.policy.updated', supi, s._id, s.dnn, outcome.summary, { reason, previousMode: s.summary?.mode })
      pushed++
    }
    return pushed
  }

  /**
   * Each update-notify carries the association's full PCC rule set (Open5GS's SMF replaces all rules with
   * it), and a terminate ends it: so they share the association's ordering key, and a throttle whose
   * delivery failed can never be retried after the restore that followed it.
   */
  private send(req: CallbackRequest, smPolicyId: string): Promise<string> {
    // free5GC's SMF checks callbacks for a token of scope npcf-smpolicycontrol, which its NRF mints only
    // with targetNfType PCF (INTEROP §2.3).
    return this.ctx.outbox.enqueue({
      key: `sm-policy:${smPolicyId}`,
      uri: req.uri,
      method: 'POST',
      ...(req.body !== undefined ? { body: req.body } : {}),
      kind: req.kind,
      ...(req.terminalStatuses ? { terminalStatuses: req.terminalStatuses } : {}),
      scope: 'npcf-smpolicycontrol',
      targetNfType: 'PCF',
    })
  }

  /** `pcf.sm-policy.deleted` for an association that is gone (the SMF's delete, or one the PCF ended: `extra.reason`). */
  private emitDeleted(doc: Pick<SmPolicyDoc, '_id' | 'supi' | 'dnn' | 'pduSessionId'>, extra: Record<string, unknown>): Promise<void> {
    return this.ctx.events.emit('pcf', { type: 'pcf.sm-policy.deleted', supi: doc.supi, data: { smPolicyId: doc._id, dnn: doc.dnn, pduSessionId: doc.pduSessionId, ...extra } })
  }

  private emitDecision(type: string, supi: string, id: string, dnn: string, s: SmPolicySummary, extra: Record<string, unknown> = {}): Promise<void> {
    return this.ctx.events.emit('pcf', {
      type,
      supi,
      data: { smPolicyId: id, dnn, mode: s.mode, profileId: s.profileId, sessAmbr: s.sessAmbr, fiveQi: s.fiveQi, exhaustedCounters: s.exhaustedCounters, ...extra },
    })
  }
}
