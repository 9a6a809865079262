/**
 * The charging session's next state (TS 32.290 §5.2 session-based charging): given the session, the
 * account as read and one ChargingDataRequest, decides the rated usage, the releases and new
 * reservations, the answer and the account change. Pure; nf/chf/charging.ts applies the result.
 */
import { hash } from 'node:crypto'
import { clone } from '../../../store/doc.ts'
import { decideGrant, type GrantDecision } from './quota.ts'
import { rateUsage, unitOf, zoneOf } from './rating.ts'
import type { BundleView, RatingPlan, UnitKind } from './types.ts'
import type { AccountChange, AccountDoc, CdrContainer, CdrRecord, RatedUsageDoc, RgState, SessionDoc } from './state.ts'
import { bundleKey, copySession, opKey } from './state.ts'

export interface Trigger {
  triggerType?: string
  triggerCategory: 'IMMEDIATE_REPORT' | 'DEFERRED_REPORT'
  volumeLimit?: number
  timeLimit?: number
}

export interface UsedUnitContainer {
  quotaManagementIndicator?: string
  triggers?: Trigger[]
  triggerTimestamp?: string
  time?: number
  totalVolume?: number
  uplinkVolume?: number
  downlinkVolume?: number
  serviceSpecificUnits?: number
  eventTimeStamps?: string[]
  localSequenceNumber?: number
}

export interface MultipleUnitUsage {
  ratingGroup: number
  requestedUnit?: { time?: number; totalVolume?: number; uplinkVolume?: number; downlinkVolume?: number; serviceSpecificUnits?: number }
  usedUnitContainer?: UsedUnitContainer[]
  uPFID?: string
}

export interface ChargingDataRequest {
  subscriberIdentifier?: string
  chargingId?: number
  nfConsumerIdentification: { nodeFunctionality: string; nFName?: string; nFIPv4Address?: string; nFPLMNID?: { mcc: string; mnc: string } }
  invocationTimeStamp: string
  invocationSequenceNumber: number
  retransmissionIndicator?: boolean
  oneTimeEvent?: boolean
  oneTimeEventType?: 'IEC' | 'PEC'
  notifyUri?: string
  multipleUnitUsage?: MultipleUnitUsage[]
  triggers?: Trigger[]
  pDUSessionChargingInformation?: {
    chargingId?: number
    userInformation?: { servedGPSI?: string; servedPEI?: string }
    pduSessionInformation?: {
      pduSessionID?: number
      networkSlicingInfo?: { sNSSAI?: { sst: number; sd?: string } }
      pduType?: string
      ratType?: string
      dnnId?: string
      servingNetworkFunctionID?: { servingNetworkFunctionInformation?: { nFPLMNID?: { mcc: string; mnc: string } } }
      servingCNPlmnId?: { mcc: string; mnc: string }
    }
  }
}

export interface MultipleUnitInformation {
  resultCode: string
  ratingGroup: number
  uPFID?: string
  triggers: Trigger[]
  grantedUnit?: { totalVolume?: number; time?: number; serviceSpecificUnits?: number }
  validityTime?: number
  volumeQuotaThreshold?: number
  timeQuotaThreshold?: number
  unitQuotaThreshold?: number
  finalUnitIndication?: GrantDecision['finalUnitIndication']
}

export interface ChargingDataResponse {
  invocationTimeStamp: string
  invocationSequenceNumber: number
  multipleUnitInformation?: MultipleUnitInformation[]
}

export interface SessionSettings {
  quotaValidityTime: number
  thresholdRate: number
  defaultGrant: Record<UnitKind, number>
  /** Offline reporting interval as a volume (QUOTA_THRESHOLD for OFFLINE_CHARGING rating groups). */
  offlineThreshold: number
  /** Cut a partial CDR after this much volume (bytes) or time (s) since the record opened. */
  partialVolume: number
  partialTime: number
  /** Reservations are released this many seconds after their validity time. */
  expiryGrace: number
  nodeId: string
  /** Home PLMNs (mcc+mnc): the roaming zone is re-derived on every op (PLMN change, plan change). */
  homePlmns?: string[]
}

export type Mode = 'update' | 'release' | 'expire' | 'event' | 'stale'

export interface PlannedOp {
  next: SessionDoc
  change: AccountChange
  rated: RatedUsageDoc[]
  answer: ChargingDataResponse
  events: { type: string; data: Record<string, unknown> }[]
  /** Used units were committed (balance or bundles consumed): policy counters may have changed. */
  moneyTouched: boolean
}

