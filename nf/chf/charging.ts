/**
 * Converged charging (TS 32.290/32.291): runs the planned operations of domain/session.ts against the
 * store, exactly once, without multi-document transactions.
 *
 * Crash safety and idempotency — two documents describe a session's op: the account (money, bundles)
 * and the session (state, applied report ids, the stored answer). The account change is made FIRST,
 * as one guarded update that also stores an op marker `ops.<markerKey(ref)>` (one per session) holding
 * the op's id `opKey(ref, v+1)`, the complete next session document and the rated-usage rows. Then the rated rows are inserted (ids are
 * deterministic, duplicates ignored), and the session row is written when it must be (below).
 *  - A crash before the account update: nothing happened; the SMF's retry is processed afresh.
 *  - A crash after it: the marker is the durable record of the op. Whoever touches the session next
 *    (a retry, another update, the release, the expiry sweeper, or reconcile() at start) finds a marker
 *    this process has not settled and rolls it forward (inserts the rated rows, writes the stored session,
 *    clears the marker) before doing anything else. Re-applying the account change is impossible: the
 *    update's filter requires the session's marker to be the one the op planned from (or none), and the
 *    op's own update replaced it; the op id is a function of (ref, version).
 *
 * The session row is written behind. While a session runs, its newest marker stays in the account (the
 * next op of the session replaces it in its own account update) and IS the session's current state: an
 * op plans from the marker when it is newer than the row (`currentSession`). The row is rewritten only
 * when something that reads rows needs it: the session closes, a CDR is pending (the CDR writer), the
 * earliest reservation expiry moves earlier (the expiry sweeper), or the row's lastRequestAt is a minute
 * old (the stale-session sweeper, which checks the current state again before closing anything). So a
 * steady update is one write (the guarded account update) instead of two. Row writes are compare-and-set
 * on "older than this version", so a late writer never puts an older session back.
 *
 * A replayed request is recognised by the fingerprint of the last request (the stored answer is
 * returned) and, report by report, by each usage report's own identity (free5GC never increments
 * invocationSequenceNumber, INTEROP §0.9): a report already applied is never charged again.
 */
import { newId } from '../../store/doc.ts'
import type { Logger } from 'pino'
import type { EventSink, Outbox } from '../sbi/ports.ts'
import { problem } from '../sbi/types.ts'
import { hasReports, planOp, requestFingerprint, servingPlmnOf, type ChargingDataRequest, type ChargingDataResponse, type Mode, type PlannedOp, type SessionSettings } from './domain/session.ts'
import { zoneOf } from './domain/rating.ts'
import { currentSession, legacyMarkerKeys, liveMarkerOf, markerKey, newerOf, type AccountDoc, type ChfStore, type OpMarker, type SessionDoc } from './store.ts'

export interface ChargingDeps {
  store: ChfStore
  settings: SessionSettings
  homePlmns: string[]
  clock: () => Date
  log: Logger
  events: EventSink
  outbox: Outbox
  /** Called after any op that moved money or bundles (spending-limit re-evaluation). */
  onAccountChanged?: (supi: string) => Promise<void>
  /** Called after an op that cut CDRs (flush to file). */
  onCdrPending?: (ref: string) => Promise<void>
}

const MAX_ATTEMPTS = 200
/** A running session's row is rewritten at least this often (its lastRequestAt feeds the stale sweeper). */
const ROW_REFRESH_MS = 60_000
/** Running sessions whose latest settled marker this process remembers (beyond, it forgets them all). */
const SETTLED_MEMORY = 1_000_000

/**
 * Whether an op's next session must be written to the row now, or may stay in its marker: see the
 * header. `row` is the row as the op read it.
 */
export function rowWriteNeeded(row: SessionDoc, next: SessionDoc): boolean {
  if (next.state !== row.state || next.hasPendingCdr || row.hasPendingCdr) return true
  if (next.nextExpiry && (!row.nextExpiry || next.nextExpiry < row.nextExpiry)) return true
  const last = Date.parse(next.lastRequestAt ?? next.updatedAt)
  const written = Date.parse(row.lastRequestAt ?? row.updatedAt)
  return !(last - written < ROW_REFRESH_MS)
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())))

export class ChargingService {
  private readonly settings: SessionSettings
  /** Session → id of its latest marker whose op this process completed; any other marker is rolled forward before use. */
  private readonly settled = new Map<string, string>()
  constructor(private readonly d: ChargingDeps) {
    this.settings = { ...d.settings, homePlmns: d.homePlmns }
  }

