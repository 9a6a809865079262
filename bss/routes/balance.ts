/** TMF654: balance and bundle view, prepaid top-up (with a receipt), care adjustments (audited). */
import { Router } from 'express'
import { randomUUID } from 'node:crypto'
import { allow } from '../auth.ts'
import { ChfError } from '../clients/chf.ts'
import { BssError, conflict } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne } from '../http.ts'
import type { BssDeps } from '../index.ts'
import { ownsProduct, PRODUCT_PATH } from '../orders.ts'
import { productFor } from './orders.ts'

export const TOPUP_PATH = '/prepayBalanceManagement/v4/topupBalance'
export const ADJUST_PATH = '/prepayBalanceManagement/v4/adjustBalance'

function chfFail(e: unknown): never {
  if (e instanceof ChfError) {
    if (e.code === 5) throw new BssError(404, 'NOT_FOUND', `no CHF account: ${e.message}`)
    if (e.code === 9) throw conflict(e.message, 'FAILED_PRECONDITION')
    if (e.code === 3) throw new BssError(400, 'INVALID_FIELD', e.message, 'amount')
    throw new BssError(502, 'CHF_FAILED', e.message)
  }
  throw e
}

export function balanceRoutes(d: BssDeps): Router {
  const r = Router()
  const { s, ctx } = d

  r.get(`${PRODUCT_PATH}/:id/balance`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const p = await productFor(d, req, String(req.params.id))
    const acct = await d.chf().GetAccount({ supi: p.supi }).catch(chfFail)
    sendOne(req, res, {
      id: p.id,
      href: `${PRODUCT_PATH}/${p.id}/balance`,
      '@type': 'AccumulatedBalance',
      product: { id: p.id, href: p.href },
      totalBalance: { amount: acct.balance, units: acct.currency },
      reserved: { amount: acct.reserved, units: acct.currency },
      available: { amount: acct.balance - acct.reserved, units: acct.currency },
      state: acct.state,
      bucket: acct.bundles.map((b) => ({
        id: b.id,
        name: b.name,
        '@type': 'Bucket',
        ratingGroup: b.ratingGroup,
        unit: b.unit,
        total: b.total,
        remainingValue: b.remaining,
        usedValue: b.total - b.remaining,
        validFor: { startDateTime: b.validFrom, ...(b.validUntil ? { endDateTime: b.validUntil } : {}) },
        source: b.source,
      })),
    })
  }))

  r.post(TOPUP_PATH, allow('admin', 'care', 'selfcare'), body('TopupBalance_Create'), h(async (req, res) => {
    const p = await productFor(d, req, req.body.product.id, 'product.id')
    if (p.paymentType !== 'prepaid') throw conflict(`product ${p.id} is postpaid`, 'NOT_PREPAID', 'product.id')
    if (p.status === 'terminated') throw conflict(`product ${p.id} is terminated`, 'PRODUCT_TERMINATED', 'product.id')
    const currency = p.plan.offering.currency
    if (req.body.amount.unit && req.body.amount.unit !== currency) throw new BssError(400, 'INVALID_FIELD', `amount.unit must be ${currency}`, 'amount.unit')
    const key = req.header('idempotency-key') ?? randomUUID()
    const out = await d.chf().TopUp({ supi: p.supi, amount: req.body.amount.value, reference: req.body.reference ?? '', idempotencyKey: `topup:${key}` }).catch(chfFail)
    const rid = `topup-${out.transactionId || key}`
    const receipt = {
      _id: rid,
      id: rid,
      href: `${TOPUP_PATH}/${rid}`,
      '@type': 'TopupBalance',
      product: { id: p.id, href: p.href },
      amount: { value: req.body.amount.value, unit: currency },
      reference: req.body.reference ?? '',
      status: 'completed',
      requestedBy: req.principal!.sub,
      transactionId: out.transactionId,
      balanceAfter: { amount: out.account.balance, units: currency },
      receipt: { number: rid, date: ctx.clock().toISOString(), customerId: p.customerId, msisdn: p.msisdn },
    }
    if (!out.replayed) {
      await s.receipts.replaceOne({ _id: rid }, receipt, { upsert: true })
      await ctx.events.emit('bss', { type: 'bss.topup', supi: p.supi, gpsi: p.gpsi, data: { amount: req.body.amount.value, reference: receipt.reference, by: req.principal!.sub } }).catch(() => {})
    }
    const { _id, ...view } = receipt
    res.status(out.replayed ? 200 : 201).json(view)
  }))

  r.get(TOPUP_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    if (typeof req.query.productId === 'string') filter['product.id'] = req.query.productId
    let items = await s.receipts.find(filter, { sort: { 'receipt.date': -1 } })
    if (req.principal!.role === 'selfcare') {
      const mine = new Set((await s.products.find({})).filter((p) => ownsProduct(req.principal!, p)).map((p) => p.id))
      items = items.filter((x) => mine.has((x.product as { id: string }).id))
    }
    sendList(res, items.slice(page.offset, page.offset + page.limit).map(publicView), items.length, page)
  }))

  r.post(ADJUST_PATH, allow('admin', 'care'), body('AdjustBalance_Create'), h(async (req, res) => {
    const p = await productFor(d, req, req.body.product.id, 'product.id')
    const key = req.header('idempotency-key') ?? randomUUID()
    const agent = req.principal!.sub
    const out = await d.chf().Adjust({ supi: p.supi, amount: req.body.amount.value, reason: req.body.reason, operator: agent, idempotencyKey: `adjust:${key}` }).catch(chfFail)
    const id = `adjust-${out.transactionId || key}`
    const rec = {
      id,
      href: `${ADJUST_PATH}/${id}`,
      '@type': 'AdjustBalance',
      product: { id: p.id, href: p.href },
      amount: { value: req.body.amount.value, unit: p.plan.offering.currency },
      reason: req.body.reason,
      agent,
      status: 'completed',
      transactionId: out.transactionId,
      balanceAfter: { amount: out.account.balance, units: out.account.currency },
      date: ctx.clock().toISOString(),
    }
    if (!out.replayed) {
      await s.audit.insertOne({ _id: id, at: rec.date, agent, role: req.principal!.role, action: 'adjustBalance', productId: p.id, supi: p.supi, amount: rec.amount.value, reason: rec.reason, transactionId: rec.transactionId })
      if (p.paymentType === 'postpaid') {
        await s.charges.insertOne({ _id: `${id}:credit`, productId: p.id, supi: p.supi, kind: 'adjustment', amount: -req.body.amount.value, description: `adjustment: ${req.body.reason}`, ts: rec.date })
      }
      await ctx.events.emit('bss', { type: 'bss.balance.adjusted', supi: p.supi, gpsi: p.gpsi, data: { amount: rec.amount.value, reason: rec.reason, agent } }).catch(() => {})
    }
    res.status(out.replayed ? 200 : 201).json(rec)
  }))
  return r
}
