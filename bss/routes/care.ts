/** Care: event history, rated usage, audit, TMF621 trouble tickets, TMF681 communication messages. */
import { Router } from 'express'
import { randomUUID } from 'node:crypto'
import { readEvents } from '../../nf/sbi/event-feed.ts'
import { allow } from '../auth.ts'
import { ChfError } from '../clients/chf.ts'
import { BssError, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne, validateSchema } from '../http.ts'
import type { BssDeps } from '../index.ts'
import { ownsProduct, PRODUCT_PATH } from '../orders.ts'
import { productFor } from './orders.ts'

export const TICKET_PATH = '/troubleTicket/v4/troubleTicket'
export const MESSAGE_PATH = '/communicationManagement/v4/communicationMessage'

export interface MessageInput {
  id?: string
  messageType: 'SMS' | 'Email'
  subject?: string
  content: string
  receiver: { phoneNumber?: string; email?: string; id?: string }[]
  product?: { id: string }
  sender: string
  reason?: string
}

/** Records a communicationMessage and queues it in the webhook outbox. Idempotent by id. */
export async function sendMessage(d: BssDeps, m: MessageInput): Promise<Record<string, unknown>> {
  const id = m.id ?? randomUUID()
  const existing = await d.s.messages.findOne({ _id: id })
  if (existing) return existing
  const doc = {
    _id: id,
    id,
    href: `${MESSAGE_PATH}/${id}`,
    '@type': 'CommunicationMessage',
    messageType: m.messageType,
    ...(m.subject ? { subject: m.subject } : {}),
    content: m.content,
    receiver: m.receiver,
    ...(m.product ? { product: m.product } : {}),
    sender: { id: m.sender },
    ...(m.reason ? { reason: m.reason } : {}),
    status: 'initial',
    sendTime: d.ctx.clock().toISOString(),
    attempts: 0,
  }
  await d.s.messages.insertOne(doc)
  const { _id, ...payload } = doc
  await d.webhooks.enqueue(id, payload)
  return doc
}