  /** Nchf_ConvergedCharging_Create. free5GC ignores the body and keeps the Location's last segment. */
  async create(req: ChargingDataRequest): Promise<{ ref: string; answer: ChargingDataResponse }> {
    const supi = req.subscriberIdentifier
    if (!supi) throw problem(400, 'MANDATORY_IE_MISSING', 'subscriberIdentifier is required', [{ param: 'subscriberIdentifier' }])
    const acct = await this.d.store.getAccount(supi)
    if (!acct) throw problem(404, 'USER_UNKNOWN', `no account for ${supi}`)
    if (acct.state === 'BARRED') throw problem(403, 'END_USER_REQUEST_DENIED', 'account barred')
    const now = this.d.clock().toISOString()
    const ref = newId()
    const pdu = req.pDUSessionChargingInformation
    const servingPlmn = servingPlmnOf(req) ?? (req.nfConsumerIdentification?.nFPLMNID ? `${req.nfConsumerIdentification.nFPLMNID.mcc}${req.nfConsumerIdentification.nFPLMNID.mnc}` : undefined)
    const session: SessionDoc = {
      _id: ref,
      supi,
      ...(pdu?.userInformation?.servedGPSI ? { gpsi: pdu.userInformation.servedGPSI } : acct.gpsi ? { gpsi: acct.gpsi } : {}),
      version: 0,
      state: 'OPEN',
      createdAt: now,
      updatedAt: now,
      lastRequestAt: now,
      ...(req.notifyUri ? { notifyUri: req.notifyUri } : {}),
      ...(req.chargingId ?? pdu?.chargingId ? { chargingId: req.chargingId ?? pdu?.chargingId } : {}),
      nfConsumer: req.nfConsumerIdentification as unknown as Record<string, unknown>,
      ...(pdu?.pduSessionInformation ? { pduSession: pdu.pduSessionInformation as Record<string, unknown> } : {}),
      ...(servingPlmn ? { servingPlmn } : {}),
      zone: zoneOf(acct.plan, servingPlmn, this.d.homePlmns),
      ...(pdu?.pduSessionInformation?.ratType ? { ratType: pdu.pduSessionInformation.ratType } : {}),
      ...(req.oneTimeEvent ? { oneTimeEvent: true } : {}),
      rgs: {},
      applied: [],
      cdr: { seq: 0, openedAt: now, count: 0, volume: 0, amount: 0 },
      cdrPending: [],
      hasPendingCdr: false,
    }
    await this.d.store.insertSession(session)
    let answer: ChargingDataResponse = { invocationTimeStamp: now, invocationSequenceNumber: req.invocationSequenceNumber }
    if (req.oneTimeEvent && req.oneTimeEventType === 'IEC') answer = (await this.run(ref, req, 'event')).answer
    else if (req.multipleUnitUsage?.length) answer = (await this.run(ref, req, 'update')).answer
    await this.d.events.emit('chf', { type: 'chf.session.opened', supi, data: { chargingDataRef: ref, chargingId: session.chargingId } })
    return { ref, answer }
  }

  async update(ref: string, req: ChargingDataRequest): Promise<ChargingDataResponse> {
    return (await this.run(ref, req, 'update')).answer
  }

  async release(ref: string, req: ChargingDataRequest): Promise<void> {
    await this.run(ref, req, 'release')
  }

  /** Releases reservations whose validity (plus grace) has passed; returns how many sessions it touched. */
  async expireReservations(): Promise<number> {
    const now = this.d.clock().toISOString()
    const due = await this.d.store.sessions.find({ nextExpiry: { $lte: now } }, { limit: 500 })
    let n = 0
    for (const s of due) {
      try {
        await this.run(s._id, undefined, 'expire')
        n++
      } catch (err) {
        if ((err as { cause3gpp?: string }).cause3gpp === 'USER_UNKNOWN') {
          // the account was deleted under the session: nothing left to release
          await this.d.store.sessions.updateOne({ _id: s._id }, { $unset: { nextExpiry: '' } })
        } else this.d.log.warn({ err, ref: s._id }, 'reservation expiry failed')
      }
    }
    return n
  }

