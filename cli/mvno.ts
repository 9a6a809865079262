#!/usr/bin/env -S npx tsx
/**
 * The `mvno` command.
 *   mvno start [--config FILE] [--nf udr,udm,pcf,chf,bss]
 *   mvno import open5gs --uri mongodb://… [--db open5gs]
 *   mvno provision --file subscribers.csv
 *   mvno bill-run [--cycle YYYY-MM]
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load.ts'
import { ConfigError } from '../config/validate.ts'
import { ALL_NFS, startPlatform } from './platform.ts'
import type { NfName } from '../nf/sbi/ports.ts'

const USAGE = `usage:
  mvno start [--config FILE] [--nf udr,udm,pcf,chf,bss]
  mvno import open5gs --uri MONGODB_URI [--db open5gs] [--config FILE]
  mvno provision --file FILE [--target network|open5gs|free5gc --target-uri MONGODB_URI] [--config FILE]
  mvno bill-run [--cycle YYYY-MM] [--config FILE]`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start':
      return start(rest)
    case 'import':
      return (await import('./commands.ts')).importCommand(rest)
    case 'provision':
      return (await import('./commands.ts')).provisionCommand(rest)
    case 'bill-run':
      return (await import('./commands.ts')).billRunCommand(rest)
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE)
      return command ? 0 : 2
    default:
      console.error(`mvno: unknown command "${command}"\n${USAGE}`)
      return 2
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, nf: { type: 'string' } } })
  const config = loadConfig({ file: values.config })
  const nfs = values.nf ? (values.nf.split(',').map((s) => s.trim()) as NfName[]) : ALL_NFS
  const unknown = nfs.filter((n) => !ALL_NFS.includes(n))
  if (unknown.length) throw new ConfigError([`--nf: unknown NF ${unknown.join(', ')} (expected some of ${ALL_NFS.join(',')})`])
  const platform = await startPlatform({ config, nfs })
  for (const nf of platform.nfs) console.log(`${nf.name} ${nf.url}`)
  if (platform.grpcAddress) console.log(`grpc ${platform.grpcAddress}`)
  platform.log.info({ nfs: platform.nfs, store: platform.store.kind }, 'open-mvno started')
  await new Promise<void>((resolve) => {
    let stopping = false
    const onSignal = (sig: string) => {
      if (stopping) return
      stopping = true
      platform.log.info({ signal: sig }, 'stopping: finishing in-flight requests, deregistering from the NRF')
      platform
        .stop()
        .catch((err) => platform.log.error({ err }, 'stop failed'))
        .finally(resolve)
    }
    process.once('SIGINT', () => onSignal('SIGINT'))
    process.once('SIGTERM', () => onSignal('SIGTERM'))
  })
  return 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message)
    else console.error(`mvno: ${(err as Error).message}`)
    process.exit(err instanceof ConfigError ? 2 : 1)
  },
)
