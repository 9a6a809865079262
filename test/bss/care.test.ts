import { expect } from 'chai'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { newOrder, seed, startBssTest, token, type BssTest } from './harness.ts'

const PRODUCTS = '/productInventory/v4/product'
const TOPUP = '/prepayBalanceManagement/v4/topupBalance'
const ADJUST = '/prepayBalanceManagement/v4/adjustBalance'
const TICKETS = '/troubleTicket/v4/troubleTicket'
const MESSAGES = '/communicationManagement/v4/communicationMessage'

describe('BSS balances (TMF654), care, tickets (TMF621), notifications (TMF681)', function () {
  this.timeout(30000)
  let t: BssTest
  let hook: Server
  let hookHits: any[] = []
  let hookFailures = 0
  let pid: string
  let postpaid: string
  before(async () => {
    hook = createServer((req, res) => {
      let b = ''
      req.on('data', (c) => (b += c))
      req.on('end', () => {
        if (hookFailures > 0) {
          hookFailures--
          res.statusCode = 503
          return res.end()
        }
        hookHits.push({ httpVersion: req.httpVersion, body: JSON.parse(b) })
        res.statusCode = 202
        res.end()
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
    t = await startBssTest({ config: { bss: { webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/notify` } } })
    await seed(t)
    pid = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder() })).body.product.id
    postpaid = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder('postpaid-50') })).body.product.id
  })
  after(async () => {
    await t.close()
    hook.close()
  })

  it('balance and bundle view (TMF654 buckets)', async () => {
    const r = await t.req('GET', `${PRODUCTS}/${pid}/balance`)
    expect(r.status, r.text).to.equal(200)
    expect(r.body.totalBalance).to.deep.equal({ amount: 500, units: 'EUR' })
    expect(r.body.bucket[0]).to.include({ ratingGroup: 10, unit: 'VOLUME', remainingValue: 10 * 1024 ** 3, usedValue: 0 })
    expect(r.body.bucket[0].validFor.endDateTime).to.be.a('string')
  })

  it('prepaid top-up by selfcare with a receipt; replay by Idempotency-Key; postpaid 409; bad amount 400', async () => {
    const self = await token('selfcare', 'cust-1')
    const r = await t.req('POST', TOPUP, { token: self, body: { product: { id: pid }, amount: { value: 1000, unit: 'EUR' }, reference: 'voucher-1' }, headers: { 'idempotency-key': 't-1' } })
    expect(r.status, r.text).to.equal(201)
    expect(r.body.balanceAfter.amount).to.equal(1500)
    expect(r.body.receipt.number).to.match(/^topup-/)
    const again = await t.req('POST', TOPUP, { token: self, body: { product: { id: pid }, amount: { value: 1000 } }, headers: { 'idempotency-key': 't-1' } })
    expect(again.status).to.equal(200)
    expect(t.chf.accounts.get('imsi-999700000000001').balance).to.equal(1500)
    const receipts = await t.req('GET', TOPUP, { token: self })
    expect(receipts.body.map((x: any) => x.reference)).to.deep.equal(['voucher-1'])
    const pp = await t.req('POST', TOPUP, { body: { product: { id: postpaid }, amount: { value: 100 } } })
    expect(pp.status).to.equal(409)
    expect(pp.body.code).to.equal('NOT_PREPAID')
    const bad = await t.req('POST', TOPUP, { body: { product: { id: pid }, amount: { value: 0 } } })
    expect(bad.status).to.equal(400)
    expect(bad.body.field).to.equal('amount.value')
    expect((await t.req('POST', TOPUP, { body: { product: { id: 'ghost' }, amount: { value: 5 } } })).status).to.equal(404)
    expect((await t.req('POST', TOPUP, { body: { product: { id: pid }, amount: { value: 5, unit: 'USD' } } })).body.field).to.equal('amount.unit')
  })

  it('care adjustments carry reason and agent, and are audited; selfcare may not adjust', async () => {
    const r = await t.req('POST', ADJUST, { token: t.care, body: { product: { id: pid }, amount: { value: -200 }, reason: 'goodwill reversal' } })
    expect(r.status, r.text).to.equal(201)
    expect(r.body).to.include({ reason: 'goodwill reversal', agent: 'bob-agent' })
    const call = t.chf.calls.find((c) => c.method === 'Adjust')!
    expect(call.req).to.include({ amount: -200, reason: 'goodwill reversal', operator: 'bob-agent' })
    const audit = await t.req('GET', '/audit?action=adjustBalance')
    expect(audit.body[0]).to.include({ agent: 'bob-agent', role: 'care', amount: -200, reason: 'goodwill reversal', productId: pid })
    expect((await t.req('POST', ADJUST, { token: await token('selfcare', 'cust-1'), body: { product: { id: pid }, amount: { value: 5 }, reason: 'me' } })).status).to.equal(403)
    expect((await t.req('POST', ADJUST, { body: { product: { id: pid }, amount: { value: 5 } } })).body.field).to.equal('reason')
  })

  it('event history per subscriber from the events collection (EventFeed)', async () => {
    await t.ctx.events.emit('chf', { type: 'chf.quota.granted', supi: 'imsi-999700000000001', data: { ratingGroup: 10, volume: 1000 } })
    await t.ctx.events.emit('pcf', { type: 'pcf.policy.updated', supi: 'imsi-999700000000001' })
    await t.ctx.events.emit('chf', { type: 'chf.quota.granted', supi: 'imsi-999700000000002' })
    const r = await t.req('GET', `${PRODUCTS}/${pid}/event`, { token: t.care })
    const types = r.body.map((e: any) => e.eventType)
    expect(types).to.include.members(['bss.order.completed', 'bss.topup', 'bss.balance.adjusted', 'chf.quota.granted', 'pcf.policy.updated'])
    expect(r.body.every((e: any) => e.supi === 'imsi-999700000000001')).to.equal(true)
    const chfOnly = await t.req('GET', `${PRODUCTS}/${pid}/event?type=chf.*`, { token: t.care })
    expect(chfOnly.body.map((e: any) => e.eventType)).to.deep.equal(['chf.quota.granted'])
    expect(chfOnly.body[0].event).to.deep.equal({ ratingGroup: 10, volume: 1000 })
  })

  it('rated usage from the CHF', async () => {
    t.chf.usage.set('imsi-999700000000001', [{ id: 'u1', supi: 'imsi-999700000000001', ratingGroup: 10, totalVolume: 5000, amount: 3, ts: new Date().toISOString() }])
    const r = await t.req('GET', `${PRODUCTS}/${pid}/usage`)
    expect(r.body).to.have.length(1)
    expect(r.body[0]).to.include({ ratingGroup: 10, totalVolume: 5000, amount: 3 })
  })

  it('trouble tickets: selfcare opens one on its product, care works it, notes kept', async () => {
    const self = await token('selfcare', 'cust-1')
    const c = await t.req('POST', TICKETS, { token: self, body: { description: 'no data since morning', product: { id: pid } } })
    expect(c.status, c.text).to.equal(201)
    expect(c.body).to.include({ status: 'acknowledged', '@type': 'TroubleTicket', createdBy: 'cust-1' })
    expect((await t.req('POST', TICKETS, { token: self, body: { description: 'x' } })).body.field).to.equal('product')
    expect((await t.req('POST', TICKETS, { token: self, body: { description: 'x', product: { id: postpaid + 'x' } } })).status).to.equal(404)
    const p = await t.req('PATCH', `${TICKETS}/${c.body.id}`, { token: t.care, body: { status: 'resolved', note: 'APN fixed' } })
    expect(p.body.status).to.equal('resolved')
    expect(p.body.note[0]).to.include({ text: 'APN fixed', author: 'bob-agent' })
    expect((await t.req('PATCH', `${TICKETS}/${c.body.id}`, { token: self, body: { status: 'closed' } })).status).to.equal(403)
    expect((await t.req('PATCH', `${TICKETS}/${c.body.id}`, { token: t.care, body: { status: 'done' } })).body.field).to.equal('status')
    expect((await t.req('GET', TICKETS, { token: self })).body).to.have.length(1)
    expect((await t.req('GET', `${TICKETS}/${c.body.id}`, { token: await token('selfcare', 'cust-9') })).status).to.equal(404)
  })

  it('notifications go out through the webhook outbox over HTTP/1.1, retried after failures', async () => {
    hookHits = []
    hookFailures = 2
    const r = await t.req('POST', MESSAGES, { token: t.care, body: { messageType: 'SMS', content: 'Hello', receiver: [{ phoneNumber: '491700000000' }], product: { id: pid } } })
    expect(r.status, r.text).to.equal(201)
    const deadline = Date.now() + 5000
    while (!hookHits.length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20))
    expect(hookHits).to.have.length(1)
    expect(hookHits[0].httpVersion).to.equal('1.1')
    expect(hookHits[0].body).to.include({ messageType: 'SMS', content: 'Hello', id: r.body.id })
    await new Promise((res) => setTimeout(res, 50))
    const m = await t.req('GET', `${MESSAGES}/${r.body.id}`)
    expect(m.body.status).to.equal('sent')
    expect(m.body.attempts).to.equal(3)
    expect((await t.req('POST', MESSAGES, { body: { messageType: 'Email', content: 'x', receiver: [{ phoneNumber: '1' }] } })).body.field).to.equal('receiver[0].email')
  })

  it('low-balance and exhaustion events become SMS notices', async () => {
    hookHits = []
    await t.ctx.events.emit('chf', { type: 'chf.balance.low', supi: 'imsi-999700000000001', data: { balance: 50 } })
    // first poll only positions the cursor at the end; emit again afterwards
    const notices = t.bss.notices
    expect(await notices.poll()).to.equal(0)
    await t.ctx.events.emit('chf', { type: 'chf.balance.low', supi: 'imsi-999700000000001', data: { balance: 50 } })
    await t.ctx.events.emit('chf', { type: 'chf.quota.exhausted', supi: 'imsi-999700000000001', data: { ratingGroup: 10 } })
    await t.ctx.events.emit('chf', { type: 'chf.quota.granted', supi: 'imsi-999700000000001' })
    expect(await notices.poll()).to.equal(2)
    expect(await notices.poll()).to.equal(0)
    const deadline = Date.now() + 5000
    while (hookHits.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20))
    expect(hookHits.map((h) => h.body.reason)).to.deep.equal(['chf.balance.low', 'chf.quota.exhausted'])
    expect(hookHits[0].body.receiver[0].phoneNumber).to.equal('491700000000')
  })

  it('a prepaid balance falling below the plan threshold after rated usage sends one low-balance notice', async () => {
    hookHits = []
    const notices = t.bss.notices
    await notices.poll()
    t.chf.accounts.get('imsi-999700000000001').balance = 80 // threshold 100
    await t.ctx.events.emit('chf', { type: 'chf.usage.rated', supi: 'imsi-999700000000001', data: { ratingGroup: 10, amount: 20 } })
    await t.ctx.events.emit('chf', { type: 'chf.usage.rated', supi: 'imsi-999700000000001', data: { ratingGroup: 10, amount: 5 } })
    expect(await notices.poll()).to.equal(1)
    await t.ctx.events.emit('chf', { type: 'chf.balance.topup', supi: 'imsi-999700000000001', data: { amount: 500, balance: 580 } })
    await t.ctx.events.emit('chf', { type: 'chf.balance.adjusted', supi: 'imsi-999700000000001', data: { amount: -530, balance: 50 } })
    expect(await notices.poll()).to.equal(1)
    const deadline = Date.now() + 5000
    while (hookHits.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20))
    expect(hookHits.map((h) => h.body.reason)).to.deep.equal(['chf.balance.low', 'chf.balance.low'])
  })
})
