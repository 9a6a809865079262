/** TMF629 customer. A selfcare principal whose sub is a customer id sees that customer only. */
import { Router } from 'express'
import { randomUUID } from 'node:crypto'
import { DuplicateKeyError } from '../../store/port.ts'
import { allow } from '../auth.ts'
import { conflict, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne, validateSchema } from '../http.ts'
import type { BssDeps } from '../index.ts'
import type { Customer } from '../store.ts'
import { mergePatch } from './catalogue.ts'

export const CUSTOMER_PATH = '/customerManagement/v4/customer'

export function customerRoutes(d: BssDeps): Router {
  const r = Router()
  const col = d.s.customers

  r.get(CUSTOMER_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = req.principal!.role === 'selfcare' ? { _id: req.principal!.sub } : {}
    if (typeof req.query.email === 'string') filter.email = req.query.email
    const [items, total] = await Promise.all([col.find(filter, { sort: { createdAt: 1 }, skip: page.offset, limit: page.limit }), col.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))

  r.post(CUSTOMER_PATH, allow('admin', 'care'), body('Customer_Create'), h(async (req, res) => {
    const id: string = req.body.id ?? randomUUID()
    const doc: Customer = {
      ...req.body,
      _id: id,
      id,
      href: `${CUSTOMER_PATH}/${id}`,
      '@type': 'Customer',
      status: req.body.status ?? 'Approved',
      createdAt: d.ctx.clock().toISOString(),
      createdBy: req.principal!.sub,
    }
    try {
      await col.insertOne(doc)
    } catch (e) {
      if (e instanceof DuplicateKeyError) throw conflict(`customer ${id} exists`, 'DUPLICATE', 'id')
      throw e
    }
    res.location(doc.href)
    sendOne(req, res, publicView(doc), 201)
  }))

  const load = async (req: any) => {
    const id = String(req.params.id)
    if (req.principal.role === 'selfcare' && req.principal.sub !== id) throw notFound('customer', id)
    const c = await col.findOne({ _id: id })
    if (!c) throw notFound('customer', id)
    return c
  }

  r.get(`${CUSTOMER_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    sendOne(req, res, publicView(await load(req)))
  }))

  r.patch(`${CUSTOMER_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const c = await load(req)
    const patch = { ...(req.body ?? {}) }
    for (const k of ['id', 'href', '@type', 'createdAt', 'createdBy']) delete patch[k]
    if (req.principal!.role === 'selfcare') delete patch.status
    const merged = mergePatch(publicView(c), patch) as Record<string, unknown>
    const { href: _h, '@type': _t, createdAt: _c, createdBy: _b, ...check } = merged
    validateSchema('Customer_Create', check)
    await col.replaceOne({ _id: c._id }, { ...merged, _id: c._id } as Customer)
    sendOne(req, res, merged)
  }))
  return r
}
