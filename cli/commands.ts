/**
 * `mvno import`, `mvno provision`, `mvno bill-run`: one-shot commands that work on the configured
 * store (and, for the bill run and bulk orders, on a running platform's CHF over gRPC).
 */
import { parseArgs } from 'node:util'
import path from 'node:path'
import cliProgress from 'cli-progress'
import { loadConfig } from '../config/load.ts'
import { ConfigError } from '../config/validate.ts'
import { openStore } from '../store/index.ts'

function bar(label: string) {
  const b = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(done: number, total: number) {
      if (!started) {
        b.start(total, 0)
        started = true
      }
      b.setTotal(total)
      b.update(done)
    },
    stop: () => started && b.stop(),
  }
}

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { uri: { type: 'string' }, db: { type: 'string' }, config: { type: 'string', short: 'c' }, overwrite: { type: 'boolean' } },
  })
  if (positionals[0] !== 'open5gs') throw new ConfigError([`import: unknown source "${positionals[0] ?? ''}" (expected: open5gs)`])
  if (!values.uri) throw new ConfigError(['import open5gs: --uri mongodb://HOST[:PORT]/[DB] is required'])
  const config = loadConfig({ file: values.config })
  const store = await openStore(config)
  try {
    const { UdrStore } = await import('../nf/udr/store.ts')
    const { importOpen5gsSubscribers } = await import('../nf/udr/import-open5gs.ts')
    const udrStore = new UdrStore(store, { kek: config.security.kek })
    await udrStore.init()
    const r = await importOpen5gsSubscribers({ uri: values.uri, dbName: values.db, udrStore, servingPlmnId: config.plmn.mcc + config.plmn.mnc, overwrite: values.overwrite })
    console.log(`imported ${r.imported}, skipped ${r.skipped}, errors ${r.errors.length}`)
    for (const e of r.errors.slice(0, 20)) console.log(`  ${e.imsi ?? '?'}: ${e.error}`)
    return r.errors.length ? 1 : 0
  } finally {
    await store.close()
  }
}

export async function provisionCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string', short: 'f' },
      config: { type: 'string', short: 'c' },
      'batch-id': { type: 'string' },
      target: { type: 'string' },
      'target-uri': { type: 'string' },
    },
  })
  if (!values.file) throw new ConfigError(['provision: --file FILE (CSV or JSON) is required'])
  const target = values.target as 'open5gs' | 'free5gc' | 'network' | undefined
  if (target && !['open5gs', 'free5gc', 'network'].includes(target)) throw new ConfigError([`provision: --target must be network, open5gs or free5gc (got "${target}")`])
  if (target && target !== 'network' && !values['target-uri']) throw new ConfigError([`provision: --target ${target} needs --target-uri mongodb://HOST/DB (the lab's database)`])
  const config = loadConfig({ file: values.config })
  const bulk = await import('../bss/bulk.ts')
  const progress = bar('provisioning')
  try {
    const r = await bulk.runBulkProvisionCli({
      config,
      file: path.resolve(values.file),
      batchId: values['batch-id'],
      ...(target && target !== 'network' ? { target, targetUri: values['target-uri'] } : {}),
      onProgress: progress.update,
    })
    progress.stop()
    console.log(r.summary)
    return r.failed > 0 ? 1 : 0
  } finally {
    progress.stop()
  }
}

export async function billRunCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { cycle: { type: 'string' }, config: { type: 'string', short: 'c' }, pdf: { type: 'string' } } })
  const config = loadConfig({ file: values.config })
  const now = new Date()
  const cycle = values.cycle ?? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`
  const m = /^(\d{4})-(\d{2})$/.exec(cycle)
  if (!m) throw new ConfigError([`bill-run: --cycle must be YYYY-MM (got "${cycle}")`])
  const periodStart = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
  const periodEnd = new Date(Date.UTC(Number(m[1]), Number(m[2]), 1))
  const store = await openStore(config)
  const { runBillRun } = await import('../bss/bill-run.ts')
  const { createAccountClient } = await import('../bss/clients/chf.ts')
  const chf = createAccountClient(`${config.grpc.host ?? config.sbi.host}:${config.grpc.port}`, { deadlineMs: config.sbi.clientTimeoutMs })
  const progress = bar(`bill run ${cycle}`)
  try {
    const r = await runBillRun({ store, chf, periodStart, periodEnd, taxRate: config.bss.taxRate, onProgress: progress.update, pdfDir: values.pdf })
    progress.stop()
    console.log(`bill run ${r.runId}: ${r.subscribers} postpaid subscriptions, ${r.billed} billed, ${r.skipped} skipped, ${r.failed.length} failed, total ${r.totalAmount} (minor units), ${r.ms} ms`)
    for (const f of r.failed.slice(0, 20)) console.log(`  ${f.productId}: ${f.reason}`)
    return r.failed.length ? 1 : 0
  } finally {
    progress.stop()
    ;(chf as { close?: () => void }).close?.()
    await store.close()
  }
}
