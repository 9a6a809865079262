/**
 * The postpaid bill run (TMF678 customerBill) for one cycle: per postpaid subscription, the recurring
 * fee (prorated when the subscription started or ended inside the cycle), usage beyond the allowance
 * (the CHF's rated usage amounts), BSS charges and credits (plan-change proration, care adjustments),
 * then tax (config.bss.taxRate). One bill per (product, cycle): a re-run skips bills already made, so
 * a crashed run resumes. `mvno bill-run` drives it with a progress bar via onProgress.
 */
import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import PDFDocument from 'pdfkit'
import type { DocumentStore } from '../store/port.ts'
import type { AccountApi, RatedUsage } from './clients/chf.ts'
import { BssStore, type ProductDoc } from './store.ts'

export const BILL_PATH = '/customerBillManagement/v4/customerBill'

export interface BillRunOptions {
  store: DocumentStore
  /** The CHF's AccountService (rated usage). */
  chf: AccountApi
  periodStart: Date
  periodEnd: Date
  taxRate: number
  clock?: () => Date
  onProgress?: (done: number, total: number) => void
  /** Also write each invoice's PDF into this folder. */
  pdfDir?: string
  /** Subscriptions handled concurrently (default 16). */
  concurrency?: number
}

export interface BillRunResult {
  runId: string
  subscribers: number
  billed: number
  skipped: number
  failed: { productId: string; reason: string }[]
  totalAmount: number
  ms: number
}

export interface BillLine {
  kind: 'recurring' | 'usage' | 'proration' | 'adjustment' | 'other'
  description: string
  amount: number
  ratingGroup?: number
  quantity?: number
}

async function allUsage(chf: AccountApi, supi: string, from: string, to: string): Promise<RatedUsage[]> {
  const out: RatedUsage[] = []
  let pageToken = ''
  for (let i = 0; i < 1000; i++) {
    const page = await chf.ListRatedUsage({ supi, from, to, pageSize: 10_000, pageToken })
    out.push(...page.records)
    if (!page.nextPageToken) break
    pageToken = page.nextPageToken
  }
  return out
}

export function billId(productId: string, periodStart: Date): string {
  return `${productId}:${periodStart.toISOString().slice(0, 10)}`
}

export async function runBillRun(opts: BillRunOptions): Promise<BillRunResult> {
  const t0 = Date.now()
  const clock = opts.clock ?? (() => new Date())
  const s = new BssStore(opts.store)
  await s.ensureIndexes()
  const from = opts.periodStart.toISOString()
  const to = opts.periodEnd.toISOString()
  const runId = `run-${from.slice(0, 10)}-${to.slice(0, 10)}`
  const filter = { paymentType: 'postpaid', startDate: { $lt: to } }
  const candidates = (await s.products.find(filter, { sort: { _id: 1 } })).filter((p) => p.status !== 'terminated' || (p.terminationDate ?? '') >= from)
  const total = candidates.length
  let done = 0
  let billed = 0
  let skipped = 0
  let totalAmount = 0
  const failed: { productId: string; reason: string }[] = []
  await s.billRuns.replaceOne({ _id: runId }, { _id: runId, id: runId, periodStart: from, periodEnd: to, state: 'inProgress', startedAt: clock().toISOString(), total }, { upsert: true })
  opts.onProgress?.(0, total)
  if (opts.pdfDir) mkdirSync(opts.pdfDir, { recursive: true })

  const one = async (p: ProductDoc) => {
    const id = billId(p.id, opts.periodStart)
    if (await s.bills.findOne({ _id: id })) {
      skipped++
      return
    }
    const usage = await allUsage(opts.chf, p.supi, from, to)
    const charges = await s.charges.find({ productId: p.id, ts: { $gte: from, $lt: to } })
    const bill = buildBill({ product: p, periodStart: opts.periodStart, periodEnd: opts.periodEnd, usage, charges, taxRate: opts.taxRate, now: clock(), runId })
    await s.bills.replaceOne({ _id: id }, bill, { upsert: true })
    if (opts.pdfDir) await writePdf(bill, join(opts.pdfDir, `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`))
    billed++
    totalAmount += (bill.taxIncludedAmount as { value: number }).value
  }

  let next = 0
  const worker = async () => {
    while (next < candidates.length) {
      const p = candidates[next++]!
      try {
        await one(p)
      } catch (e) {
        failed.push({ productId: p.id, reason: (e as Error).message })
      }
      done++
      opts.onProgress?.(done, total)
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker))
  const result: BillRunResult = { runId, subscribers: total, billed, skipped, failed, totalAmount, ms: Date.now() - t0 }
  await s.billRuns.updateOne({ _id: runId }, { $set: { state: failed.length ? 'partial' : 'completed', finishedAt: clock().toISOString(), billed, skipped, failed: failed.length, totalAmount } })
  return result
}

