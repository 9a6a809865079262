/**
 * The NRF registration lifecycle of one NF instance (TS 29.510 §5.2.2.2 NFRegister, §5.2.2.3
 * NFUpdate, §5.2.2.4 NFDeregister), as a pure state machine and a small runner that owns the timers
 * and the I/O (STYLE rule 9; Open5GS lib/sbi/nf-sm.c has the same states).
 *
 *   registering ──PUT 201/200──▶ registered ──PATCH 204/200──▶ registered (next heart-beat)
 *        ▲  │ failure: back off             │ 404: the NRF forgot us → registering (at once)
 *        └──┘                               │ failure / NRF down → registering (back off)
 *   any ──stop──▶ stopped (DELETE when we had registered)
 *
 * Heart-beats go out at 80 % of the heartBeatTimer the NRF returned: Open5GS's NRF evicts an NF
 * whose heart-beat is more than heartBeatTimer + 1 s late (src/nrf/context.c), so the margin covers a
 * busy event loop. The NF keeps serving whatever happens here; nothing in this file throws out.
 */
import type { Logger } from 'pino'
import type { NfType, SbiClientResponse } from '../sbi/ports.ts'
import { diffProfile, type NfProfile } from './profile.ts'

export type RegistrationState =
  | { kind: 'registering'; attempt: number }
  | { kind: 'registered'; heartBeatSec: number }
  | { kind: 'stopped' }

export type RegistrationEvent =
  | { kind: 'registerOk'; heartBeatSec: number }
  | { kind: 'registerFailed' }
  | { kind: 'heartbeatOk'; heartBeatSec?: number }
  | { kind: 'heartbeatNotFound' }
  | { kind: 'heartbeatFailed' }
  | { kind: 'stop' }

export function nextRegistrationState(s: RegistrationState, e: RegistrationEvent): RegistrationState {
  if (s.kind === 'stopped') return s
  switch (e.kind) {
    case 'registerOk':
      return { kind: 'registered', heartBeatSec: e.heartBeatSec }
    case 'registerFailed':
      return { kind: 'registering', attempt: s.kind === 'registering' ? s.attempt + 1 : 1 }
    case 'heartbeatOk':
      return s.kind === 'registered' ? { kind: 'registered', heartBeatSec: e.heartBeatSec ?? s.heartBeatSec } : s
    case 'heartbeatNotFound':
      return { kind: 'registering', attempt: 0 }
    case 'heartbeatFailed':
      return { kind: 'registering', attempt: 1 }
    case 'stop':
      return { kind: 'stopped' }
  }
}

export interface BackoffOptions {
  /** First retry delay, ms (default 1000). */
  minMs: number
  /** Longest retry delay, ms (default 30000). */
  maxMs: number
}

/** Delay before the next step in `s`: 0 for a fresh (re-)registration, doubling back-off after failures. */
export function delayFor(s: RegistrationState, backoff: BackoffOptions): number {
  if (s.kind === 'registering') return s.attempt === 0 ? 0 : Math.min(backoff.maxMs, backoff.minMs * 2 ** (s.attempt - 1))
  if (s.kind === 'registered') return Math.max(100, Math.round(s.heartBeatSec * 1000 * 0.8))
  return 0
}

/** The I/O the runner needs, so it can be driven by tests or by the real SBI client. */
export interface NrfManagementCalls {
  register(id: string, profile: NfProfile): Promise<SbiClientResponse>
  patch(id: string, ops: Array<Record<string, unknown>>): Promise<SbiClientResponse>
  deregister(id: string): Promise<SbiClientResponse>
}

export interface RegistrationOptions {
  nfName: string
  nfType: NfType
  nfInstanceId: string
  /** Builds the profile now (it may change between heart-beats, e.g. the NF's profileInfo). */
  buildProfile: () => NfProfile
  calls: NrfManagementCalls
  log: Logger
  backoff: BackoffOptions
  /** Called with each successful register answer (the NRF's view of our profile). */
  onRegistered?: (answer: Record<string, unknown> | undefined) => void
}

/** Profile members the NRF owns or that change on their own; not sent as "profile changes". */
const NOT_DIFFED = new Set(['heartBeatTimer', 'nfStatus', 'load'])

export class NfRegistration {
  state: RegistrationState = { kind: 'registering', attempt: 0 }
  /** What the NRF holds, as far as we know (the last profile it accepted). */
  private sent: NfProfile | undefined
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private everRegistered = false
  private downSince: number | undefined

  constructor(private readonly o: RegistrationOptions) {}

  start(): void {
    this.schedule(0)
  }

  /** The profile may have changed: send the changes now instead of at the next heart-beat. */
  refresh(): void {
    if (this.state.kind === 'registered') this.schedule(0)
  }

