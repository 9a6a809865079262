/**
 * `npm run demo`: the subscriber journey told as a story against the platform `npm start` runs in
 * another terminal (same configuration: pass the same --config and MVNO_* variables). The demo plays
 * the host network's AUSF, AMF and SMF; every step prints what was sent and what came back, and the
 * run ends with one line saying what was verified.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../../config/load.ts'
import { runJourney, JourneyCheckFailed } from './journey.ts'

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, host: { type: 'string' } } })
const config = loadConfig({ file: values.config })
const host = values.host ?? config.sbi.advertiseHost ?? (config.sbi.host === '0.0.0.0' ? '127.0.0.1' : config.sbi.host)
const scheme = config.sbi.tls ? 'https' : 'http'
const url = (port: number) => `${scheme}://${host}:${port}`
const targets = {
  bss: `http://${config.bss.host ?? host}:${config.bss.port}`,
  udm: url(config.udm.port),
  pcf: url(config.pcf.port),
  chf: url(config.chf.port),
  config,
  cdrDir: path.resolve(config.chf.cdrDir ?? path.join(config.dataDir, 'cdr')),
}

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s)
const started = Date.now()

try {
  const health = await fetch(`${targets.bss}/healthz`).catch(() => undefined)
  if (!health) {
    console.error(`No BSS at ${targets.bss}: start the platform first (npm start) with the same configuration.`)
    process.exit(2)
  }
  console.log(bold('open-mvno: one subscriber, from order to bill'))
  console.log(`BSS ${targets.bss} · UDM ${targets.udm} · PCF ${targets.pcf} · CHF ${targets.chf}; this demo plays the AUSF, AMF and SMF.`)
  const { verified } = await runJourney(targets, {
    chapter: (n, title) => console.log(`\n${bold(`${n}. ${title}`)}`),
    say: (line) => console.log(`   ${line}`),
    verified: (what) => console.log(`   ${green('✓')} ${what}`),
  })
  console.log(`\n${bold(`Verified ${verified.length} facts in ${((Date.now() - started) / 1000).toFixed(1)} s: order, Profile A attach with AKA, policy, charging to exhaustion and throttling, care credit, top-up, live upgrade, CDR and statement.`)}`)
} catch (err) {
  if (err instanceof JourneyCheckFailed) console.error(`\n✗ ${err.message}`)
  else console.error(`\n✗ ${(err as Error).stack ?? err}`)
  process.exit(1)
}