const MAX_APPLIED = 64
/** Containers per CHF-CDR before a partial record is cut (TS 32.298 maxChangeCond). */
const MAX_CONTAINERS = 50

/** Identity of one usage report: free5GC never increments invocationSequenceNumber, so a replay is recognised by the report itself. */
export function reportId(req: ChargingDataRequest, muu: MultipleUnitUsage, c: UsedUnitContainer): string {
  const own = c.localSequenceNumber !== undefined || c.triggerTimestamp !== undefined
  const parts = [
    muu.ratingGroup, muu.uPFID ?? '', c.localSequenceNumber ?? '', c.triggerTimestamp ?? '',
    c.uplinkVolume ?? '', c.downlinkVolume ?? '', c.totalVolume ?? '', c.time ?? '', c.serviceSpecificUnits ?? '', (c.eventTimeStamps ?? []).join(','),
    own ? '' : `${req.invocationSequenceNumber}@${req.invocationTimeStamp}`,
  ]
  return hash('sha256', parts.join('|'), 'base64url').slice(0, 22)
}

/** The request reports used units (a retransmission of it must not charge them again). */
export const hasReports = (req: ChargingDataRequest) => (req.multipleUnitUsage ?? []).some((m) => (m.usedUnitContainer ?? []).length > 0)

/** Fingerprint of a whole request: identical bytes of what we act on = a retransmission. */
export function requestFingerprint(req: ChargingDataRequest, mode: Mode): string {
  return hash('sha256', JSON.stringify([mode, req.invocationSequenceNumber, req.invocationTimeStamp, req.multipleUnitUsage ?? [], req.oneTimeEventType ?? '']), 'base64url').slice(0, 22)
}

function usedUnits(unit: UnitKind, c: UsedUnitContainer): number {
  switch (unit) {
    case 'TIME':
      return c.time ?? 0
    case 'EVENTS':
      return c.serviceSpecificUnits ?? c.eventTimeStamps?.length ?? 0
    default:
      return c.totalVolume ?? (c.uplinkVolume ?? 0) + (c.downlinkVolume ?? 0)
  }
}

function requestedUnits(unit: UnitKind, r: MultipleUnitUsage['requestedUnit']): number | undefined {
  if (!r) return undefined
  switch (unit) {
    case 'TIME':
      return r.time
    case 'EVENTS':
      return r.serviceSpecificUnits
    default:
      return r.totalVolume ?? (r.uplinkVolume !== undefined || r.downlinkVolume !== undefined ? (r.uplinkVolume ?? 0) + (r.downlinkVolume ?? 0) : undefined)
  }
}

function grantedUnitOf(unit: UnitKind, units: number): MultipleUnitInformation['grantedUnit'] {
  return unit === 'TIME' ? { time: units } : unit === 'EVENTS' ? { serviceSpecificUnits: units } : { totalVolume: units }
}

/** Working copy of the account as this op changes it, so several rating groups share one view. */
class Work {
  available: number
  readonly bundles = new Map<string, BundleView & { key: string }>()
  constructor(
    acct: AccountDoc,
    readonly change: AccountChange,
  ) {
    this.available = acct.available
    for (const [key, b] of Object.entries(acct.bundles ?? {})) this.bundles.set(key, { ...b, key })
  }
  views(): BundleView[] {
    return [...this.bundles.values()]
  }
  keyOf(bundleId: string): string {
    return bundleKey(bundleId)
  }
  bundleDelta(key: string, remaining: number, reserved: number): void {
    const b = this.bundles.get(key)
    if (!b) return
    b.remaining += remaining
    b.reserved += reserved
    const d = (this.change.bundles[key] ??= { remaining: 0, reserved: 0 })
    d.remaining += remaining
    d.reserved += reserved
  }
  money(balance: number, reserved: number): void {
    this.change.money.balance += balance
    this.change.money.reserved += reserved
    this.available += balance - reserved
  }
}

function newRg(ratingGroup: number, unit: UnitKind, since: string): RgState {
  return { ratingGroup, unit, exhausted: false, lastReportAt: since, usedUnits: 0, amount: 0 }
}

