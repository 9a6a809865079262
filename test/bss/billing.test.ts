import { expect } from 'chai'
import { runBillRun } from '../../bss/bill-run.ts'
import { createAccountClient } from '../../bss/clients/chf.ts'
import { newOrder, seed, startBssTest, token, type BssTest } from './harness.ts'

const BILLS = '/customerBillManagement/v4/customerBill'

describe('BSS billing (TMF678 bill run, invoices JSON + PDF)', function () {
  this.timeout(30000)
  let t: BssTest
  let pid: string
  const start = new Date('2026-12-01T00:00:00.000Z')
  const end = new Date('2027-01-01T00:00:00.000Z')
  before(async () => {
    // subscriptions start on 2026-11-16 so December is a full cycle
    t = await startBssTest({ clock: () => new Date('2026-11-16T00:00:00.000Z') })
    await seed(t)
    pid = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder('postpaid-50') })).body.product.id
    await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder('prepaid-10') })
    const supi = (await t.req('GET', `/productInventory/v4/product/${pid}`)).body.supi
    t.chf.usage.set(supi, [
      { id: 'u1', supi, ratingGroup: 10, totalVolume: 60 * 1048576, time: 0, events: 0, amount: 0, ts: '2026-12-03T10:00:00.000Z' },
      { id: 'u2', supi, ratingGroup: 10, totalVolume: 120 * 1048576, time: 0, events: 0, amount: 120, ts: '2026-12-20T10:00:00.000Z' },
      { id: 'u3', supi, ratingGroup: 20, totalVolume: 0, time: 300, events: 0, amount: 25, ts: '2026-12-21T10:00:00.000Z' },
      { id: 'u0', supi, ratingGroup: 10, totalVolume: 1, time: 0, events: 0, amount: 999, ts: '2026-11-30T10:00:00.000Z' },
    ])
    await t.store.collection('bss.charge').insertOne({ _id: 'c1', productId: pid, kind: 'adjustment', amount: -500, description: 'goodwill credit', ts: '2026-12-05T00:00:00.000Z' })
  })
  after(async () => t.close())

  it('bills postpaid subscribers only: recurring fee + usage beyond allowance + credits + tax, with progress', async () => {
    const progress: number[] = []
    const chf = createAccountClient(t.chf.address)
    const r = await runBillRun({ store: t.store, chf, periodStart: start, periodEnd: end, taxRate: 0.2, onProgress: (d, n) => progress.push(d * 100 + n) })
    chf.close?.()
    expect(r.subscribers).to.equal(1)
    expect(r.billed).to.equal(1)
    expect(progress).to.deep.equal([1, 101])
    const bill = (await t.req('GET', `${BILLS}/${encodeURIComponent(`${pid}:2026-12-01`)}`)).body
    expect(bill['@type']).to.equal('CustomerBill')
    expect(bill.billLine.map((l: any) => [l.kind, l.amount.value])).to.deep.equal([
      ['recurring', 3000],
      ['usage', 120],
      ['usage', 25],
      ['adjustment', -500],
    ])
    expect(bill.taxExcludedAmount.value).to.equal(2645)
    expect(bill.taxItem[0].taxAmount.value).to.equal(529)
    expect(bill.taxIncludedAmount.value).to.equal(3174)
    // a re-run (crash recovery) makes no second bill
    const again = await runBillRun({ store: t.store, chf: createAccountClient(t.chf.address), periodStart: start, periodEnd: end, taxRate: 0.2 })
    expect(again.billed).to.equal(0)
    expect(again.skipped).to.equal(1)
  })

  it('a plan change inside the cycle: the starting plan\'s fee plus the prorated difference', async () => {
    const { buildBill } = await import('../../bss/bill-run.ts')
    const prod: any = (await t.store.collection('bss.product').findOne({ _id: pid }))!
    const newPlan = { ...prod.plan.offering, id: 'big', recurringCharge: { amount: 6000, period: 'P1M' } }
    const bill: any = buildBill({
      product: { ...prod, plan: { offeringId: 'big', version: 1, offering: newPlan }, planHistory: [{ offeringId: 'postpaid-50', paymentType: 'postpaid', recurringAmount: 3000, until: '2026-12-16T00:00:00.000Z' }] },
      periodStart: start, periodEnd: end, usage: [],
      charges: [{ kind: 'proration', amount: 1548, description: 'plan change postpaid-50 → big (prorated)' }],
      taxRate: 0, now: end, runId: 'x',
    })
    expect(bill.billLine.map((l: any) => [l.kind, l.amount.value])).to.deep.equal([['recurring', 3000], ['proration', 1548]])
  })

  it('serves the invoice as PDF; selfcare sees only its own bills; 404 otherwise', async () => {
    const id = encodeURIComponent(`${pid}:2026-12-01`)
    const res = await fetch(`${t.url}${BILLS}/${id}/pdf`, { headers: { authorization: `Bearer ${t.admin}` } })
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.equal('application/pdf')
    const buf = Buffer.from(await res.arrayBuffer())
    expect(buf.subarray(0, 5).toString()).to.equal('%PDF-')
    expect((await t.req('GET', BILLS, { token: await token('selfcare', 'cust-1') })).body).to.have.length(1)
    expect((await t.req('GET', BILLS, { token: await token('selfcare', 'cust-2') })).body).to.have.length(0)
    expect((await t.req('GET', `${BILLS}/${id}`, { token: await token('selfcare', 'cust-2') })).status).to.equal(404)
  })

  it('POST billRun (admin only) with period validation', async () => {
    expect((await t.req('POST', '/customerBillManagement/v4/billRun', { token: t.care, body: { periodStart: start.toISOString(), periodEnd: end.toISOString() } })).status).to.equal(403)
    expect((await t.req('POST', '/customerBillManagement/v4/billRun', { body: { periodStart: end.toISOString(), periodEnd: start.toISOString() } })).body.field).to.equal('periodEnd')
    expect((await t.req('POST', '/customerBillManagement/v4/billRun', { body: { periodStart: 'yesterday', periodEnd: end.toISOString() } })).body.field).to.equal('periodStart')
    const r = await t.req('POST', '/customerBillManagement/v4/billRun', { body: { periodStart: '2027-01-01T00:00:00.000Z', periodEnd: '2027-02-01T00:00:00.000Z' } })
    expect(r.status, r.text).to.equal(201)
    expect(r.body.billed).to.equal(1)
  })
})
