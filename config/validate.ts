/**
 * JSON schema of MvnoConfig (config/schema.ts), compiled once. A wrong value stops the start with
 * the field path and what was expected, e.g. `config error: udm.port: must be integer (got "abc")`.
 */
import { Ajv, type ErrorObject } from 'ajv'
import type { MvnoConfig } from './schema.ts'

const port = { type: 'integer', minimum: 0, maximum: 65535 }
const uri = { type: 'string', pattern: '^(http|https)://[^\\s/]+' }
const listen = (extra: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  required: ['port', ...required],
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    port,
    enabled: { type: 'boolean' },
    nfInstanceId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' },
    ...extra,
  },
})

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['plmn', 'snssais', 'dnns', 'dataDir', 'mongodb', 'sqlite', 'sbi', 'nrf', 'oauth2', 'peers', 'security', 'udr', 'udm', 'pcf', 'chf', 'bss', 'grpc', 'outbox', 'retention', 'log'],
  properties: {
    plmn: {
      type: 'object',
      required: ['mcc', 'mnc'],
      additionalProperties: false,
      properties: { mcc: { type: 'string', pattern: '^[0-9]{3}$' }, mnc: { type: 'string', pattern: '^[0-9]{2,3}$' } },
    },
    snssais: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['sst'],
        additionalProperties: false,
        properties: { sst: { type: 'integer', minimum: 0, maximum: 255 }, sd: { type: 'string', pattern: '^[A-Fa-f0-9]{6}$' } },
      },
    },
    dnns: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    dataDir: { type: 'string', minLength: 1 },
    mongodb: {
      type: 'object',
      additionalProperties: false,
      required: ['dbName'],
      properties: { uri: { type: 'string', pattern: '^mongodb(\\+srv)?://' }, dbName: { type: 'string', minLength: 1 } },
    },
    sqlite: {
      type: 'object',
      additionalProperties: false,
      required: ['synchronous'],
      properties: { synchronous: { enum: ['NORMAL', 'FULL'] } },
    },
    sbi: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'maxBodyBytes', 'clientTimeoutMs'],
      properties: {
        host: { type: 'string', minLength: 1 },
        advertiseHost: { type: 'string', minLength: 1 },
        tls: {
          type: 'object',
          required: ['cert', 'key'],
          additionalProperties: false,
          properties: { cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' } },
        },
        maxBodyBytes: { type: 'integer', minimum: 1024 },
        clientTimeoutMs: { type: 'integer', minimum: 10 },
      },
    },
    nrf: {
      type: 'object',
      additionalProperties: false,
      required: ['heartBeatTimer', 'oauth2'],
      properties: { uri, heartBeatTimer: { type: 'integer', minimum: 1 }, oauth2: { enum: ['auto', 'on', 'off'] } },
    },
    scp: { type: 'object', additionalProperties: false, required: ['uri'], properties: { uri } },
    oauth2: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled'],
      properties: { enabled: { type: 'boolean' }, nrfPublicKey: { type: 'string' } },
    },
    peers: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(['udr', 'udm', 'pcf', 'chf'].map((k) => [k, { type: 'array', items: uri }])),
    },
    security: {
      type: 'object',
      additionalProperties: false,
      required: ['kek'],
      properties: { kek: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
    },
    udr: listen(),
    udm: listen(
      {
        suciKeys: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'profile', 'privateKey'],
            additionalProperties: false,
            properties: { id: { type: 'integer', minimum: 0, maximum: 255 }, profile: { enum: ['A', 'B'] }, privateKey: { type: 'string', minLength: 1 } },
          },
        },
        sqnBatch: { type: 'integer', minimum: 1, maximum: 1024 },
        authSubscriptionCacheSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
        cryptoThreads: { type: 'integer', minimum: 0, maximum: 64 },
      },
      ['suciKeys', 'sqnBatch', 'authSubscriptionCacheSeconds', 'cryptoThreads'],
    ),
    pcf: listen(
      {
        defaults: {
          type: 'object',
          additionalProperties: false,
          required: ['sessAmbrUl', 'sessAmbrDl', 'fiveQi', 'arpPriorityLevel'],
          properties: {
            sessAmbrUl: { type: 'string', pattern: '^\\d+(\\.\\d+)? (bps|Kbps|Mbps|Gbps|Tbps)$' },
            sessAmbrDl: { type: 'string', pattern: '^\\d+(\\.\\d+)? (bps|Kbps|Mbps|Gbps|Tbps)$' },
            fiveQi: { type: 'integer', minimum: 1, maximum: 255 },
            arpPriorityLevel: { type: 'integer', minimum: 1, maximum: 15 },
            ratingGroup: { type: 'integer', minimum: 0 },
          },
        },
        subscriptionLingerSec: { type: 'integer', minimum: 0, maximum: 86400 },
        terminatedAssociationSec: { type: 'integer', minimum: 0, maximum: 30 * 86400 },
      },
      ['defaults'],
    ),
    chf: listen(
      {
        cdrDir: { type: 'string' },
        quotaValidityTime: { type: 'integer', minimum: 1 },
        defaultGrantVolume: { type: 'integer', minimum: 1, maximum: 2147483647 },
        volumeThresholdRate: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      },
      ['quotaValidityTime', 'defaultGrantVolume', 'volumeThresholdRate', 'currency'],
    ),
    bss: listen(
      {
        jwtSecret: { type: 'string', minLength: 16 },
        apiKeys: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['role'],
            additionalProperties: false,
            properties: { role: { enum: ['admin', 'care', 'selfcare'] }, subject: { type: 'string' } },
          },
        },
        taxRate: { type: 'number', minimum: 0, maximum: 1 },
        webhookUrl: { type: 'string', pattern: '^https?://' },
        smdpAddress: { type: 'string', minLength: 1 },
      },
      ['jwtSecret', 'apiKeys', 'taxRate'],
    ),
    grpc: { type: 'object', additionalProperties: false, required: ['port'], properties: { port, host: { type: 'string' } } },
    outbox: {
      type: 'object',
      additionalProperties: false,
      required: ['expiresInMs', 'pollMs'],
      properties: { expiresInMs: { type: 'integer', minimum: 1000 }, pollMs: { type: 'integer', minimum: 10 } },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      required: ['outboxDays', 'eventsDays', 'chargingSessionsDays', 'ratedUsageDays', 'sweepMinutes'],
      properties: {
        outboxDays: { type: 'number', minimum: 0 },
        eventsDays: { type: 'number', minimum: 0 },
        chargingSessionsDays: { type: 'number', minimum: 0 },
        ratedUsageDays: { type: 'number', minimum: 0 },
        sweepMinutes: { type: 'number', minimum: 0 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      required: ['level'],
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] } },
    },
  },
} as const