/** Triggers we arm in the answer (what free5GC's SMF acts on, INTEROP §1.3). */
function armedTriggers(g: GrantDecision | undefined, offline: boolean): Trigger[] {
  if (offline) return [{ triggerType: 'QUOTA_THRESHOLD', triggerCategory: 'IMMEDIATE_REPORT' }]
  const t: Trigger[] = [{ triggerType: 'QUOTA_EXHAUSTED', triggerCategory: 'IMMEDIATE_REPORT' }]
  if (g?.threshold !== undefined) t.unshift({ triggerType: 'QUOTA_THRESHOLD', triggerCategory: 'IMMEDIATE_REPORT' })
  if (g && !g.exhausted) t.push({ triggerType: 'VALIDITY_TIME', triggerCategory: 'IMMEDIATE_REPORT' })
  return t
}

export function servingPlmnOf(req: ChargingDataRequest): string | undefined {
  const info = req.pDUSessionChargingInformation?.pduSessionInformation
  const p = info?.servingCNPlmnId ?? info?.servingNetworkFunctionID?.servingNetworkFunctionInformation?.nFPLMNID
  return p ? `${p.mcc}${p.mnc}` : undefined
}

/**
 * Plans one operation on a session. `mode`:
 * - update: commit reported usage, release the reported rating groups' reservations, grant again;
 * - release: commit final usage, release everything, close, cut the final CDR;
 * - expire: release reservations whose validity (plus grace) has passed;
 * - event: one-time event (IEC): rate the requested units and debit them at once, or refuse;
 * - stale: the consumer went silent (no update for a day): release everything and close (abnormalRelease).
 */
