/**
 * The configuration of one open-mvno process: one YAML file (config/open-mvno.yaml documents every
 * key) plus MVNO_* environment overrides (config/load.ts). Validated with a JSON schema at start;
 * a wrong value stops the start with the field path and what was expected.
 */

export interface PlmnId {
  mcc: string
  mnc: string
}

export interface Snssai {
  sst: number
  sd?: string
}

export interface TlsConfig {
  /** PEM files. When set, the NF serves h2 over TLS (ALPN h2) instead of h2c. */
  cert: string
  key: string
  /** CA bundle used by our SBI client to trust peers (PEM file). */
  ca?: string
}

export interface NfListenConfig {
  /** Listen address; default `sbi.host`. */
  host?: string
  port: number
  /** Disable this NF in `mvno start` when false (default true). */
  enabled?: boolean
  /** Stable NF instance id (UUID v4). Generated and stored in the store when absent. */
  nfInstanceId?: string
}

export interface SuciKeyConfig {
  /** homeNetworkPublicKeyId as it appears in the SUCI (decimal). */
  id: number
  /** 'A' (X25519) or 'B' (secp256r1). */
  profile: 'A' | 'B'
  /** Private key: hex string, or path of a file with the hex (or a PEM). */
  privateKey: string
}

export interface PolicyDefaults {
  /** Session AMBR when the UDR has none, e.g. "100 Mbps". */
  sessAmbrUl: string
  sessAmbrDl: string
  fiveQi: number
  arpPriorityLevel: number
  /** Rating group charged when policy-data names none. */
  ratingGroup?: number
}

export interface MvnoConfig {
  /** The home PLMN (also the plmnList we register at the NRF). */
  plmn: PlmnId
  /** Slices we serve. */
  snssais: Snssai[]
  /** DNNs we serve. */
  dnns: string[]
  /** Folder of the embedded store (SQLite), CDR files, instance ids. MVNO_DATA_DIR. */
  dataDir: string
  /** When set, use MongoDB instead of the embedded store. MONGODB_URI. */
  mongodb: { uri?: string; dbName: string }
  /**
   * Embedded store durability. NORMAL (default): WAL commits survive a process crash (kill -9) but
   * the last ones may roll back on power loss or an OS crash; FULL: every commit is fsynced before
   * the reply, at ~3-4 ms per commit on the event loop. MVNO_SQLITE_SYNC.
   */
  sqlite: { synchronous: 'NORMAL' | 'FULL' }
  sbi: {
    /** Address every NF listens on. MVNO_SBI_HOST. */
    host: string
    /** Address peers use to reach us, when it differs from host (NAT, 0.0.0.0). MVNO_SBI_ADVERTISE. */
    advertiseHost?: string
    tls?: TlsConfig
    /** Max request body in bytes (413 beyond). */
    maxBodyBytes: number
    /** Client request timeout in ms. */
    clientTimeoutMs: number
  }
  nrf: {
    /** The NRF every NF registers with; none by default. MVNO_NRF_URI. */
    uri?: string
    /** Heart-beat timer we ask for (s); the NRF's answer wins. */
    heartBeatTimer: number
    /** Ask the NRF for OAuth2 tokens for our consumer calls (auto: when the NRF says so). */
    oauth2: 'auto' | 'on' | 'off'
  }
  /** SCP for indirect communication (Open5GS default). MVNO_SCP_URI. */
  scp?: { uri: string }
  /** Producer-side OAuth2 verification of incoming SBI requests. */
  oauth2: {
    enabled: boolean
    /** NRF public key or certificate (PEM file) that signs the access tokens. */
    nrfPublicKey?: string
  }
  /** Static peer apiRoots, used when there is no NRF (and as fallback). */
  peers: {
    udr?: string[]
    udm?: string[]
    pcf?: string[]
    chf?: string[]
  }
  security: {
    /** Key-encryption key for K/OPc at rest: 64 hex chars (AES-256-GCM). MVNO_KEK. */
    kek: string
  }
  udr: NfListenConfig
  udm: NfListenConfig & {
    suciKeys: SuciKeyConfig[]
    /**
     * SQN steps reserved per subscriber with one guarded write at the UDR (TS 33.102 Annex C: the HE may
     * generate vectors in batches); unused steps are skipped after a restart. 1 = one UDR write per vector.
     */
    sqnBatch: number
    /** Seconds a UDM keeps a subscriber's K/OPc/AMF/method in memory (never the SQN); 0 = no cache. */
    authSubscriptionCacheSeconds: number
    /** Worker threads for SUCI de-concealment (ECDH) and authentication vectors (Milenage + KDFs); 0 = the event loop. */
    cryptoThreads: number
  }
  pcf: NfListenConfig & {
    defaults: PolicyDefaults
    /** Keep a subscriber's UDR and CHF subscriptions this long after its last session ends (s); 0 = release at once. */
    subscriptionLingerSec?: number
    /**
     * An SM policy association the PCF terminated (subscriber barred or gone) that the SMF has not deleted
     * this long after (s) is deleted by the PCF itself (free5GC's SMF answers /terminate with 501 and never
     * deletes); 0 = keep until the SMF deletes it.
     */
    terminatedAssociationSec?: number
  }
  chf: NfListenConfig & {
    /** Folder of CHF-CDR files (JSON lines, TS 32.297 names). */
    cdrDir?: string
    /** Quota validity time granted, seconds. */
    quotaValidityTime: number
    /** Default volume granted per request when the SMF asks for less or nothing, bytes. */
    defaultGrantVolume: number
    /** Threshold as a fraction of the grant. */
    volumeThresholdRate: number
    /** Currency of balances (ISO 4217). */
    currency: string
  }
  bss: NfListenConfig & {
    /** HMAC secret or PEM public key for BSS bearer JWTs. MVNO_BSS_JWT_SECRET. */
    jwtSecret: string
    /** Static API keys: key → role. */
    apiKeys: Record<string, { role: 'admin' | 'care' | 'selfcare'; subject?: string }>
    /** Tax rate applied on invoices (0.2 = 20 %). */
    taxRate: number
    /** Webhook the BSS POSTs notifications (SMS/email, TMF681) to over HTTP/1.1, retried; none = kept pending. */
    webhookUrl?: string
    /** SM-DP+ address for eSIM activation codes (LPA:1$<smdp>$<matchingId>). */
    smdpAddress?: string
  }
  grpc: {
    /** gRPC AccountService (CHF) and EventFeed; 0 disables. */
    port: number
    host?: string
  }
  outbox: {
    /** Give up a notification after this many ms. */
    expiresInMs: number
    /** Poll interval for due retries. */
    pollMs: number
  }
  /** Days each kind of record is kept before the retention sweeper deletes it (nf/sbi/retention.ts); 0 = for ever. */
  retention: {
    /** Outbox records no longer pending (delivered, rejected, expired, superseded). */
    outboxDays: number
    /** Domain events (the EventFeed's history and the BSS care timeline). */
    eventsDays: number
    /** CHF charging sessions closed (their CDRs are in the CDR files), counted from the close. */
    chargingSessionsDays: number
    /** Rated usage rows (usage history, bill runs: keep past the longest billing period you re-run). */
    ratedUsageDays: number
    /** Minutes between sweeps (the first runs a minute after start); 0 = no sweeper. */
    sweepMinutes: number
  }
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' }
}
