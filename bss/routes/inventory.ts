/** Inventory: MSISDN ranges, SIM and eSIM import and views (K/OPc never returned). */
import { Router } from 'express'
import { allow } from '../auth.ts'
import { badRequest, notFound } from '../errors.ts'
import { body, h, pageOf, publicView, sendList, sendOne, validateSchema } from '../http.ts'
import type { BssDeps } from '../index.ts'
import { parseSimCsv, simView } from '../inventory.ts'

export const INV = '/resourceInventory/v1'

export function inventoryRoutes(d: BssDeps): Router {
  const r = Router()
  const { s, inv } = d

  r.get(`${INV}/msisdnRange`, allow('admin', 'care'), h(async (req, res) => {
    const page = pageOf(req)
    const items = await s.ranges.find({}, { sort: { _id: 1 }, skip: page.offset, limit: page.limit })
    const view = await Promise.all(
      items.map(async (x) => ({
        ...publicView(x),
        href: `${INV}/msisdnRange/${x.id}`,
        '@type': 'MsisdnRange',
        used: x.nextIndex,
        allocated: await s.msisdns.count({ rangeId: x.id, status: 'allocated' }),
        quarantined: await s.msisdns.count({ rangeId: x.id, status: 'quarantined' }),
      })),
    )
    sendList(res, view, await s.ranges.count({}), page)
  }))

  r.post(`${INV}/msisdnRange`, allow('admin'), body('MsisdnRange_Create'), h(async (req, res) => {
    const doc = await inv.createRange(req.body)
    sendOne(req, res, { ...publicView(doc), href: `${INV}/msisdnRange/${doc.id}`, '@type': 'MsisdnRange' }, 201)
  }))

  r.get(`${INV}/msisdn/:msisdn`, allow('admin', 'care'), h(async (req, res) => {
    sendOne(req, res, { ...(await inv.msisdnView(String(req.params.msisdn))), href: `${INV}/msisdn/${req.params.msisdn}` })
  }))

  r.post(`${INV}/sim/import`, allow('admin'), h(async (req, res) => {
    const type = req.query.type === undefined ? 'physical' : String(req.query.type)
    if (type !== 'physical' && type !== 'esim') throw badRequest('type', 'type must be physical or esim')
    let rows: { iccid?: string; imsi?: string; k?: string; opc?: string }[]
    let first = 1
    if (typeof req.body === 'string') {
      const parsed = parseSimCsv(req.body)
      rows = parsed.rows
      first = parsed.firstRow
    } else if (req.body && typeof req.body === 'object') {
      validateSchema('SimImport', req.body)
      rows = req.body.sims
    } else throw badRequest('(body)', 'send the vendor file as text/csv or JSON {sims:[…]}', 'INVALID_BODY')
    const smdp = typeof req.query.smdp === 'string' ? req.query.smdp : d.ctx.config.bss.smdpAddress
    const out = await inv.importSims(rows, {
      type,
      ...(smdp ? { smdp } : {}),
      ...(typeof req.query.batch === 'string' ? { batch: req.query.batch } : {}),
      rowOffset: first,
    })
    await s.audit.insertOne({ at: d.ctx.clock().toISOString(), agent: req.principal!.sub, role: req.principal!.role, action: 'importSims', type, imported: out.imported, rejected: out.rejected })
    res.status(out.imported ? 201 : 200).json(out)
  }))

  const listSims = (type?: 'esim') =>
    h(async (req, res) => {
      const page = pageOf(req)
      const filter: Record<string, unknown> = {}
      if (type) filter.type = type
      if (typeof req.query.status === 'string') filter.status = req.query.status
      if (typeof req.query.imsi === 'string') filter.imsi = req.query.imsi
      const [items, total] = await Promise.all([s.sims.find(filter, { sort: { _id: 1 }, skip: page.offset, limit: page.limit }), s.sims.count(filter)])
      sendList(res, items.map((x) => simView(x, `${INV}/sim/${x.iccid}`)), total, page)
    })
  r.get(`${INV}/sim`, allow('admin', 'care'), listSims())
  r.get(`${INV}/esimProfile`, allow('admin', 'care'), listSims('esim'))
  r.get(`${INV}/sim/:iccid`, allow('admin', 'care'), h(async (req, res) => {
    const x = await s.sims.findOne({ _id: String(req.params.iccid) })
    if (!x) throw notFound('SIM', String(req.params.iccid))
    sendOne(req, res, simView(x, `${INV}/sim/${x.iccid}`))
  }))
  return r
}