  /**
   * Closes sessions whose consumer went silent (no request for `maxIdleMs`, e.g. the SMF crashed): releases
   * their reservations and writes the final CDR with causeForRecordClosing abnormalRelease.
   */
  async closeStaleSessions(maxIdleMs: number): Promise<number> {
    const before = new Date(this.d.clock().getTime() - maxIdleMs).toISOString()
    const stale = await this.d.store.sessions.find({ state: 'OPEN', lastRequestAt: { $lt: before } }, { limit: 500 })
    let n = 0
    for (const s of stale) {
      try {
        if (!(await this.run(s._id, undefined, 'stale', before)).skipped) n++
      } catch (err) {
        if ((err as { cause3gpp?: string }).cause3gpp === 'USER_UNKNOWN') {
          // the account was deleted under the session: close it as it is (there is nothing left to charge)
          await this.d.store.sessions.updateOne({ _id: s._id, state: 'OPEN' }, { $set: { state: 'CLOSED', closedAt: this.d.clock().toISOString() }, $unset: { nextExpiry: '' } })
        } else this.d.log.warn({ err, ref: s._id }, 'closing a stale session failed')
      }
    }
    return n
  }

  /** Rolls forward every op marker left by a crash; returns how many it finished. */
  async reconcile(): Promise<number> {
    let n = 0
    for (const acct of await this.d.store.accounts.find({ pendingOps: { $gt: 0 } })) {
      for (const m of Object.values(acct.ops ?? {})) {
        await this.finish(acct._id, m)
        n++
      }
    }
    return n
  }

