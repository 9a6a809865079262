/** TMF622 productOrder and TMF637 product (the subscriptions). */
import { Router, type Request } from 'express'
import { allow } from '../auth.ts'
import { badRequest, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne } from '../http.ts'
import type { BssDeps } from '../index.ts'
import { ORDER_PATH, ownsProduct, PRODUCT_PATH } from '../orders.ts'
import type { ProductDoc } from '../store.ts'

export function productView(p: ProductDoc): Record<string, unknown> {
  const { plan, ...rest } = publicView(p) as Record<string, any>
  return { ...rest, planVersion: plan?.version }
}

/** Loads a product the principal may see (selfcare: only its own; others get 404 as if absent). */
export async function productFor(d: BssDeps, req: Request, id: string, field?: string): Promise<ProductDoc> {
  const p = await d.s.products.findOne({ _id: id })
  if (!p || (req.principal!.role === 'selfcare' && !ownsProduct(req.principal!, p))) {
    const e = notFound('product', id)
    if (field) Object.assign(e, { field })
    throw e
  }
  return p
}

export function orderRoutes(d: BssDeps): Router {
  const r = Router()
  const { s } = d

  r.post(ORDER_PATH, allow('admin', 'care', 'selfcare'), body('ProductOrder_Create'), h(async (req, res) => {
    const key = req.header('idempotency-key')
    if (key !== undefined && (key.length < 1 || key.length > 200)) throw badRequest('Idempotency-Key', 'Idempotency-Key must be 1-200 characters')
    const { order, replayed } = await d.orders.submit(req.body, req.principal!, key)
    res.location(order.href)
    if (replayed) res.set('Idempotent-Replayed', 'true')
    sendOne(req, res, publicView(order), replayed ? 200 : 201)
  }))

  r.get(ORDER_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    if (typeof req.query.state === 'string') filter.state = req.query.state
    if (req.principal!.role === 'selfcare') filter.requestedBy = req.principal!.sub
    const [items, total] = await Promise.all([s.orders.find(filter, { sort: { orderDate: -1 }, skip: page.offset, limit: page.limit }), s.orders.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))

  r.get(`${ORDER_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const o = await s.orders.findOne({ _id: String(req.params.id) })
    if (!o || (req.principal!.role === 'selfcare' && o.requestedBy !== req.principal!.sub)) throw notFound('productOrder', String(req.params.id))
    sendOne(req, res, publicView(o))
  }))

  r.get(PRODUCT_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const p = req.principal!
    const filter: Record<string, unknown> = {}
    for (const k of ['status', 'customerId', 'msisdn', 'supi', 'paymentType']) if (typeof req.query[k] === 'string') filter[k] = req.query[k]
    let items: ProductDoc[]
    let total: number
    if (p.role === 'selfcare') {
      const all = (await s.products.find(filter, { sort: { startDate: 1 } })).filter((x) => ownsProduct(p, x))
      total = all.length
      items = all.slice(page.offset, page.offset + page.limit)
    } else {
      ;[items, total] = await Promise.all([s.products.find(filter, { sort: { startDate: 1 }, skip: page.offset, limit: page.limit }), s.products.count(filter)])
    }
    sendList(res, items.map(productView), total, page)
  }))

  r.get(`${PRODUCT_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    sendOne(req, res, productView(await productFor(d, req, String(req.params.id))))
  }))
  return r
}
