/**
 * Bulk provisioning: a batch order file (CSV with a header, a JSON array / {rows:[…]}, or JSON lines;
 * up to 100,000 rows) turned into one new-subscription order per row, run through the order saga
 * (UDR over Nudr_DR + CHF over gRPC), with per-row results stored (`bss.bulkRow`) and written to
 * `<file>.results.csv`. Resumable: a re-run of the same file (same job id) skips the rows completed,
 * tries the failed ones again, and a row interrupted mid-saga resumes through its order's
 * Idempotency-Key (`bulk:<job>:<row>`).
 *
 * Row columns: planId (required); customerId, or customerName (a customer is created); optional
 * iccid / imsi / k (or ki) / opc (the SIM is imported first when not in stock), msisdn, simType,
 * openingBalance.
 *
 * Targets for labs with their own subscriber store: `open5gs` (MongoDB `subscribers` documents) and
 * `free5gc` (webconsole collections) write the UE straight to that database instead (rows need imsi,
 * k, opc; msisdn optional).
 */
import { createHash } from 'node:crypto'
import { createWriteStream, readFileSync } from 'node:fs'
import pino, { type Logger } from 'pino'
import type { MvnoConfig } from '../config/schema.ts'
import { createSbiClient } from '../nf/sbi/client.ts'
import { createEventSink } from '../nf/sbi/events.ts'
import type { NfContext, SbiClient } from '../nf/sbi/ports.ts'
import { databaseInUri, openMongoStore, openStore } from '../store/index.ts'
import type { DocumentStore } from '../store/port.ts'
import { createAccountClient, type AccountApi } from './clients/chf.ts'
import { createUdrClient, type UdrApi } from './clients/udr.ts'
import { Inventory } from './inventory.ts'
import { Orders } from './orders.ts'
import { BssStore } from './store.ts'
import { Open5gsWriter, writeFree5gc, type LabSubscriber } from './targets.ts'

export type BulkRow = Record<string, string | number | undefined>

export interface BulkOptions {
  file: string
  store: DocumentStore
  config: MvnoConfig
  /** 'network' (default): orders through the saga; 'open5gs' / 'free5gc': lab databases. */
  target?: 'network' | 'open5gs' | 'free5gc'
  /** MongoDB URI of the lab database (targets open5gs / free5gc). */
  targetUri?: string
  targetDb?: string
  /** Job id; default derived from the file's content (a re-run resumes). */
  batchId?: string
  onProgress?: (done: number, total: number) => void
  /** Rows in flight at once (default 16). */
  concurrency?: number
  /** Where the per-row results CSV goes (default `<file>.results.csv`; '' = none). */
  resultsFile?: string
  /** Network target dependencies (defaults: SBI client to the UDR peers, gRPC to the CHF). */
  udr?: UdrApi
  chf?: AccountApi
  ctx?: NfContext
  log?: Logger
  clock?: () => Date
}

export interface BulkResult {
  jobId: string
  total: number
  completed: number
  failed: number
  /** Rows already done by an earlier run of the same job. */
  skipped: number
  errors: { row: number; error: string }[]
  ms: number
  resultsFile?: string
  summary: string
}

export function parseBulkFile(text: string): BulkRow[] {
  const t = text.trimStart()
  if (t.startsWith('[') || t.startsWith('{"rows"') || t.startsWith('{ "rows"')) {
    const j = JSON.parse(t)
    const rows = Array.isArray(j) ? j : j.rows
    if (!Array.isArray(rows)) throw new Error('JSON bulk file: expected an array of rows or {rows:[…]}')
    return rows
  }
  if (t.startsWith('{')) return t.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l))
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'))
  if (!lines.length) return []
  const sep = lines[0]!.includes(';') ? ';' : ','
  const header = lines[0]!.split(sep).map((h) => h.trim().replace(/^"|"$/g, ''))
  return lines.slice(1).map((l) => {
    const cells = l.split(sep).map((c) => c.trim().replace(/^"|"$/g, ''))
    const row: BulkRow = {}
    header.forEach((h, i) => {
      if (cells[i] !== undefined && cells[i] !== '') row[h] = cells[i]
    })
    return row
  })
}

const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v))