export function careRoutes(d: BssDeps): Router {
  const r = Router()
  const { s, ctx } = d

  r.get(`${PRODUCT_PATH}/:id/event`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const p = await productFor(d, req, String(req.params.id))
    const page = pageOf(req)
    const types = typeof req.query.type === 'string' ? req.query.type.split(',') : undefined
    const afterId = typeof req.query.afterId === 'string' ? req.query.afterId : ''
    // A SIM swap changes the SUPI: history follows the product across its SUPIs via gpsi too.
    const bySupi = await readEvents(ctx.store, { afterId, supi: p.supi, ...(types ? { types } : {}) }, 10_000)
    const byGpsi = (await ctx.store.collection('events').find({ gpsi: p.gpsi, ...(afterId ? { _id: { $gt: afterId } } : {}) }, { sort: { _id: 1 }, limit: 10_000 }))
      .filter((e) => e.supi !== p.supi)
      .map((e) => ({ id: String(e._id), ts: String(e.ts), nf: String(e.nf), type: String(e.type), supi: String(e.supi ?? ''), gpsi: String(e.gpsi ?? ''), dataJson: JSON.stringify(e.data ?? {}) }))
      .filter((e) => !types || types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : t === e.type)))
    const all = [...bySupi.events, ...byGpsi].sort((a, b) => (a.id < b.id ? -1 : 1))
    const items = all.slice(page.offset, page.offset + page.limit).map((e) => ({ id: e.id, '@type': 'Event', eventTime: e.ts, nf: e.nf, eventType: e.type, supi: e.supi, gpsi: e.gpsi, event: JSON.parse(e.dataJson) }))
    sendList(res, items, all.length, page)
  }))

  r.get(`${PRODUCT_PATH}/:id/usage`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const p = await productFor(d, req, String(req.params.id))
    const page = pageOf(req)
    try {
      const out = await d.chf().ListRatedUsage({ supi: p.supi, from: String(req.query.from ?? ''), to: String(req.query.to ?? ''), pageSize: Math.min(10_000, page.offset + page.limit) })
      const items = out.records.slice(page.offset, page.offset + page.limit).map((u) => ({ ...u, '@type': 'Usage' }))
      sendList(res, items, out.records.length, page)
    } catch (e) {
      if (e instanceof ChfError) throw new BssError(e.notFound ? 404 : 502, e.notFound ? 'NOT_FOUND' : 'CHF_FAILED', e.message)
      throw e
    }
  }))

  r.get('/audit', allow('admin'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    for (const k of ['agent', 'productId', 'action']) if (typeof req.query[k] === 'string') filter[k] = req.query[k]
    const [items, total] = await Promise.all([s.audit.find(filter, { sort: { at: -1 }, skip: page.offset, limit: page.limit }), s.audit.count(filter)])
    sendList(res, items.map((x) => ({ id: x._id, ...publicView(x) })), total, page)
  }))

  // ── trouble tickets ──
  r.post(TICKET_PATH, allow('admin', 'care', 'selfcare'), body('TroubleTicket_Create'), h(async (req, res) => {
    const p = req.principal!
    if (p.role === 'selfcare' && !req.body.product) throw new BssError(400, 'MISSING_FIELD', 'product is required', 'product')
    if (req.body.product) await productFor(d, req, req.body.product.id, 'product.id')
    const id = randomUUID()
    const now = ctx.clock().toISOString()
    const doc = {
      _id: id,
      id,
      href: `${TICKET_PATH}/${id}`,
      '@type': 'TroubleTicket',
      name: req.body.name ?? req.body.description.slice(0, 60),
      description: req.body.description,
      severity: req.body.severity ?? 'minor',
      ticketType: req.body.ticketType ?? 'general',
      status: 'acknowledged',
      creationDate: now,
      lastUpdate: now,
      ...(req.body.product ? { relatedEntity: [{ id: req.body.product.id, href: `${PRODUCT_PATH}/${req.body.product.id}`, role: 'product', '@referredType': 'Product' }] } : {}),
      createdBy: p.sub,
      note: [],
      statusChange: [{ status: 'acknowledged', changeDate: now, by: p.sub }],
    }
    await s.tickets.insertOne(doc)
    res.location(doc.href)
    sendOne(req, res, publicView(doc), 201)
  }))

  const ticketFor = async (req: any) => {
    const t = await s.tickets.findOne({ _id: String(req.params.id) })
    if (!t || (req.principal.role === 'selfcare' && t.createdBy !== req.principal.sub)) throw notFound('troubleTicket', String(req.params.id))
    return t
  }
  r.get(TICKET_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    if (typeof req.query.status === 'string') filter.status = req.query.status
    if (req.principal!.role === 'selfcare') filter.createdBy = req.principal!.sub
    const [items, total] = await Promise.all([s.tickets.find(filter, { sort: { creationDate: -1 }, skip: page.offset, limit: page.limit }), s.tickets.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))
  r.get(`${TICKET_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    sendOne(req, res, publicView(await ticketFor(req)))
  }))
  r.patch(`${TICKET_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    validateSchema('TroubleTicket_Update', req.body ?? {})
    const t = await ticketFor(req)
    const p = req.principal!
    if (p.role === 'selfcare' && (req.body.status || req.body.severity)) throw new BssError(403, 'FORBIDDEN', 'selfcare may only add notes')
    const now = ctx.clock().toISOString()
    const set: Record<string, unknown> = { lastUpdate: now }
    if (req.body.status) set.status = req.body.status
    if (req.body.severity) set.severity = req.body.severity
    if (req.body.status) set.statusChange = [...((t.statusChange as unknown[]) ?? []), { status: req.body.status, changeDate: now, by: p.sub }]
    if (req.body.note) set.note = [...((t.note as unknown[]) ?? []), { text: req.body.note, author: p.sub, date: now }]
    await s.tickets.updateOne({ _id: t._id }, { $set: set })
    sendOne(req, res, publicView((await s.tickets.findOne({ _id: t._id }))!))
  }))

  // ── communication messages (notifications) ──
  r.post(MESSAGE_PATH, allow('admin', 'care'), body('CommunicationMessage_Create'), h(async (req, res) => {
    if (req.body.product) await productFor(d, req, req.body.product.id, 'product.id')
    req.body.receiver.forEach((x: any, i: number) => {
      if (req.body.messageType === 'SMS' && !x.phoneNumber) throw new BssError(400, 'MISSING_FIELD', 'an SMS receiver needs phoneNumber', `receiver[${i}].phoneNumber`)
      if (req.body.messageType === 'Email' && !x.email) throw new BssError(400, 'MISSING_FIELD', 'an Email receiver needs email', `receiver[${i}].email`)
    })
    const doc = await sendMessage(d, { ...req.body, sender: req.principal!.sub })
    res.location(String(doc.href))
    sendOne(req, res, publicView(doc), 201)
  }))
  r.get(MESSAGE_PATH, allow('admin', 'care'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    if (typeof req.query.status === 'string') filter.status = req.query.status
    const [items, total] = await Promise.all([s.messages.find(filter, { sort: { sendTime: -1 }, skip: page.offset, limit: page.limit }), s.messages.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))
  r.get(`${MESSAGE_PATH}/:id`, allow('admin', 'care'), h(async (req, res) => {
    const m = await s.messages.findOne({ _id: String(req.params.id) })
    if (!m) throw notFound('communicationMessage', String(req.params.id))
    sendOne(req, res, publicView(m))
  }))
  void ownsProduct
  return r
}
