/**
 * Bench: the postpaid bill run over N subscriptions (default 10,000) with usage, on the embedded
 * SQLite store; rated usage comes over gRPC from an in-memory AccountService (the test double in
 * test/bss/harness.ts), 5 records per subscriber. Prints wall time and peak RSS.
 *   npx tsx bench/bss/bill-run-10k.ts [N] [--pdf DIR]
 */
import { runBillRun } from '../../bss/bill-run.ts'
import { createAccountClient } from '../../bss/clients/chf.ts'
import { BssStore, type ProductDoc } from '../../bss/store.ts'
import { openTestStore } from '../../test/helpers/store.ts'
import { startFakeChf, POSTPAID_PLAN } from '../../test/bss/harness.ts'

const N = Number(process.argv[2] ?? 10_000)
const pdfIdx = process.argv.indexOf('--pdf')
const pdfDir = pdfIdx > 0 ? process.argv[pdfIdx + 1] : undefined
let peak = 0
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100)
sample.unref()

async function main() {
  const store = await openTestStore()
  const s = new BssStore(store)
  await s.ensureIndexes()
  const chf = await startFakeChf()
  const plan = { ...POSTPAID_PLAN, _id: POSTPAID_PLAN.id, href: '', '@type': 'ProductOffering', lifecycleStatus: 'Active', roamingZones: [], version: 1, lastUpdate: '' } as never
  const t0 = Date.now()
  for (let i = 0; i < N; i++) {
    const id = `p-${String(i).padStart(6, '0')}`
    const supi = `imsi-99970${String(i).padStart(10, '0')}`
    const p: ProductDoc = {
      _id: id, id, href: `/productInventory/v4/product/${id}`, '@type': 'Product', name: 'Postpaid 50 GB', status: 'active', customerId: `c-${i}`,
      productOffering: { id: 'postpaid-50', href: '', name: 'Postpaid 50 GB' }, paymentType: 'postpaid', supi, gpsi: `msisdn-49170${i}`, msisdn: `49170${i}`,
      iccid: `89${i}`, simType: 'physical', plan: { offeringId: 'postpaid-50', version: 1, offering: plan }, startDate: '2026-10-01T00:00:00.000Z', orderIds: [],
    }
    await s.products.insertOne(p)
    chf.usage.set(supi, Array.from({ length: 5 }, (_, k) => ({
      id: `${id}-${k}`, supi, ratingGroup: k % 2 ? 10 : 20, chargingDataRef: 'r', volumeUplink: 0, volumeDownlink: 0, totalVolume: 50 * 1048576, time: k % 2 ? 0 : 120, events: 0,
      bundleUnits: 0, amount: k === 4 ? 37 : 0, currency: 'EUR', ts: `2026-12-${String(3 + k).padStart(2, '0')}T10:00:00.000Z`, zone: '',
    })))
  }
  console.error(`seeded ${N} postpaid subscriptions in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const client = createAccountClient(chf.address, { deadlineMs: 30_000 })
  const rss0 = process.memoryUsage().rss
  const t1 = Date.now()
  let last = 0
  const r = await runBillRun({
    store, chf: client, periodStart: new Date('2026-12-01T00:00:00Z'), periodEnd: new Date('2027-01-01T00:00:00Z'), taxRate: 0.2, ...(pdfDir ? { pdfDir } : {}),
    onProgress: (d, n) => {
      if (d - last >= n / 10 || d === n) {
        last = d
        console.error(`  ${d}/${n} ${((Date.now() - t1) / 1000).toFixed(1)} s`)
      }
    },
  })
  const ms = Date.now() - t1
  console.log(JSON.stringify({ subscriptions: N, billed: r.billed, failed: r.failed.length, pdf: !!pdfDir, seconds: +(ms / 1000).toFixed(1), billsPerSecond: Math.round(N / (ms / 1000)), rssBeforeMiB: Math.round(rss0 / 2 ** 20), peakRssMiB: Math.round(peak / 2 ** 20), totalAmount: r.totalAmount }))
  client.close?.()
  chf.close()
  await store.close()
  process.exit(0)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