export async function runBulkProvision(o: BulkOptions): Promise<BulkResult> {
  const t0 = Date.now()
  const text = readFileSync(o.file, 'utf8')
  const rows = parseBulkFile(text)
  if (rows.length > 100_000) throw new Error(`bulk file has ${rows.length} rows; the limit is 100,000`)
  const jobId = o.batchId ?? `bulk-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
  const clock = o.clock ?? (() => new Date())
  const log = o.log ?? pino({ level: 'warn' })
  const s = new BssStore(o.store)
  await s.ensureIndexes()
  const inv = new Inventory(s, o.config.security.kek, clock)
  const target = o.target ?? 'network'
  const total = rows.length
  await s.bulkJobs.replaceOne({ _id: jobId }, { _id: jobId, file: o.file, target, total, state: 'inProgress', startedAt: clock().toISOString() }, { upsert: true })

  let client: SbiClient | undefined
  let chf = o.chf
  let orders: Orders | undefined
  let o5: Open5gsWriter | undefined
  let f5: DocumentStore | undefined
  if (target === 'network') {
    let udr = o.udr
    if (!udr) {
      client = createSbiClient({ log, timeoutMs: o.config.sbi.clientTimeoutMs })
      const roots = o.config.peers.udr?.length ? o.config.peers.udr : [`http://${o.config.sbi.advertiseHost ?? o.config.sbi.host}:${o.config.udr.port}`]
      const ctx: NfContext = o.ctx ?? {
        name: 'bss',
        config: o.config,
        store: o.store,
        client,
        outbox: { enqueue: async () => '', drain: async () => {} },
        events: createEventSink(o.store, clock),
        peers: { apiRoots: async () => roots },
        log,
        clock,
        apiRoot: '',
      }
      udr = createUdrClient(ctx)
    }
    chf ??= createAccountClient(`${o.config.grpc.host ?? o.config.sbi.host}:${o.config.grpc.port}`, { deadlineMs: o.config.sbi.clientTimeoutMs })
    const chfApi = chf
    orders = new Orders({ s, inv, udr, chf: () => chfApi, config: o.config, clock, events: o.ctx?.events ?? createEventSink(o.store, clock), log })
  } else if (target === 'open5gs') {
    if (!o.targetUri) throw new Error('target open5gs needs targetUri (mongodb://…)')
    o5 = await Open5gsWriter.open(o.targetUri, o.targetDb ?? databaseInUri(o.targetUri) ?? 'open5gs')
  } else {
    if (!o.targetUri) throw new Error('target free5gc needs targetUri (mongodb://…)')
    f5 = await openMongoStore(o.targetUri, o.targetDb ?? databaseInUri(o.targetUri) ?? 'free5gc')
  }

  const plans = new Map<string, Awaited<ReturnType<typeof s.offerings.findOne>>>()
  const planOf = async (id: string) => {
    if (!plans.has(id)) plans.set(id, await s.offerings.findOne({ _id: id }))
    return plans.get(id)
  }
  const principal = { role: 'admin' as const, sub: `bulk:${jobId}` }

  const doRow = async (idx: number, attempt: number): Promise<{ status: 'completed' | 'failed'; orderId?: string; productId?: string; msisdn?: string; error?: string }> => {
    const r = rows[idx]!
    const rowNo = idx + 1
    const planId = str(r.planId)
    if (!planId) return { status: 'failed', error: 'planId is required' }
    const plan = await planOf(planId)
    if (!plan) return { status: 'failed', error: `productOffering ${planId} not found` }
    const imsi = str(r.imsi)
    const k = str(r.k) ?? str(r.ki) ?? str(r.KI) ?? str(r.K)
    const opc = str(r.opc) ?? str(r.OPC)
    if (target !== 'network') {
      if (!imsi || !k || !opc) return { status: 'failed', error: 'imsi, k and opc are required for this target' }
      const sub: LabSubscriber = { imsi, k, opc, plan, ...(str(r.msisdn) ? { msisdn: str(r.msisdn)! } : {}) }
      if (o5) await o5.write(o.config, sub)
      else await writeFree5gc(f5!, o.config, sub)
      return { status: 'completed', ...(sub.msisdn ? { msisdn: sub.msisdn } : {}) }
    }
    let customerId = str(r.customerId)
    if (!customerId) {
      const name = str(r.customerName)
      if (!name) return { status: 'failed', error: 'customerId or customerName is required' }
      customerId = `${jobId}-${rowNo}`
      await s.customers
        .insertOne({ _id: customerId, id: customerId, href: `/customerManagement/v4/customer/${customerId}`, '@type': 'Customer', name, status: 'Approved', createdAt: clock().toISOString(), ...(str(r.email) ? { email: str(r.email) } : {}) })
        .catch((e) => {
          if (e?.code !== 'DUPLICATE_KEY') throw e
        })
    }
    let iccid = str(r.iccid)
    if (imsi && k && opc) {
      iccid ??= `89${imsi.padStart(17, '0')}`.slice(0, 19)
      if (!(await s.sims.findOne({ _id: iccid }))) {
        const imp = await inv.importSims([{ iccid, imsi, k, opc }], { type: (str(r.simType) as 'esim') ?? 'physical', batch: jobId, ...(o.config.bss.smdpAddress ? { smdp: o.config.bss.smdpAddress } : {}) })
        if (imp.errors.length) return { status: 'failed', error: `SIM: ${imp.errors[0]!.field}: ${imp.errors[0]!.message}` }
      }
    }
    const item: Record<string, unknown> = { action: 'add', productOffering: { id: planId } }
    if (iccid) item.iccid = iccid
    if (str(r.msisdn)) item.msisdn = str(r.msisdn)
    if (str(r.simType)) item.simType = str(r.simType)
    if (str(r.openingBalance)) item.openingBalance = Number(r.openingBalance)
    try {
      const { order } = await orders!.submit({ customerId, productOrderItem: [item as never] }, principal, attempt > 1 ? `bulk:${jobId}:${rowNo}:${attempt}` : `bulk:${jobId}:${rowNo}`)
      if (order.state === 'completed') {
        const msisdn = order.saga.find((x) => x.name === 'allocate-msisdn')?.output?.msisdn as string | undefined
        return { status: 'completed', orderId: order.id, productId: order.product?.id ?? '', ...(msisdn ? { msisdn } : {}) }
      }
      return { status: 'failed', orderId: order.id, error: `${order.failure?.step}: ${order.failure?.reason}` }
    } catch (e) {
      return { status: 'failed', error: (e as Error).message }
    }
  }

  let done = 0
  let completed = 0
  let failed = 0
  let skipped = 0
  const errors: { row: number; error: string }[] = []
  o.onProgress?.(0, total)
  const CHUNK = 1000
  try {
    for (let base = 0; base < total; base += CHUNK) {
      const end = Math.min(total, base + CHUNK)
      // Completed rows are skipped; failed rows are tried again (a new attempt, so a new order).
      const prior = await s.bulkRows.find({ jobId, row: { $gte: base + 1, $lte: end } })
      const doneRows = new Set(prior.filter((p) => p.status === 'completed').map((p) => p.row as number))
      const attempts = new Map(prior.map((p) => [p.row as number, (p.attempt as number | undefined) ?? 1]))
      completed += doneRows.size
      skipped += doneRows.size
      done += doneRows.size
      let next = base
      const worker = async () => {
        while (next < end) {
          const idx = next++
          if (doneRows.has(idx + 1)) continue
          const attempt = attempts.has(idx + 1) ? attempts.get(idx + 1)! + 1 : 1
          let res
          try {
            res = await doRow(idx, attempt)
          } catch (e) {
            res = { status: 'failed' as const, error: (e as Error).message }
          }
          await s.bulkRows.replaceOne({ _id: `${jobId}:${idx + 1}` }, { _id: `${jobId}:${idx + 1}`, jobId, row: idx + 1, attempt, ...res }, { upsert: true })
          if (res.status === 'completed') completed++
          else {
            failed++
            if (errors.length < 100) errors.push({ row: idx + 1, error: res.error ?? 'failed' })
          }
          done++
          o.onProgress?.(done, total)
        }
      }
      await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker))
      o.onProgress?.(done, total)
    }
  } finally {
    await o5?.close()
    await f5?.close()
    await client?.close()
    if (!o.chf) chf?.close?.()
  }
  const resultsFile = o.resultsFile === undefined ? `${o.file}.results.csv` : o.resultsFile
  if (resultsFile) await writeResults(s, jobId, total, resultsFile)
  const ms = Date.now() - t0
  await s.bulkJobs.updateOne({ _id: jobId }, { $set: { state: 'completed', completed, failed, finishedAt: clock().toISOString(), ms } })
  const summary = `bulk ${jobId} (${target}): ${total} rows, ${completed} completed, ${failed} failed${skipped ? `, ${skipped} already done earlier` : ''}, ${(ms / 1000).toFixed(1)} s${resultsFile ? `; results in ${resultsFile}` : ''}`
  return { jobId, total, completed, failed, skipped, errors, ms, ...(resultsFile ? { resultsFile } : {}), summary }
}