export function planOp(s: SessionDoc, acct: AccountDoc, req: ChargingDataRequest | undefined, mode: Mode, now: Date, cfg: SessionSettings): PlannedOp {
  const nowIso = now.toISOString()
  const plan: RatingPlan = acct.plan
  const next: SessionDoc = copySession(s)
  next.version = s.version + 1
  next.updatedAt = nowIso
  const change: AccountChange = { opId: opKey(s._id, next.version), money: { balance: 0, reserved: 0 }, bundles: {} }
  const work = new Work(acct, change)
  const rated: RatedUsageDoc[] = []
  const events: PlannedOp['events'] = []
  const mui: MultipleUnitInformation[] = []
  const ratedEvents: Record<string, unknown>[] = []
  const applied = new Set(s.applied)
  let moneyReserved = 0
  let moneyTouched = false
  const barred = acct.state === 'BARRED'
  const offlinePlan = plan.chargingMode === 'OFFLINE'

  const release = (st: RgState) => {
    const r = st.reservation
    if (!r) return
    if (r.money) work.money(0, -r.money)
    for (const [key, units] of Object.entries(r.bundles)) work.bundleDelta(key, 0, -units)
    st.reservation = undefined
  }

  const commit = (st: RgState, muu: MultipleUnitUsage, c: UsedUnitContainer, id: string) => {
    const units = usedUnits(st.unit, c)
    const end = c.triggerTimestamp && !Number.isNaN(Date.parse(c.triggerTimestamp)) ? new Date(c.triggerTimestamp) : now
    let start = new Date(st.lastReportAt)
    if (start > end) start = end
    const own: Record<string, number> = {}
    for (const [key, u] of Object.entries(st.reservation?.bundles ?? {})) {
      const b = work.bundles.get(key)
      if (b) own[b.id] = u
    }
    const r = rateUsage({ plan, ratingGroup: st.ratingGroup, unit: st.unit, units, start, end, zone: next.zone, bundles: work.views(), ownReserved: own })
    let amount = r.amount
    if (st.reservation?.unfunded) amount = Math.min(amount, Math.max(0, work.available)) // THROTTLE: beyond the money, usage is free
    for (const u of r.bundleUse) {
      const key = bundleKey(u.bundleId)
      // take first from our own reservation of the bundle, so the guard only covers what exceeds it
      const fromOwn = Math.min(u.units, st.reservation?.bundles[key] ?? 0)
      if (st.reservation && fromOwn > 0) {
        st.reservation.bundles[key] = (st.reservation.bundles[key] ?? 0) - fromOwn
        work.bundleDelta(key, -u.units, -fromOwn)
      } else work.bundleDelta(key, -u.units, 0)
    }
    if (amount) {
      const fromOwn = Math.min(amount, st.reservation?.money ?? 0)
      if (st.reservation && fromOwn > 0) st.reservation.money -= fromOwn
      work.money(-amount, -fromOwn)
      moneyTouched = true
    }
    if (units > 0) moneyTouched = true
    st.lastReportAt = end.toISOString()
    st.usedUnits += units
    st.amount += amount
    const container: CdrContainer = {
      ratingGroup: st.ratingGroup, localSequenceNumber: c.localSequenceNumber, triggerTimestamp: end.toISOString(),
      uplinkVolume: c.uplinkVolume, downlinkVolume: c.downlinkVolume, totalVolume: c.totalVolume, time: c.time,
      serviceSpecificUnits: c.serviceSpecificUnits, triggers: c.triggers, quotaManagementIndicator: c.quotaManagementIndicator,
      ratedAmount: amount, bundleUnits: r.bundleUnits, currency: acct.currency, zone: next.zone,
    }
    // The CDR container goes with the rated row, tagged with the record it belongs to: the session only
    // counts them (the CDR writer gathers a record's containers from the rated rows, nf/chf/cdr.ts).
    rated.push({
      _id: `${s._id}:${id}`, supi: s.supi, ratingGroup: st.ratingGroup, chargingDataRef: s._id, unit: st.unit, units,
      uplinkVolume: c.uplinkVolume ?? 0, downlinkVolume: c.downlinkVolume ?? 0, bundleUnits: r.bundleUnits, amount,
      currency: acct.currency, ts: end.toISOString(), zone: next.zone, ...(r.unratedUnits ? { unrated: r.unratedUnits } : {}),
      cdrSeq: next.cdr.seq, container: clone(container),
    })
    next.cdr.count = containerCount(next.cdr) + 1
    next.cdr.volume += st.unit === 'VOLUME' ? units : 0
    next.cdr.amount += amount
    ratedEvents.push({ ratingGroup: st.ratingGroup, unit: st.unit, units, bundleUnits: r.bundleUnits, amount, currency: acct.currency, zone: next.zone, ts: end.toISOString() })
    void muu
  }

  const grant = (st: RgState, muu: MultipleUnitUsage) => {
    const g = decideGrant({
      plan, ratingGroup: st.ratingGroup, zone: next.zone, now, requested: requestedUnits(st.unit, muu.requestedUnit), defaultGrant: cfg.defaultGrant,
      availableMoney: work.available, bundles: work.views(), validityTime: cfg.quotaValidityTime, thresholdRate: cfg.thresholdRate, barred,
    })
    const bundles: Record<string, number> = {}
    for (const b of g.bundleReserve) {
      const key = bundleKey(b.bundleId)
      bundles[key] = b.units
      work.bundleDelta(key, 0, b.units)
    }
    if (g.moneyReserve) {
      work.money(0, g.moneyReserve)
      moneyReserved += g.moneyReserve
    }
    if (g.units > 0) {
      st.reservation = {
        money: g.moneyReserve, bundles, units: g.units,
        expiresAt: new Date(now.getTime() + (g.validityTime + cfg.expiryGrace) * 1000).toISOString(),
        ...(g.unfunded ? { unfunded: true } : {}),
      }
    }
    // the event feed carries state changes: a first grant, or quota again after exhaustion (not every renewal)
    const wasExhausted = st.exhausted
    const firstGrant = !st.granted
    st.exhausted = g.exhausted
    if (g.exhausted && !wasExhausted) events.push({ type: 'chf.quota.exhausted', data: { chargingDataRef: s._id, ratingGroup: st.ratingGroup, resultCode: g.resultCode } })
    if (g.units > 0 && (firstGrant || wasExhausted)) {
      st.granted = true
      events.push({ type: 'chf.quota.granted', data: { chargingDataRef: s._id, ratingGroup: st.ratingGroup, unit: st.unit, units: g.units, moneyReserved: g.moneyReserve, validityTime: g.validityTime, ...(wasExhausted ? { reauthorized: true } : {}) } })
    }
    const info: MultipleUnitInformation = {
      resultCode: g.resultCode,
      ratingGroup: st.ratingGroup,
      ...(st.uPFID ? { uPFID: st.uPFID } : {}),
      triggers: armedTriggers(g, false),
      grantedUnit: grantedUnitOf(st.unit, g.units),
      validityTime: g.validityTime,
    }
    if (g.threshold !== undefined) {
      if (st.unit === 'VOLUME') info.volumeQuotaThreshold = g.threshold
      else if (st.unit === 'TIME') info.timeQuotaThreshold = g.threshold
      else info.unitQuotaThreshold = g.threshold
    }
    if (g.finalUnitIndication) info.finalUnitIndication = g.finalUnitIndication
    mui.push(info)
  }

  if (req) {
    next.lastRequestAt = nowIso
    const plmn = servingPlmnOf(req)
    if (plmn && plmn !== next.servingPlmn) next.servingPlmn = plmn
  }
  if (cfg.homePlmns) next.zone = zoneOf(plan, next.servingPlmn, cfg.homePlmns)

  for (const muu of req?.multipleUnitUsage ?? []) {
    const key = `rg_${muu.ratingGroup}`
    const st = (next.rgs[key] ??= newRg(muu.ratingGroup, unitOf(plan, muu.ratingGroup, next.zone, now), s.createdAt))
    if (muu.uPFID) st.uPFID = muu.uPFID
    const containers = muu.usedUnitContainer ?? []
    const offline = offlinePlan || containers.some((c) => c.quotaManagementIndicator === 'OFFLINE_CHARGING')
    st.offline = offline
    if (mode === 'event') {
      // IEC: the requested units are the event; debit at once if it can be paid, else refuse
      const units = requestedUnits(st.unit, muu.requestedUnit) ?? 1
      const r = rateUsage({ plan, ratingGroup: st.ratingGroup, unit: st.unit, units, start: now, end: now, zone: next.zone, bundles: work.views() })
      const canPay = !barred && (r.unratedUnits === 0) && (r.amount <= work.available)
      if (canPay) {
        const id = reportId(req!, muu, { localSequenceNumber: 0, triggerTimestamp: nowIso, serviceSpecificUnits: units, time: st.unit === 'TIME' ? units : undefined, totalVolume: st.unit === 'VOLUME' ? units : undefined })
        const c: UsedUnitContainer = st.unit === 'TIME' ? { time: units, triggerTimestamp: nowIso } : st.unit === 'EVENTS' ? { serviceSpecificUnits: units, triggerTimestamp: nowIso } : { totalVolume: units, triggerTimestamp: nowIso }
        commit(st, muu, c, id)
        applied.add(id)
        if (r.amount > 0) moneyReserved += r.amount // guard: available must cover the debit
      }
      mui.push({ resultCode: canPay ? 'SUCCESS' : barred ? 'END_USER_SERVICE_DENIED' : r.unratedUnits ? 'RATING_FAILED' : 'QUOTA_LIMIT_REACHED', ratingGroup: st.ratingGroup, triggers: [], grantedUnit: grantedUnitOf(st.unit, canPay ? units : 0) })
      continue
    }
    for (const c of containers) {
      const id = reportId(req!, muu, c)
      if (applied.has(id)) continue
      applied.add(id)
      commit(st, muu, c, id)
    }
    if (mode === 'update' && !offline) {
      const wantsQuota = muu.requestedUnit !== undefined || containers.some((c) => c.quotaManagementIndicator === 'ONLINE_CHARGING') || containers.length === 0
      if (wantsQuota) {
        release(st)
        grant(st, muu)
      }
    } else if (mode === 'update' && offline) {
      release(st)
      mui.push({ resultCode: 'SUCCESS', ratingGroup: st.ratingGroup, ...(st.uPFID ? { uPFID: st.uPFID } : {}), triggers: armedTriggers(undefined, true), volumeQuotaThreshold: cfg.offlineThreshold })
    }
  }

  if (mode === 'release' || mode === 'event' || mode === 'stale') {
    for (const st of Object.values(next.rgs)) release(st)
    next.state = 'CLOSED'
    next.closedAt = nowIso
    const rgs = Object.values(next.rgs).map((r) => ({ ratingGroup: r.ratingGroup, unit: r.unit, usedUnits: r.usedUnits, amount: r.amount }))
    events.push({ type: 'chf.session.closed', data: { chargingDataRef: s._id, openedAt: s.createdAt, ratingGroups: rgs, amount: rgs.reduce((a, r) => a + r.amount, 0), currency: acct.currency } })
  }
  if (mode === 'expire') {
    for (const st of Object.values(next.rgs)) if (st.reservation && st.reservation.expiresAt <= nowIso) release(st)
  }

  // partial record on volume/time limits, final record on close (TS 32.298 causeForRecordClosing)
  const opened = Date.parse(next.cdr.openedAt)
  if (next.state === 'CLOSED') cutRecord(next, now, mode === 'release' ? 'normalRelease' : mode === 'stale' ? 'abnormalRelease' : 'oneTimeEvent', acct, cfg)
  else if (containerCount(next.cdr) > 0) {
    // partial records: volume limit, time limit, or too many containers (keeps the session document small)
    const cause = next.cdr.volume >= cfg.partialVolume ? 'volumeLimit' : now.getTime() - opened >= cfg.partialTime * 1000 ? 'timeLimit' : containerCount(next.cdr) >= MAX_CONTAINERS ? 'maxChangeCond' : undefined
    if (cause) cutRecord(next, now, cause, acct, cfg)
  }

  const expiries = Object.values(next.rgs).map((r) => r.reservation?.expiresAt).filter((x): x is string => !!x).sort()
  if (expiries.length) next.nextExpiry = expiries[0]
  else delete next.nextExpiry
  next.applied = [...applied].slice(-MAX_APPLIED)

  // Guards: a money reservation (or an IEC debit) needs the post-op available >= 0; a bundle whose free
  // units shrink needs them to stay >= 0. Pure commits of money already used are not guarded.
  const deltaAvail = change.money.balance - change.money.reserved
  if (moneyReserved > 0) change.moneyGuard = Math.max(0, -deltaAvail)
  for (const d of Object.values(change.bundles)) {
    const delta = d.remaining - d.reserved
    if (delta < 0) d.guard = -delta
  }

  if (ratedEvents.length) events.push({ type: 'chf.usage.rated', data: { chargingDataRef: s._id, records: ratedEvents } })

  const answer: ChargingDataResponse = {
    invocationTimeStamp: nowIso,
    invocationSequenceNumber: req?.invocationSequenceNumber ?? 0,
    ...(mui.length ? { multipleUnitInformation: mui } : {}),
  }
  if (req) {
    // The answer is kept only where a retransmission is answered from it (nf/chf/charging.ts): a request with
    // usage reports, or with a sequence number. One without either is decided afresh when it comes again.
    const replayable = hasReports(req) || req.invocationSequenceNumber > 0 || mode === 'release'
    next.last = { ...(replayable ? { fp: requestFingerprint(req, mode), answer } : {}), isn: req.invocationSequenceNumber, status: mode === 'release' ? 204 : 200 }
  }
  return { next, change, rated, answer, events, moneyTouched }
}

