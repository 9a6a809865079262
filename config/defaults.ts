import type { MvnoConfig } from './schema.ts'

/** Built-in defaults: what `mvno start` uses on a fresh machine with no configuration. */
export function defaultConfig(): MvnoConfig {
  return {
    plmn: { mcc: '999', mnc: '70' },
    snssais: [{ sst: 1, sd: '010203' }, { sst: 1 }],
    dnns: ['internet'],
    dataDir: './data',
    mongodb: { dbName: 'open-mvno' },
    sqlite: { synchronous: 'NORMAL' },
    sbi: { host: '127.0.0.1', maxBodyBytes: 1024 * 1024, clientTimeoutMs: 5000 },
    nrf: { heartBeatTimer: 10, oauth2: 'auto' },
    oauth2: { enabled: false },
    peers: {},
    // A fixed development KEK so a fresh clone starts; production sets MVNO_KEK (config/load.ts warns).
    security: { kek: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' },
    udr: { port: 29504 },
    udm: {
      port: 29503,
      // The TS 33.501 Annex C.4 test keys (published, so NOT secret): what UERANSIM and the free5GC and
      // Open5GS sample configs use, so a lab works out of the box. Replace them in production.
      suciKeys: [
        { id: 1, profile: 'A', privateKey: 'c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d' },
        { id: 2, profile: 'B', privateKey: 'f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda' },
      ],
      sqnBatch: 32,
      authSubscriptionCacheSeconds: 30,
      cryptoThreads: 1,
    },
    pcf: {
      port: 29507,
      defaults: { sessAmbrUl: '100 Mbps', sessAmbrDl: '200 Mbps', fiveQi: 9, arpPriorityLevel: 8, ratingGroup: 10 },
      subscriptionLingerSec: 300,
      terminatedAssociationSec: 300,
    },
    chf: {
      port: 29594,
      quotaValidityTime: 3600,
      defaultGrantVolume: 10 * 1024 * 1024,
      volumeThresholdRate: 0.8,
      currency: 'EUR',
    },
    bss: { port: 8080, jwtSecret: 'dev-only-bss-secret-change-me', apiKeys: {}, taxRate: 0.2 },
    grpc: { port: 50051, host: '127.0.0.1' },
    outbox: { expiresInMs: 3600_000, pollMs: 500 },
    retention: { outboxDays: 7, eventsDays: 90, chargingSessionsDays: 31, ratedUsageDays: 400, sweepMinutes: 60 },
    log: { level: 'info' },
  }
}