async function writeResults(s: BssStore, jobId: string, total: number, file: string): Promise<void> {
  const out = createWriteStream(file)
  out.write('row,status,orderId,productId,msisdn,error\n')
  const esc = (v: unknown) => (v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))
  for (let base = 0; base < total; base += 5000) {
    const rows = await s.bulkRows.find({ jobId, row: { $gt: base, $lte: base + 5000 } }, { sort: { row: 1 } })
    for (const r of rows) out.write([r.row, r.status, r.orderId, r.productId, r.msisdn, r.error].map(esc).join(',') + '\n')
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())))
}

/** What `mvno provision --file` calls: opens the configured store, runs the job, closes. */
export async function runBulkProvisionCli(o: {
  config: MvnoConfig
  file: string
  batchId?: string | undefined
  target?: BulkOptions['target']
  targetUri?: string
  onProgress?: (done: number, total: number) => void
}): Promise<BulkResult> {
  const store = await openStore(o.config)
  try {
    return await runBulkProvision({
      file: o.file,
      store,
      config: o.config,
      ...(o.batchId ? { batchId: o.batchId } : {}),
      ...(o.target ? { target: o.target } : {}),
      ...(o.targetUri ? { targetUri: o.targetUri } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    })
  } finally {
    await store.close()
  }
}
