/** Shared fixtures for the CHF tests: a plan, settings, stub sinks, a service bundle over a test store. */
import pino from 'pino'
import type { DocumentStore } from '../../store/port.ts'
import { openTestStore, type StoreKind } from '../helpers/store.ts'
import type { EventSink, Outbox, OutboxNotification, DomainEvent } from '../../nf/sbi/ports.ts'
import { ChfStore } from '../../nf/chf/store.ts'
import { ChargingService } from '../../nf/chf/charging.ts'
import { AccountService, type PlanInput } from '../../nf/chf/accounts.ts'
import type { SessionSettings } from '../../nf/chf/domain/session.ts'

export const MB = 1_048_576

export const PLAN: PlanInput = {
  planId: 'prepaid-s',
  paymentType: 'PREPAID',
  finalUnitAction: 'TERMINATE',
  tariffs: [
    { ratingGroup: 1, unit: 'VOLUME', price: 10, unitSize: MB },
    { ratingGroup: 2, unit: 'VOLUME', price: 5, unitSize: MB },
    { ratingGroup: 3, unit: 'EVENTS', price: 7, unitSize: 1 },
  ],
}

export const SETTINGS: SessionSettings = {
  quotaValidityTime: 3600,
  thresholdRate: 0.8,
  defaultGrant: { VOLUME: 2 * MB, TIME: 600, EVENTS: 1 },
  offlineThreshold: 10 * MB,
  partialVolume: 1024 * MB,
  partialTime: 86_400,
  expiryGrace: 30,
  nodeId: 'test-chf',
}

export function stubs() {
  const sent: OutboxNotification[] = []
  const emitted: DomainEvent[] = []
  const outbox: Outbox = { enqueue: async (n) => (sent.push(n), String(sent.length)), drain: async () => {} }
  const events: EventSink = { emit: async (_nf, e) => void emitted.push(e) }
  return { sent, emitted, outbox, events }
}

export async function chfServices(store: DocumentStore, clock: () => Date = () => new Date()) {
  const s = stubs()
  const chf = new ChfStore(store)
  await chf.init()
  const log = pino({ level: 'silent' })
  const charging = new ChargingService({ store: chf, settings: SETTINGS, homePlmns: ['00101'], clock, log, events: s.events, outbox: s.outbox })
  const accounts = new AccountService({ store: chf, clock, log, events: s.events, defaultCurrency: 'EUR' })
  return { ...s, chf, charging, accounts }
}

/**
 * A fresh store of `kind`, a clock the test moves (`now.t`, starting at `t0`) and the CHF services over
 * them; the store is closed after `f`.
 */
export async function withChfServices(
  t0: number,
  f: (t: { store: DocumentStore; now: { t: number }; services: Awaited<ReturnType<typeof chfServices>> }) => Promise<void>,
  kind: StoreKind = 'sqlite',
): Promise<void> {
  const store = await openTestStore(kind)
  const now = { t: t0 }
  try {
    await f({ store, now, services: await chfServices(store, () => new Date(now.t)) })
  } finally {
    await store.close()
  }
}

/** free5GC SMF envelope (INTEROP §1.3): create without multipleUnitUsage, isn always 0. */
export function f5Create(supi: string, smContextRef = 'urn:uuid:7c3c1f4e-1b7a-4c55-9d6e-1f2a3b4c5d6e', notifyBase = 'http://127.0.0.1:1') {
  return {
    subscriberIdentifier: supi,
    chargingId: 1,
    nfConsumerIdentification: { nodeFunctionality: 'SMF', nFName: '8b7e1a52-8f43-4c0e-9d2b-2b6f1b1f3c11', nFIPv4Address: '127.0.0.2' },
    invocationTimeStamp: '2026-11-29T09:00:00.000000001Z',
    invocationSequenceNumber: 0,
    notifyUri: `${notifyBase}/nsmf-callback/notify_${smContextRef}`,
    pDUSessionChargingInformation: {
      chargingId: 1,
      userInformation: { servedGPSI: 'msisdn-0900000000', servedPEI: 'imeisv-4370816125816151' },
      pduSessionInformation: {
        pduSessionID: 1,
        networkSlicingInfo: { sNSSAI: { sst: 1, sd: '010203' } },
        pduType: 'IPV4',
        servingNetworkFunctionID: { servingNetworkFunctionInformation: { nodeFunctionality: 'AMF' } },
        dnnId: 'internet',
      },
    },
  }
}

export const UPF_ID = '5f1a6e0e-7a3b-4b8e-9a51-0c2d3e4f5a6b'

/** free5GC update: one MultipleUnitUsage per rating group, online, requestedUnit = 1000 by default config. */
export function f5Update(supi: string, usage: Array<{ rg: number; total?: number; ts?: string; requested?: number; trigger?: string; offline?: boolean }>) {
  return {
    ...f5Create(supi),
    multipleUnitUsage: usage.map((u) => ({
      ratingGroup: u.rg,
      uPFID: UPF_ID,
      ...(u.offline ? {} : { requestedUnit: { totalVolume: u.requested ?? 1000, uplinkVolume: u.requested ?? 1000, downlinkVolume: u.requested ?? 1000 } }),
      usedUnitContainer: u.total === undefined ? [] : [{
        quotaManagementIndicator: u.offline ? 'OFFLINE_CHARGING' : 'ONLINE_CHARGING',
        triggers: [{ triggerType: u.trigger ?? 'QUOTA_EXHAUSTED', triggerCategory: 'IMMEDIATE_REPORT' }],
        triggerTimestamp: u.ts ?? new Date().toISOString(),
        uplinkVolume: Math.floor(u.total / 2),
        downlinkVolume: u.total - Math.floor(u.total / 2),
        totalVolume: u.total,
      }],
    })),
  }
}