export function buildBill(a: {
  product: ProductDoc
  periodStart: Date
  periodEnd: Date
  usage: RatedUsage[]
  charges: Record<string, unknown>[]
  taxRate: number
  now: Date
  runId: string
}): Record<string, unknown> {
  const { product: p } = a
  const plan = p.plan.offering
  const currency = plan.currency
  const lines: BillLine[] = []
  const ps = a.periodStart.getTime()
  const pe = a.periodEnd.getTime()
  // A plan change inside the cycle: the fee is the one of the plan the cycle started with (the
  // change's proration charge, below, covers the difference for the rest of the cycle).
  const changed = (p.planHistory ?? []).find((h) => h.until >= a.periodStart.toISOString() && h.until < a.periodEnd.toISOString())
  const fee = changed ? (changed.paymentType === 'postpaid' ? changed.recurringAmount : 0) : (plan.recurringCharge?.amount ?? 0)
  if (fee) {
    const start = Math.max(ps, new Date(p.startDate).getTime())
    const end = Math.min(pe, p.terminationDate ? new Date(p.terminationDate).getTime() : pe)
    const share = Math.max(0, end - start) / (pe - ps)
    const amount = Math.round(fee * share)
    lines.push({ kind: 'recurring', description: `${plan.name} ${share < 1 ? `(prorated ${(share * 100).toFixed(1)} %)` : ''}`.trim(), amount })
  }
  const byRg = new Map<number, { amount: number; volume: number; time: number; events: number }>()
  for (const u of a.usage) {
    const x = byRg.get(u.ratingGroup) ?? { amount: 0, volume: 0, time: 0, events: 0 }
    x.amount += u.amount
    x.volume += u.totalVolume
    x.time += u.time
    x.events += u.events
    byRg.set(u.ratingGroup, x)
  }
  for (const [rg, x] of [...byRg].sort((m, n) => m[0] - n[0])) {
    if (!x.amount) continue
    const qty = x.volume ? `${(x.volume / 1048576).toFixed(1)} MB` : x.time ? `${Math.ceil(x.time / 60)} min` : `${x.events} events`
    lines.push({ kind: 'usage', description: `Usage beyond allowance, rating group ${rg} (${qty})`, amount: x.amount, ratingGroup: rg, quantity: x.volume || x.time || x.events })
  }
  for (const c of a.charges) {
    const kind = (c.kind === 'proration' || c.kind === 'adjustment' ? c.kind : 'other') as BillLine['kind']
    lines.push({ kind, description: String(c.description ?? c.kind), amount: Number(c.amount) })
  }
  const net = lines.reduce((n, l) => n + l.amount, 0)
  const taxable = Math.max(0, net)
  const tax = Math.round(taxable * a.taxRate)
  const id = billId(p.id, a.periodStart)
  const billNo = `INV-${a.periodStart.toISOString().slice(0, 7).replace('-', '')}-${p.id.slice(0, 8).toUpperCase()}`
  return {
    _id: id,
    id,
    href: `${BILL_PATH}/${encodeURIComponent(id)}`,
    '@type': 'CustomerBill',
    billNo,
    runId: a.runId,
    billDate: a.now.toISOString(),
    state: 'new',
    category: 'normal',
    billingPeriod: { startDateTime: a.periodStart.toISOString(), endDateTime: a.periodEnd.toISOString() },
    relatedParty: [{ id: p.customerId, role: 'customer', '@referredType': 'Customer' }],
    product: { id: p.id, href: p.href, msisdn: p.msisdn },
    customerId: p.customerId,
    productId: p.id,
    billLine: lines.map((l) => ({ ...l, amount: { value: l.amount, unit: currency } })),
    taxExcludedAmount: { value: net, unit: currency },
    taxItem: [{ taxCategory: 'VAT', taxRate: a.taxRate, taxAmount: { value: tax, unit: currency } }],
    taxIncludedAmount: { value: net + tax, unit: currency },
    amountDue: { value: Math.max(0, net + tax), unit: currency },
    remainingAmount: { value: Math.max(0, net + tax), unit: currency },
  }
}

const money = (v: number, unit: string) => `${(v / 100).toFixed(2)} ${unit}`

/** Renders an invoice as PDF into a stream (pdfkit). */
export function renderPdf(bill: Record<string, any>, out: NodeJS.WritableStream): PDFKit.PDFDocument {
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `Invoice ${bill.billNo}` } })
  doc.pipe(out)
  const unit = bill.taxIncludedAmount.unit
  doc.fontSize(20).text('Invoice', { align: 'left' })
  doc.moveDown(0.5).fontSize(10)
  doc.text(`Invoice number: ${bill.billNo}`)
  doc.text(`Date: ${String(bill.billDate).slice(0, 10)}`)
  doc.text(`Period: ${bill.billingPeriod.startDateTime.slice(0, 10)} to ${bill.billingPeriod.endDateTime.slice(0, 10)}`)
  doc.text(`Customer: ${bill.customerId}`)
  doc.text(`Subscription: ${bill.product.id} (MSISDN ${bill.product.msisdn})`)
  doc.moveDown()
  for (const l of bill.billLine as { description: string; amount: { value: number } }[]) {
    const y = doc.y
    doc.text(l.description, 50, y, { width: 380 })
    doc.text(money(l.amount.value, unit), 440, y, { width: 100, align: 'right' })
  }
  doc.moveDown()
  const row = (label: string, v: number) => {
    const y = doc.y
    doc.text(label, 50, y, { width: 380 })
    doc.text(money(v, unit), 440, y, { width: 100, align: 'right' })
  }
  row('Total excluding tax', bill.taxExcludedAmount.value)
  row(`Tax (${(bill.taxItem[0].taxRate * 100).toFixed(1)} %)`, bill.taxItem[0].taxAmount.value)
  doc.font('Helvetica-Bold')
  row('Total', bill.taxIncludedAmount.value)
  doc.end()
  return doc
}

export function writePdf(bill: Record<string, any>, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = createWriteStream(path)
    ws.on('finish', () => resolve())
    ws.on('error', reject)
    renderPdf(bill, ws)
  })
}
