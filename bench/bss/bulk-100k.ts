/**
 * Bench: a bulk order of N subscribers (default 100,000) on the embedded SQLite store, through the
 * full saga against the real UDR (Nudr_DR over h2c) and the real CHF (gRPC AccountService), all in
 * this process on one store. Prints wall time, rows/s and peak RSS.
 *   npx tsx bench/bss/bulk-100k.ts [N] [concurrency]
 */
import * as grpc from '@grpc/grpc-js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBulkProvision } from '../../bss/bulk.ts'
import { createAccountClient, type AccountApi } from '../../bss/clients/chf.ts'
import type { UdrApi } from '../../bss/clients/udr.ts'
import { Inventory } from '../../bss/inventory.ts'
import { BssStore } from '../../bss/store.ts'
import { createChf } from '../../nf/chf/index.ts'
import { createUdr } from '../../nf/udr/index.ts'
import { startTestNf } from '../../test/helpers/nf.ts'
import { openTestStore } from '../../test/helpers/store.ts'

const N = Number(process.argv[2] ?? 100_000)
const CONC = Number(process.argv[3] ?? 32)
const K = '465b5ce8b199b49faa5f0a2ee238a6bc'
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf'

let peak = 0
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200)
sample.unref()

const FAKE = process.argv.includes('--fake')

async function main() {
  const store = await openTestStore()
  const udr = await startTestNf(FAKE ? (() => ({ name: 'udr', nfType: 'UDR', services: [] })) as never : createUdr, { name: 'udr', store, keepStore: true })
  const chf = FAKE ? undefined : await startTestNf(createChf, { name: 'chf', store, keepStore: true })
  const server = new grpc.Server()
  chf?.module.registerGrpc!(server)
  const port = chf ? await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p)))) : 0
  const s = new BssStore(store)
  await s.ensureIndexes()
  const now = new Date().toISOString()
  await s.offerings.insertOne({
    _id: 'lab', id: 'lab', href: '', '@type': 'ProductOffering', name: 'Lab', paymentType: 'prepaid', lifecycleStatus: 'Active', currency: 'EUR',
    openingBalance: 1000, allowances: [{ ratingGroup: 10, unit: 'VOLUME', amount: 1 << 30 }], tariffs: [{ ratingGroup: 10, unit: 'VOLUME', price: 1 }], roamingZones: [],
    policy: { normal: { ambrUl: '50 Mbps', ambrDl: '100 Mbps', fiveQi: 9 } }, version: 1, lastUpdate: now,
  } as never)
  const inv = new Inventory(s, udr.ctx.config.security.kek, () => new Date())
  await inv.createRange({ from: '4917000000000', to: String(4917000000000 + N + 1000) })
  const dir = mkdtempSync(join(tmpdir(), 'bss-bench-'))
  const file = join(dir, 'bulk.csv')
  const lines = ['planId,customerName,imsi,k,opc']
  for (let i = 1; i <= N; i++) lines.push(`lab,Lab UE ${i},99970${String(i).padStart(10, '0')},${K},${OPC}`)
  writeFileSync(file, lines.join('\n'))
  const config = { ...udr.ctx.config, peers: { udr: [udr.url] }, grpc: { host: '127.0.0.1', port } }
  const chfClient: AccountApi = FAKE
    ? ({ CreateAccount: async () => ({}), DeleteAccount: async () => ({}), close() {} } as unknown as AccountApi)
    : createAccountClient(`127.0.0.1:${port}`, { deadlineMs: 30_000 })
  const fakeUdr: UdrApi = { put: async () => {}, delete: async () => {}, exists: async () => false }
  const ctx = { ...udr.ctx, name: 'bss' as const, config, peers: { apiRoots: async () => [udr.url] } }
  const rss0 = process.memoryUsage().rss
  const t0 = Date.now()
  let last = 0
  const r = await runBulkProvision({
    file, store, config, ctx, chf: chfClient, concurrency: CONC, ...(FAKE ? { udr: fakeUdr } : {}),
    onProgress: (d, n) => {
      if (d - last >= Math.max(1000, n / 20) || d === n) {
        last = d
        process.stderr.write(`  ${d}/${n} ${((Date.now() - t0) / 1000).toFixed(1)} s rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`)
      }
    },
  })
  const ms = Date.now() - t0
  console.log(JSON.stringify({ mode: FAKE ? 'BSS only (no-op UDR/CHF clients)' : 'real UDR + CHF in process', rows: N, concurrency: CONC, completed: r.completed, failed: r.failed, seconds: +(ms / 1000).toFixed(1), rowsPerSecond: Math.round(N / (ms / 1000)), rssBeforeMiB: Math.round(rss0 / 2 ** 20), peakRssMiB: Math.round(peak / 2 ** 20), firstErrors: r.errors.slice(0, 3) }))
  const stepMs: Record<string, number[]> = {}
  for (const o of await s.orders.find({}, { limit: 2000 })) for (const st of o.saga) if (st.ms !== undefined) (stepMs[st.name] ??= []).push(st.ms)
  console.log('mean ms per saga step:', Object.fromEntries(Object.entries(stepMs).map(([k, v]) => [k, +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)])))
  chfClient.close?.()
  server.forceShutdown()
  await chf?.close()
  await udr.close()
  await store.close()
  process.exit(0)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
