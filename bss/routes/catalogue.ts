/** TMF620 productOffering: the plans. */
import { Router } from 'express'
import { randomUUID } from 'node:crypto'
import { DuplicateKeyError } from '../../store/port.ts'
import { allow } from '../auth.ts'
import { badRequest, conflict, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne, validateSchema } from '../http.ts'
import type { BssDeps } from '../index.ts'
import type { Offering } from '../store.ts'

export const OFFERING_PATH = '/productCatalogManagement/v4/productOffering'

export function catalogueRoutes(d: BssDeps): Router {
  const r = Router()
  const col = d.s.offerings

  r.get(OFFERING_PATH, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const page = pageOf(req)
    const filter: Record<string, unknown> = {}
    if (typeof req.query.lifecycleStatus === 'string') filter.lifecycleStatus = req.query.lifecycleStatus
    if (typeof req.query.paymentType === 'string') filter.paymentType = req.query.paymentType
    if (req.principal!.role === 'selfcare') filter.lifecycleStatus = 'Active'
    const [items, total] = await Promise.all([col.find(filter, { sort: { _id: 1 }, skip: page.offset, limit: page.limit }), col.count(filter)])
    sendList(res, items.map(publicView), total, page)
  }))

  r.post(OFFERING_PATH, allow('admin'), body('ProductOffering_Create'), h(async (req, res) => {
    const b = req.body
    checkPlanSemantics(b)
    const id: string = b.id ?? randomUUID()
    const doc: Offering = {
      ...b,
      _id: id,
      id,
      href: `${OFFERING_PATH}/${id}`,
      '@type': 'ProductOffering',
      lifecycleStatus: b.lifecycleStatus ?? 'Active',
      currency: b.currency ?? d.ctx.config.chf.currency,
      allowances: b.allowances ?? [],
      tariffs: b.tariffs ?? [],
      roamingZones: b.roamingZones ?? [],
      proration: b.proration ?? 'daily',
      version: 1,
      lastUpdate: d.ctx.clock().toISOString(),
    }
    try {
      await col.insertOne(doc)
    } catch (e) {
      if (e instanceof DuplicateKeyError) throw conflict(`productOffering ${id} exists`, 'DUPLICATE', 'id')
      throw e
    }
    res.location(doc.href)
    sendOne(req, res, publicView(doc), 201)
  }))

  r.get(`${OFFERING_PATH}/:id`, allow('admin', 'care', 'selfcare'), h(async (req, res) => {
    const o = await col.findOne({ _id: String(req.params.id) })
    if (!o) throw notFound('productOffering', String(req.params.id))
    sendOne(req, res, publicView(o))
  }))

  r.patch(`${OFFERING_PATH}/:id`, allow('admin'), h(async (req, res) => {
    const id = String(req.params.id)
    const o = await col.findOne({ _id: id })
    if (!o) throw notFound('productOffering', id)
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw conflict('a JSON object body is required', 'INVALID_BODY')
    const merged = mergePatch(publicView(o), req.body) as Record<string, unknown>
    for (const k of ['id', 'href', '@type', 'version', 'lastUpdate']) merged[k] = (o as Record<string, unknown>)[k]
    const { href: _h, '@type': _t, version: _v, lastUpdate: _l, ...toCheck } = merged
    validateSchema('ProductOffering_Create', toCheck)
    checkPlanSemantics(toCheck as any)
    const next = { ...merged, _id: id, version: o.version + 1, lastUpdate: d.ctx.clock().toISOString() } as Offering
    await col.replaceOne({ _id: id, version: o.version }, next)
    sendOne(req, res, publicView(next))
  }))

  r.delete(`${OFFERING_PATH}/:id`, allow('admin'), h(async (req, res) => {
    const id = String(req.params.id)
    const n = await col.updateOne({ _id: id }, { $set: { lifecycleStatus: 'Retired', lastUpdate: d.ctx.clock().toISOString() } })
    if (!n.matched) throw notFound('productOffering', id)
    res.status(204).end()
  }))
  return r
}

function checkPlanSemantics(b: Record<string, any>): void {
  const seen = new Set<string>()
  ;(b.allowances ?? []).forEach((a: any, i: number) => {
    const key = `${a.ratingGroup}:${a.unit}`
    if (seen.has(key)) throw badRequest(`allowances[${i}]`, `two allowances for rating group ${a.ratingGroup} ${a.unit}`, 'DUPLICATE_ALLOWANCE')
    seen.add(key)
  })
  const zones = new Set((b.roamingZones ?? []).map((z: any) => z.id))
  ;(b.tariffs ?? []).forEach((t: any, i: number) => {
    if (!!t.timeFrom !== !!t.timeTo) throw badRequest(`tariffs[${i}].${t.timeFrom ? 'timeTo' : 'timeFrom'}`, 'timeFrom and timeTo go together', 'INVALID_FIELD')
    if (t.zone && !zones.has(t.zone)) throw badRequest(`tariffs[${i}].zone`, `tariff names unknown roaming zone ${t.zone}`, 'INVALID_FIELD')
  })
  if (b.paymentType === 'postpaid' && b.openingBalance) throw badRequest('openingBalance', 'a postpaid plan has no opening balance', 'INVALID_FIELD')
  if (b.policy?.finalUnitAction === 'REDIRECT' && !b.policy.redirectUrl) throw badRequest('policy.redirectUrl', 'REDIRECT needs policy.redirectUrl', 'MISSING_FIELD')
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}