  async stop(): Promise<void> {
    this.state = nextRegistrationState(this.state, { kind: 'stop' })
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.running?.catch(() => undefined)
    if (!this.everRegistered) return
    try {
      const res = await this.o.calls.deregister(this.o.nfInstanceId)
      this.o.log.info({ nf: this.o.nfName, nfInstanceId: this.o.nfInstanceId, status: res.status }, 'NRF deregistration')
    } catch (err) {
      this.o.log.warn({ nf: this.o.nfName, err: (err as Error).message }, 'NRF deregistration failed (NRF unreachable)')
    }
  }

  private schedule(ms: number): void {
    if (this.state.kind === 'stopped') return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      const run: Promise<void> = this.step().finally(() => {
        if (this.running === run) this.running = undefined
      })
      this.running = run
    }, ms)
    this.timer.unref()
  }

  private async step(): Promise<void> {
    if (this.running) await this.running.catch(() => undefined)
    const s = this.state
    if (s.kind === 'registering') await this.register()
    else if (s.kind === 'registered') await this.heartbeat()
    this.schedule(delayFor(this.state, this.o.backoff))
  }

  private apply(e: RegistrationEvent): void {
    this.state = nextRegistrationState(this.state, e)
  }

  private async register(): Promise<void> {
    const profile = this.o.buildProfile()
    try {
      const res = await this.o.calls.register(this.o.nfInstanceId, profile)
      if (res.status === 200 || res.status === 201) this.everRegistered = true
      if (this.state.kind === 'stopped') return
      if (res.status === 200 || res.status === 201) {
        const body = res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : undefined
        const hb = typeof body?.heartBeatTimer === 'number' && body.heartBeatTimer > 0 ? body.heartBeatTimer : (profile.heartBeatTimer as number)
        this.sent = profile
        this.apply({ kind: 'registerOk', heartBeatSec: hb })
        this.o.onRegistered?.(body)
        this.o.log.info(
          { nf: this.o.nfName, nfInstanceId: this.o.nfInstanceId, status: res.status, heartBeatTimer: hb, downForMs: this.downSince ? Date.now() - this.downSince : undefined },
          'registered at the NRF',
        )
        this.downSince = undefined
        return
      }
      this.failed('register', `status ${res.status}${res.problem?.detail ? `: ${res.problem.detail}` : ''}`)
      this.apply({ kind: 'registerFailed' })
    } catch (err) {
      if (this.state.kind === 'stopped') return
      this.failed('register', (err as Error).message)
      this.apply({ kind: 'registerFailed' })
    }
  }

  private async heartbeat(): Promise<void> {
    const current = this.o.buildProfile()
    const changes = this.sent ? diffProfile(this.sent, current).filter((op) => !NOT_DIFFED.has(String(op.path).slice(1))) : []
    const ops = [{ op: 'replace', path: '/nfStatus', value: 'REGISTERED' }, ...changes]
    try {
      const res = await this.o.calls.patch(this.o.nfInstanceId, ops)
      if (this.state.kind === 'stopped') return
      if (res.status === 204 || res.status === 200) {
        const body = res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : undefined
        const hb = typeof body?.heartBeatTimer === 'number' && body.heartBeatTimer > 0 ? body.heartBeatTimer : undefined
        if (changes.length) {
          this.o.log.info({ nf: this.o.nfName, changed: changes.map((c) => c.path) }, 'NF profile updated at the NRF')
          this.sent = current
        }
        this.apply({ kind: 'heartbeatOk', heartBeatSec: hb })
        return
      }
      if (res.status === 404) {
        this.o.log.warn({ nf: this.o.nfName, nfInstanceId: this.o.nfInstanceId }, 'NRF no longer knows us (heart-beat 404): registering again')
        this.apply({ kind: 'heartbeatNotFound' })
        return
      }
      if (changes.length && res.status >= 400 && res.status < 500) {
        // The NRF refused our partial update: replace the whole profile instead.
        this.o.log.warn({ nf: this.o.nfName, status: res.status }, 'NRF refused the profile PATCH: registering the full profile again')
        this.apply({ kind: 'heartbeatNotFound' })
        return
      }
      this.failed('heart-beat', `status ${res.status}`)
      this.apply({ kind: 'heartbeatFailed' })
    } catch (err) {
      if (this.state.kind === 'stopped') return
      this.failed('heart-beat', (err as Error).message)
      this.apply({ kind: 'heartbeatFailed' })
    }
  }

  private failed(what: string, why: string): void {
    const first = this.downSince === undefined
    if (first) this.downSince = Date.now()
    const level = first ? 'warn' : 'debug'
    this.o.log[level]({ nf: this.o.nfName, why }, `NRF ${what} failed; retrying with back-off (the NF keeps serving)`)
  }
}
