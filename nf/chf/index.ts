/**
 * The CHF: Nchf_ConvergedCharging (TS 32.291), Nchf_SpendingLimitControl (TS 29.594), the ABMF and
 * CDR files, and the gRPC AccountService. Wires the rooms, nothing else.
 */
import { join } from 'node:path'
import type { NfContext, NfModule } from '../sbi/ports.ts'
import { every, type Periodic } from '../sbi/periodic.ts'
import { AccountService } from './accounts.ts'
import { convergedChargingHandlers } from './api/converged-charging.ts'
import { spendingLimitHandlers } from './api/spending-limit.ts'
import { CdrWriter } from './cdr.ts'
import { ChargingService } from './charging.ts'
import type { SessionSettings } from './domain/session.ts'
import { registerAccountService } from './grpc/account-service.ts'
import { SpendingLimitService } from './spending-limit.ts'
import { ChfStore, chfRetention } from './store.ts'
import { daysToMs } from '../sbi/retention.ts'

/** A session with no request for a day is closed (its SMF is gone) and gets its final CDR. */
const STALE_SESSION_MS = 24 * 3600_000

export interface ChfModule extends NfModule {
  charging: ChargingService
  accounts: AccountService
  spendingLimit: SpendingLimitService
  cdr: CdrWriter
  chfStore: ChfStore
}

export function chfSettings(ctx: NfContext): SessionSettings {
  const c = ctx.config.chf
  return {
    quotaValidityTime: c.quotaValidityTime,
    thresholdRate: c.volumeThresholdRate,
    defaultGrant: { VOLUME: c.defaultGrantVolume, TIME: 600, EVENTS: 1 },
    offlineThreshold: c.defaultGrantVolume,
    partialVolume: 512 * 1024 * 1024,
    partialTime: 3600,
    expiryGrace: 60,
    nodeId: c.nfInstanceId ?? 'chf',
  }
}

export function createChf(ctx: NfContext): ChfModule {
  const store = new ChfStore(ctx.store)
  const settings = chfSettings(ctx)
  const log = ctx.log
  const cdr = new CdrWriter({ dir: ctx.config.chf.cdrDir ?? join(ctx.config.dataDir, 'cdr'), nodeId: settings.nodeId, store, clock: ctx.clock, log })
  const spendingLimit = new SpendingLimitService({ store, outbox: ctx.outbox, clock: ctx.clock, events: ctx.events })
  const charging = new ChargingService({
    store,
    settings,
    homePlmns: [`${ctx.config.plmn.mcc}${ctx.config.plmn.mnc}`],
    clock: ctx.clock,
    log,
    events: ctx.events,
    outbox: ctx.outbox,
    onAccountChanged: async (supi) => void (await spendingLimit.reevaluate(supi)),
    onCdrPending: async (ref) => void (await cdr.flush(ref)),
  })
  const accounts = new AccountService({
    store,
    clock: ctx.clock,
    log,
    events: ctx.events,
    defaultCurrency: ctx.config.chf.currency,
    onChanged: async (supi, what) => {
      if (what === 'delete') {
        await charging.abortCharging(supi)
        await spendingLimit.terminate(supi)
        return
      }
      await spendingLimit.reevaluate(supi)
      if (what === 'bar') await charging.abortCharging(supi)
      else if (what === 'plan') await charging.reauthorize(supi, undefined, true) // re-rated at once (proto ChangePlan)
      else if (what === 'topup' || what === 'bundle' || what === 'unbar' || what === 'adjust') await charging.reauthorize(supi)
    },
  })
  let sweeper: Periodic | undefined
  return {
    name: 'chf',
    nfType: 'CHF',
    charging,
    accounts,
    spendingLimit,
    cdr,
    chfStore: store,
    profileInfo: { chfInfo: {} },
    retention: chfRetention(daysToMs(ctx.config.retention?.chargingSessionsDays), daysToMs(ctx.config.retention?.ratedUsageDays)),
    services: [
      { name: 'nchf-convergedcharging', spec: 'nchf-convergedcharging.yaml', handlers: convergedChargingHandlers(charging, store) },
      { name: 'nchf-spendinglimitcontrol', spec: 'nchf-spendinglimitcontrol.yaml', handlers: spendingLimitHandlers(spendingLimit) },
    ],
    async start() {
      await store.init()
      const rolled = await charging.reconcile()
      const flushed = await cdr.start()
      if (rolled || flushed) log.info({ rolled, flushed }, 'CHF recovered pending charging ops and CDRs')
      sweeper = every(
        10_000,
        () => Promise.all([charging.expireReservations(), accounts.renewBundles(), charging.closeStaleSessions(STALE_SESSION_MS)]),
        (err) => log.warn({ err }, 'reservation/bundle sweeper failed'),
      )
    },
    async stop() {
      await sweeper?.stop()
      cdr.close()
    },
    registerGrpc(server) {
      registerAccountService(server, accounts)
    },
  }
}