/** Closes the current CHF-CDR (TS 32.298 chargingFunctionRecord) into the session's pending list. */
export function cutRecord(s: SessionDoc, now: Date, cause: string, acct: AccountDoc, cfg: SessionSettings): void {
  const opened = new Date(s.cdr.openedAt)
  const pdu = s.pduSession ?? {}
  const record: CdrRecord = {
    recordId: `${s._id}:${s.cdr.seq}`,
    recordType: 'chargingFunctionRecord',
    recordingNetworkFunctionID: cfg.nodeId,
    subscriberIdentifier: { subscriptionIDType: 'END_USER_IMSI', subscriptionIDData: s.supi },
    ...(s.gpsi ? { servedGPSI: s.gpsi } : {}),
    chargingSessionIdentifier: s._id,
    chargingID: s.chargingId,
    nFunctionConsumerInformation: s.nfConsumer,
    servingNetworkFunctionID: pdu.servingNetworkFunctionID,
    servingPLMN: s.servingPlmn,
    pDUSessionChargingInformation: pdu,
    ratType: s.ratType,
    recordOpeningTime: s.cdr.openedAt,
    duration: Math.max(0, Math.round((now.getTime() - opened.getTime()) / 1000)),
    recordSequenceNumber: s.cdr.seq,
    partialRecord: cause !== 'normalRelease' && cause !== 'oneTimeEvent' ? true : s.cdr.seq > 0,
    causeForRecordClosing: cause,
    // filled in from the rated rows by the CDR writer; a session written before containers moved there
    // still carries its own
    ...(s.cdr.containers?.length ? { listOfMultipleUnitUsage: groupContainers(s.cdr.containers) } : {}),
    totalRatedAmount: s.cdr.amount,
    currency: acct.currency,
    planId: acct.planId,
    recordClosingTime: now.toISOString(),
  }
  s.cdrPending = [...(s.cdrPending ?? []), clone(record)]
  s.hasPendingCdr = true
  s.cdr = { seq: s.cdr.seq + 1, openedAt: now.toISOString(), count: 0, volume: 0, amount: 0 }
}

/** Containers in the current record (older session documents kept them in a list). */
function containerCount(cdr: SessionDoc['cdr']): number {
  return cdr.count ?? cdr.containers?.length ?? 0
}

/** TS 32.298 listOfMultipleUnitUsage: the containers grouped by rating group, in the order given. */
export function groupContainers(cs: CdrContainer[]): Record<string, unknown>[] {
  const by = new Map<number, CdrContainer[]>()
  for (const c of cs) by.set(c.ratingGroup, [...(by.get(c.ratingGroup) ?? []), c])
  return [...by].map(([ratingGroup, usedUnitContainers]) => ({ ratingGroup, usedUnitContainers }))
}
