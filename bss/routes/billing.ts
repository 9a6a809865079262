/** TMF678 customerBill: bill run, invoices as JSON and PDF. */
import { Router } from 'express'
import { allow } from '../auth.ts'
import { BssError, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne } from '../http.ts'
import type { BssDeps } from '../index.ts'
import { BILL_PATH, renderPdf, runBillRun } from '../bill-run.ts'
import { ownsProduct } from '../orders.ts'

export function billingRoutes(d: BssDeps): Router {
  const r = Router()
  const { s, ctx } = d

  r.post('/customerBillManagement/v4/billRun', allow('admin'), body('BillRun_Create'), h(async (req, res) => {
    const start = new Date(req.body.periodStart)
    const end = new Date(req.body.periodEnd)
    if (!(end > start)) throw new BssError(400, 'INVALID_FIELD', 'periodEnd must be after periodStart', 'periodEnd')
    const result = await runBillRun({ store: ctx.store, chf: d.chf(), periodStart: start, periodEnd: end, taxRate: ctx.config.bss.taxRate, clock: ctx.clock })
    res.status(201).json({ id: result.runId, '@type': 'BillRun', ...result })
  }))

  const visible = async (req: any, bill: Record<string, any>) => {
    if (req.principal.role !== 'selfcare') return true
    const p = await s.products.findOne({ _id: bill.productId })
    return !!p && ownsProduct(req.principal, p)
  }

  r.get(BILL_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    for (const k of ['productId', 'customerId', 'runId']) if (typeof req.query[k] === 'string') filter[k] = req.query[k]
    if (req.principal!.role === 'selfcare') {
      const mine = (await s.products.find({})).filter((p) => ownsProduct(req.principal!, p)).map((p) => p.id)
      filter.productId = { $in: mine }
    }
    const [items, total] = await Promise.all([s.bills.find(filter, { sort: { billDate: -1 }, skip: page.offset, limit: page.limit }), s.bills.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))

  const load = async (req: any) => {
    const b = await s.bills.findOne({ _id: String(req.params.id) })
    if (!b || !(await visible(req, b))) throw notFound('customerBill', String(req.params.id))
    return b
  }
  r.get(`${BILL_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    sendOne(req, res, publicView(await load(req)))
  }))
  r.get(`${BILL_PATH}/:id/pdf`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const b = await load(req)
    res.type('application/pdf')
    res.set('Content-Disposition', `inline; filename="${String(b.billNo)}.pdf"`)
    renderPdf(b, res)
  }))
  return r
}