  /**
   * Runs one op on a session: roll forward a marker this process did not settle, detect a replay, plan
   * from the current session, apply the account change (guarded; on refusal re-read and re-plan with the
   * fresh balance), then settle the op. `staleBefore` (mode stale): close only if still silent since then.
   */
  private async run(ref: string, req: ChargingDataRequest | undefined, mode: Mode, staleBefore?: string): Promise<{ answer: ChargingDataResponse; replay: boolean; skipped?: boolean }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // Both read without a copy: planning copies what it changes (planOp's next session, its own bundle views).
      const row = await this.d.store.getSession(ref, true)
      if (!row) throw problem(404, 'CONTEXT_NOT_FOUND', `no charging data resource ${ref}`)
      const acct = await this.d.store.getAccount(row.supi, true)
      if (!acct) throw problem(404, 'USER_UNKNOWN', `no account for ${row.supi}`)
      const live = liveMarkerOf(acct, ref)
      if (live && live.session.version > row.version && this.settled.get(ref) !== live.id) {
        await this.finish(acct._id, live)
        continue
      }
      const s = newerOf(row, live)
      // A retransmission is answered from the stored answer. A request without usage reports charges
      // nothing either way, so it is decided afresh (a new grant reflects the current balance).
      if (req && s.last?.answer && hasReports(req) && s.last.fp === requestFingerprint(req, mode)) return { answer: s.last.answer as ChargingDataResponse, replay: true }
      if (req && req.invocationSequenceNumber > 0 && s.last?.answer && s.last.isn === req.invocationSequenceNumber) return { answer: s.last.answer as ChargingDataResponse, replay: true }
      if (s.state === 'CLOSED') {
        if (mode === 'release' || mode === 'expire' || mode === 'stale') return { answer: (s.last?.answer ?? {}) as ChargingDataResponse, replay: true }
        throw problem(404, 'CONTEXT_NOT_FOUND', `charging data resource ${ref} is released`)
      }
      if (mode === 'stale' && staleBefore && (s.lastRequestAt ?? s.updatedAt) >= staleBefore) {
        // the row was behind: the consumer is not silent. Bring the row up to date so the sweeper stops finding it.
        if (s !== row) await this.d.store.casSession(s)
        return { answer: {} as ChargingDataResponse, replay: true, skipped: true }
      }
      const planned = planOp(s, acct, req, mode, this.d.clock(), this.settings)
      const marker: OpMarker = { id: planned.change.opId, kind: 'session', ref, session: planned.next, rated: planned.rated, at: planned.next.updatedAt }
      // the previous op's marker of this session was left in place (one write less per op): this one replaces it
      planned.change.replaces = acct.ops?.[markerKey(ref)]?.id
      const legacy = legacyMarkerKeys(acct, ref)
      if (legacy.length) planned.change.clearMarkers = legacy
      let r
      try {
        r = await this.d.store.applyChange(s.supi, { ...planned.change, marker }, planned.next.updatedAt)
      } catch (err) {
        // A write whose outcome is unknown (store busy, connection lost) is safe to retry: if it did
        // apply, its marker makes the retry roll it forward instead of applying it again.
        this.d.log.warn({ err, ref }, 'account update failed; retrying')
        await backoff(attempt)
        continue
      }
      if (r.kind === 'refused' || r.kind === 'already') continue
      if (r.kind === 'no-account') throw problem(404, 'USER_UNKNOWN', `no account for ${s.supi}`)
      for (let i = 0; ; i++) {
        try {
          await this.finish(s.supi, marker, planned, mode, row)
          break
        } catch (err) {
          if (i >= 10) throw err // the marker stays; the next access or reconcile() completes the op
          await backoff(i)
        }
      }
      return { answer: planned.answer, replay: false }
    }
    throw problem(503, 'NF_CONGESTION', 'too much contention on the account; retry')
  }

  /**
   * Completes an op whose account change is applied: rated rows, the session row when it must be written
   * (always for a roll-forward and for a closing or sweeper op; `rowWriteNeeded` for an update), side
   * effects. The marker of a running session's op is left for the session's next op to remove (in the
   * same account update); a closing op, an expiry and a roll-forward remove it at once.
   */
  private async finish(supi: string, m: OpMarker, planned?: PlannedOp, mode?: Mode, row?: SessionDoc): Promise<void> {
    if (m.rated.length) await this.d.store.insertRated(m.rated)
    const keepMarker = !!planned && mode === 'update' && m.session.state !== 'CLOSED'
    if (!keepMarker || !row || rowWriteNeeded(row, m.session)) await this.d.store.casSession(m.session)
    if (keepMarker) this.settle(m.ref, m.id)
    else {
      this.settled.delete(m.ref)
      await this.d.store.clearMarker(supi, m)
    }
    for (const e of planned?.events ?? []) await this.d.events.emit('chf', { type: e.type, supi, data: e.data })
    if (m.session.hasPendingCdr && this.d.onCdrPending) await this.d.onCdrPending(m.ref).catch((err) => this.d.log.error({ err }, 'CDR flush failed'))
    if ((planned?.moneyTouched ?? true) && this.d.onAccountChanged) await this.d.onAccountChanged(supi).catch((err) => this.d.log.error({ err }, 'account change hook failed'))
  }

  private settle(ref: string, id: string): void {
    if (this.settled.size >= SETTLED_MEMORY && !this.settled.has(ref)) this.settled.clear() // forgotten markers are rolled forward again: harmless
    this.settled.set(ref, id)
  }

  /** The subscriber's open sessions as they are now (rows, or their newer live markers). */
  private async openSessions(supi: string): Promise<SessionDoc[]> {
    const rows = await this.d.store.sessions.find({ supi, state: 'OPEN' })
    if (rows.length === 0) return rows
    const acct = await this.d.store.getAccount(supi)
    return rows.map((r) => currentSession(r, acct)).filter((s) => s.state === 'OPEN')
  }

  /**
   * ChargingNotify REAUTHORIZATION to every open session of the subscriber that has an exhausted rating
   * group (or the given one, or every rating group with `all`, after a plan change), so its SMF asks again
   * now that a top-up or bundle made quota available.
   */
  async reauthorize(supi: string, ratingGroup?: number, all = false): Promise<number> {
    const sessions = await this.openSessions(supi)
    let n = 0
    for (const s of sessions) {
      if (!s.notifyUri) continue
      const rgs = Object.values(s.rgs).filter((r) => (ratingGroup === undefined ? all || r.exhausted : r.ratingGroup === ratingGroup))
      if (ratingGroup !== undefined && rgs.length === 0 && !Object.values(s.rgs).length) rgs.push({ ratingGroup } as never)
      if (!rgs.length) continue
      await this.d.outbox.enqueue({
        uri: s.notifyUri,
        method: 'POST',
        body: { notificationType: 'REAUTHORIZATION', reauthorizationDetails: rgs.map((r) => ({ ratingGroup: r.ratingGroup })) },
        kind: 'ChargingNotify',
        targetNfType: 'SMF',
      })
      n++
    }
    return n
  }

  /** ChargingNotify ABORT_CHARGING to every open session (account barred). */
  async abortCharging(supi: string): Promise<number> {
    const sessions = await this.openSessions(supi)
    let n = 0
    for (const s of sessions) {
      if (!s.notifyUri) continue
      await this.d.outbox.enqueue({ uri: s.notifyUri, method: 'POST', body: { notificationType: 'ABORT_CHARGING' }, kind: 'ChargingNotify', targetNfType: 'SMF' })
      n++
    }
    return n
  }
}

export type { AccountDoc }
