/**
 * Loads the configuration: built-in defaults ← YAML file (--config, or MVNO_CONFIG) ← MVNO_*
 * environment overrides, then validates (config/validate.ts). Documented example:
 * config/open-mvno.yaml.
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import type { MvnoConfig } from './schema.ts'
import { defaultConfig } from './defaults.ts'
import { ConfigError, validateConfig } from './validate.ts'

/** Environment variables we read, and where each goes. Names are part of the public interface. */
export const ENV_OVERRIDES: Array<{ env: string; path: string; type: 'string' | 'int' | 'bool' | 'list' }> = [
  { env: 'MVNO_DATA_DIR', path: 'dataDir', type: 'string' },
  { env: 'MONGODB_URI', path: 'mongodb.uri', type: 'string' },
  { env: 'MVNO_MONGODB_DB', path: 'mongodb.dbName', type: 'string' },
  { env: 'MVNO_SQLITE_SYNC', path: 'sqlite.synchronous', type: 'string' },
  { env: 'MVNO_NRF_URI', path: 'nrf.uri', type: 'string' },
  { env: 'MVNO_SCP_URI', path: 'scp.uri', type: 'string' },
  { env: 'MVNO_SBI_HOST', path: 'sbi.host', type: 'string' },
  { env: 'MVNO_SBI_ADVERTISE', path: 'sbi.advertiseHost', type: 'string' },
  { env: 'MVNO_KEK', path: 'security.kek', type: 'string' },
  { env: 'MVNO_BSS_JWT_SECRET', path: 'bss.jwtSecret', type: 'string' },
  { env: 'MVNO_LOG_LEVEL', path: 'log.level', type: 'string' },
  { env: 'MVNO_OAUTH2', path: 'oauth2.enabled', type: 'bool' },
  { env: 'MVNO_PLMN_MCC', path: 'plmn.mcc', type: 'string' },
  { env: 'MVNO_PLMN_MNC', path: 'plmn.mnc', type: 'string' },
  { env: 'MVNO_UDR_PORT', path: 'udr.port', type: 'int' },
  { env: 'MVNO_UDM_PORT', path: 'udm.port', type: 'int' },
  { env: 'MVNO_PCF_PORT', path: 'pcf.port', type: 'int' },
  { env: 'MVNO_CHF_PORT', path: 'chf.port', type: 'int' },
  { env: 'MVNO_BSS_PORT', path: 'bss.port', type: 'int' },
  { env: 'MVNO_GRPC_PORT', path: 'grpc.port', type: 'int' },
  { env: 'MVNO_PEERS_UDR', path: 'peers.udr', type: 'list' },
  { env: 'MVNO_PEERS_CHF', path: 'peers.chf', type: 'list' },
  { env: 'MVNO_PEERS_PCF', path: 'peers.pcf', type: 'list' },
  { env: 'MVNO_PEERS_UDM', path: 'peers.udm', type: 'list' },
]

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}

/** Deep merge for configuration: objects merge key by key, anything else (arrays included) replaces. */
export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? mergeDeep(out[k] as Record<string, unknown>, v) : v
  return out
}

function setPath(o: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.')
  let cur = o
  for (const k of keys.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {}
    cur = cur[k] as Record<string, unknown>
  }
  cur[keys[keys.length - 1]] = value
}

export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): MvnoConfig {
  const env = opts.env ?? process.env
  let config = defaultConfig() as unknown as Record<string, unknown>
  const file = opts.file ?? env.MVNO_CONFIG
  if (file) {
    let parsed: unknown
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ConfigError([`${file}: ${(err as Error).message}`])
    }
    if (parsed != null && !isObject(parsed)) throw new ConfigError([`${file}: must be a YAML mapping`])
    if (parsed) config = mergeDeep(config, parsed)
  }
  const problems: string[] = []
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.env]
    if (raw === undefined || raw === '') continue
    let value: unknown = raw
    if (o.type === 'int') {
      if (!/^\d+$/.test(raw)) {
        problems.push(`${o.path} (from ${o.env}): must be an integer (got "${raw}")`)
        continue
      }
      value = Number(raw)
    } else if (o.type === 'bool') {
      value = /^(1|true|yes|on)$/i.test(raw)
    } else if (o.type === 'list') {
      value = raw.split(',').map((s) => s.trim()).filter(Boolean)
    }
    setPath(config, o.path, value)
  }
  if (problems.length) throw new ConfigError(problems)
  return validateConfig(config)
}