const ajv = new Ajv({ allErrors: true, strict: false })
const validate = ajv.compile(configSchema)

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`config error: ${problems.join('; ')}`)
    this.name = 'ConfigError'
  }
}

function describe(e: ErrorObject, value: unknown): string {
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)'
  if (e.keyword === 'required') return `${path === '(root)' ? '' : path + '.'}${(e.params as { missingProperty: string }).missingProperty}: is required`
  if (e.keyword === 'additionalProperties') return `${path === '(root)' ? '' : path + '.'}${(e.params as { additionalProperty: string }).additionalProperty}: unknown key`
  let expected = e.message ?? e.keyword
  if (e.keyword === 'enum') expected = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
  if (e.keyword === 'pattern') expected = `must match ${(e.params as { pattern: string }).pattern}`
  return `${path}: ${expected} (got ${JSON.stringify(value)})`
}

function valueAt(root: unknown, pointer: string): unknown {
  let v: any = root
  for (const seg of pointer.split('/').slice(1)) v = v?.[seg]
  return v
}

/** Throws ConfigError naming every wrong field; returns the config frozen. */
export function validateConfig(config: unknown): MvnoConfig {
  if (!validate(config)) {
    throw new ConfigError((validate.errors ?? []).map((e) => describe(e, valueAt(config, e.instancePath))))
  }
  return deepFreeze(config as MvnoConfig)
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}
