import { expect } from 'chai'
import { newOrder, seed, simCsv, startBssTest, token, type BssTest } from './harness.ts'

const ORDERS = '/productOrderingManagement/v4/productOrder'
const PRODUCTS = '/productInventory/v4/product'

describe('BSS orders (TMF622 saga)', function () {
  this.timeout(30000)
  let t: BssTest
  beforeEach(async () => {
    t = await startBssTest()
    await seed(t)
  })
  afterEach(async () => t.close())

  const udrPaths = () => [...t.udr.data.keys()]

  it('a new subscription allocates a number and SIM, provisions the UDR, creates the CHF account and activates', async () => {
    const r = await t.req('POST', ORDERS, { body: newOrder() })
    expect(r.status, r.text).to.equal(201)
    expect(r.body.state).to.equal('completed')
    expect(r.body.saga.map((s: any) => `${s.name}:${s.status}`)).to.deep.equal([
      'allocate-msisdn:done',
      'allocate-sim:done',
      'provision-udr:done',
      'create-chf-account:done',
      'activate:done',
    ])
    const pid = r.body.product.id
    const p = (await t.req('GET', `${PRODUCTS}/${pid}`)).body
    expect(p.status).to.equal('active')
    expect(p.msisdn).to.equal('491700000000')
    expect(p.supi).to.equal('imsi-999700000000001')
    // UDR got every resource, K/OPc in clear over Nudr_DR (the UDR seals them)
    const paths = udrPaths()
    expect(paths.some((x) => x.endsWith('/authentication-data/authentication-subscription'))).to.equal(true)
    for (const suffix of ['/provisioned-data/am-data', '/provisioned-data/smf-selection-subscription-data', '/provisioned-data/sm-data', '/policy-data/ues/imsi-999700000000001/am-data', '/policy-data/ues/imsi-999700000000001/sm-data']) {
      expect(paths.some((x) => x.endsWith(suffix)), suffix).to.equal(true)
    }
    const am: any = t.udr.data.get(paths.find((x) => x.endsWith('/am-data') && x.includes('provisioned'))!)
    expect(am.gpsis).to.deep.equal(['msisdn-491700000000'])
    expect(am.subscribedUeAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })
    const pol: any = t.udr.data.get(paths.find((x) => x.endsWith('/policy-data/ues/imsi-999700000000001/sm-data'))!)
    const dnn = pol.smPolicySnssaiData['01010203'].smPolicyDnnData.internet
    expect(dnn.mvnoPolicyProfile.sessAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })
    expect(dnn.mvnoPolicyProfile.afterExhaustion).to.deep.equal({ action: 'THROTTLE', sessAmbr: { uplink: '1 Mbps', downlink: '1 Mbps' }, fiveQi: 9 })
    expect(pol.mvnoSubscriberState).to.equal('ACTIVE')
    const acct = t.chf.accounts.get('imsi-999700000000001')
    expect(acct.balance).to.equal(500)
    expect(acct.bundles[0]).to.include({ ratingGroup: 10, unit: 'VOLUME', total: 10 * 1024 ** 3, source: 'PLAN' })
    expect(acct.plan.tariffs).to.have.length(3)
    expect(acct.plan.paymentType).to.equal('PREPAID')
    // inventory moved
    expect((await t.req('GET', '/resourceInventory/v1/sim/8999700000000000001')).body.status).to.equal('allocated')
    expect((await t.req('GET', '/resourceInventory/v1/msisdn/491700000000')).body.status).to.equal('allocated')
  })

  it('an eSIM order hands out the profile and its LPA activation code', async () => {
    const imp = await t.req('POST', '/resourceInventory/v1/sim/import?type=esim&smdp=smdp.example.org', { raw: simCsv(1, 500) })
    expect(imp.body.imported).to.equal(1)
    const r = await t.req('POST', ORDERS, { body: newOrder(undefined, { simType: 'esim' }) })
    expect(r.body.state, r.text).to.equal('completed')
    const p = (await t.req('GET', `${PRODUCTS}/${r.body.product.id}`)).body
    expect(p.simType).to.equal('esim')
    expect(p.supi).to.equal('imsi-999700000000500')
    expect(p.activationCode).to.match(/^LPA:1\$smdp\.example\.org\$[0-9A-F-]+$/)
    // no eSIM left: 409 in the order's failure
    const none = await t.req('POST', ORDERS, { body: newOrder(undefined, { simType: 'esim' }) })
    expect(none.body.state).to.equal('failed')
    expect(none.body.failure.code).to.equal('SIM_POOL_EXHAUSTED')
  })

  it('same Idempotency-Key: the stored order comes back, nothing runs twice', async () => {
    const a = await t.req('POST', ORDERS, { body: newOrder(), headers: { 'idempotency-key': 'k-1' } })
    const b = await t.req('POST', ORDERS, { body: newOrder(), headers: { 'idempotency-key': 'k-1' } })
    expect(a.status).to.equal(201)
    expect(b.status).to.equal(200)
    expect(b.headers.get('idempotent-replayed')).to.equal('true')
    expect(b.body.id).to.equal(a.body.id)
    expect(t.chf.calls.filter((c) => c.method === 'CreateAccount')).to.have.length(1)
    expect((await t.req('GET', PRODUCTS)).body).to.have.length(1)
  })

  describe('a failing step leaves nothing half-provisioned', () => {
    async function assertClean(order: any, step: string) {
      expect(order.state).to.equal('failed')
      expect(order.failure.step).to.equal(step)
      expect(order.failure.reason).to.be.a('string').and.not.equal('')
      expect((await t.req('GET', PRODUCTS)).body).to.deep.equal([])
      expect(t.chf.accounts.size).to.equal(0)
      const sim = (await t.req('GET', '/resourceInventory/v1/sim/8999700000000000001')).body
      expect(sim.status).to.be.oneOf(['available', 'blocked'])
      const num = (await t.req('GET', '/resourceInventory/v1/msisdn/491700000000')).body
      expect(num.status).to.equal('available')
    }

    it('UDR down (503): FAILED at provision-udr, number and SIM released', async () => {
      t.udr.mode = 'down'
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      expect(r.status).to.equal(201)
      await assertClean(r.body, 'provision-udr')
      expect(r.body.failure.code).to.equal('UDR_FAILED')
      expect(r.body.saga.map((s: any) => `${s.name}:${s.status}`)).to.deep.equal([
        'allocate-msisdn:done',
        'allocate-sim:done',
        'provision-udr:failed',
        'allocate-sim:compensated',
        'allocate-msisdn:compensated',
      ])
      expect((await t.req('GET', '/resourceInventory/v1/sim/8999700000000000001')).body.status).to.equal('available')
    })

    it('UDR fails half-way (policy-data write): the resources already written are deleted', async () => {
      t.udr.mode = { failPathIncludes: '/policy-data/' }
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      await assertClean(r.body, 'provision-udr')
      expect(udrPaths()).to.deep.equal([])
    })

    it('UDR unreachable (connection refused)', async () => {
      await t.udr.peer.close()
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      await assertClean(r.body, 'provision-udr')
    })

    it('CHF down: FAILED at create-chf-account, UDR data deleted', async () => {
      t.chf.failOn.add('CreateAccount')
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      await assertClean(r.body, 'create-chf-account')
      expect(r.body.failure.code).to.equal('CHF_FAILED')
      expect(udrPaths()).to.deep.equal([])
      expect(r.body.saga.filter((s: any) => s.status === 'compensated').map((s: any) => s.name)).to.deep.equal(['provision-udr', 'allocate-sim', 'allocate-msisdn'])
    })

    it('duplicate IMSI at the UDR: FAILED, the existing UDR data untouched, the SIM blocked', async () => {
      const existing = '/nudr-dr/v2/subscription-data/imsi-999700000000001/authentication-data/authentication-subscription'
      t.udr.data.set(existing, { encPermanentKey: 'theirs' })
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      await assertClean(r.body, 'provision-udr')
      expect(r.body.failure.code).to.equal('DUPLICATE_IMSI')
      expect(udrPaths()).to.deep.equal([existing])
      expect(t.udr.data.get(existing)).to.deep.equal({ encPermanentKey: 'theirs' })
      expect((await t.req('GET', '/resourceInventory/v1/sim/8999700000000000001')).body.status).to.equal('blocked')
      // the next order takes the next SIM and succeeds
      const r2 = await t.req('POST', ORDERS, { body: newOrder() })
      expect(r2.body.state).to.equal('completed')
    })

    it('duplicate IMSI at the CHF (an account exists): FAILED at create-chf-account, that account untouched', async () => {
      t.chf.accounts.set('imsi-999700000000001', { supi: 'imsi-999700000000001', balance: 777, bundles: [], idempotencyKey: 'someone-else' })
      const r = await t.req('POST', ORDERS, { body: newOrder() })
      expect(r.body.state).to.equal('failed')
      expect(r.body.failure).to.include({ step: 'create-chf-account', code: 'DUPLICATE_IMSI' })
      expect(t.chf.accounts.get('imsi-999700000000001').balance).to.equal(777)
      expect(udrPaths()).to.deep.equal([])
      expect((await t.req('GET', PRODUCTS)).body).to.deep.equal([])
    })

    it('duplicate IMSI in service (a SIM re-imported under another ICCID): FAILED at allocate-sim', async () => {
      expect((await t.req('POST', ORDERS, { body: newOrder(undefined, { iccid: '8999700000000000001' }) })).body.state).to.equal('completed')
      // The same IMSI under another ICCID cannot be imported (unique IMSI)…
      const imp = await t.req('POST', '/resourceInventory/v1/sim/import', { raw: 'ICCID,IMSI,KI,OPC\n8999700000000009999,999700000000001,' + '0'.repeat(32) + ',' + '1'.repeat(32) })
      expect(imp.body.rejected).to.equal(1)
      expect(imp.body.errors[0].message).to.match(/duplicate/)
    })
  })

  it('lifecycle: suspend → resume → plan change → SIM swap → terminate', async () => {
    const r = await t.req('POST', ORDERS, { body: newOrder() })
    const pid = r.body.product.id
    const supi = 'imsi-999700000000001'
    const polPath = `/nudr-dr/v2/policy-data/ues/${supi}/sm-data`

    const s1 = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'suspend', product: { id: pid } }] } })
    expect(s1.body.state, s1.text).to.equal('completed')
    expect((t.udr.data.get(polPath) as any).mvnoSubscriberState).to.equal('SUSPENDED')
    const amPath = [...t.udr.data.keys()].find((k) => k.endsWith('/provisioned-data/am-data'))!
    expect((t.udr.data.get(amPath) as any).odbPacketServices).to.equal('ALL_PACKET_SERVICES')
    expect(t.chf.accounts.get(supi).state).to.equal('BARRED')
    expect((await t.req('GET', `${PRODUCTS}/${pid}`)).body.status).to.equal('suspended')
    expect((await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'suspend', product: { id: pid } }] } })).status).to.equal(409)

    const s2 = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'resume', product: { id: pid } }] } })
    expect(s2.body.state).to.equal('completed')
    expect((t.udr.data.get(polPath) as any).mvnoSubscriberState).to.equal('ACTIVE')
    expect((t.udr.data.get(amPath) as any).odbPacketServices).to.equal(undefined)
    expect(t.chf.accounts.get(supi).state).to.equal('ACTIVE')

    const m = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'modify', product: { id: pid }, productOffering: { id: 'postpaid-50' } }] } })
    expect(m.body.state, m.text).to.equal('completed')
    const pol: any = t.udr.data.get(polPath)
    expect(pol.smPolicySnssaiData['01010203'].smPolicyDnnData.internet.mvnoPolicyProfile.sessAmbr).to.deep.equal({ uplink: '200 Mbps', downlink: '500 Mbps' })
    const acct = t.chf.accounts.get(supi)
    expect(acct.planId).to.equal('postpaid-50')
    expect(acct.bundles.map((b: any) => b.id)).to.deep.equal(['postpaid-50:10:VOLUME'])
    expect(m.body.saga.find((x: any) => x.name === 'proration').output.proration.charge).to.be.greaterThan(0)
    const p = (await t.req('GET', `${PRODUCTS}/${pid}`)).body
    expect(p.productOffering.id).to.equal('postpaid-50')
    expect(p.paymentType).to.equal('postpaid')

    const sw = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'simSwap', product: { id: pid } }] } })
    expect(sw.body.state, sw.text).to.equal('completed')
    const newSupi = 'imsi-999700000000002'
    expect(t.chf.accounts.has(supi)).to.equal(false)
    expect(t.chf.accounts.get(newSupi).planId).to.equal('postpaid-50')
    expect([...t.udr.data.keys()].some((k) => k.includes(supi))).to.equal(false)
    expect([...t.udr.data.keys()].filter((k) => k.includes(newSupi))).to.have.length(6)
    expect((await t.req('GET', '/resourceInventory/v1/sim/8999700000000000001')).body.status).to.equal('retired')
    expect((await t.req('GET', `${PRODUCTS}/${pid}`)).body.supi).to.equal(newSupi)

    const del = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'delete', product: { id: pid } }] } })
    expect(del.body.state, del.text).to.equal('completed')
    expect(t.udr.data.size).to.equal(0)
    expect(t.chf.accounts.size).to.equal(0)
    const num = (await t.req('GET', '/resourceInventory/v1/msisdn/491700000000')).body
    expect(num.status).to.equal('quarantined')
    expect(num.quarantineUntil > new Date().toISOString()).to.equal(true)
    expect((await t.req('GET', `${PRODUCTS}/${pid}`)).body.status).to.equal('terminated')
    // the quarantined number is not handed out again
    const next = await t.req('POST', ORDERS, { body: newOrder() })
    expect((await t.req('GET', `${PRODUCTS}/${next.body.product.id}`)).body.msisdn).to.equal('491700000001')
    // the order history is on the event feed
    const ev = await t.req('GET', `${PRODUCTS}/${pid}/event`)
    expect(ev.body.map((e: any) => e.eventType)).to.include('bss.order.completed')
  })

  it('plan change that fails at the CHF restores the old policy data', async () => {
    const r = await t.req('POST', ORDERS, { body: newOrder() })
    const pid = r.body.product.id
    const polPath = '/nudr-dr/v2/policy-data/ues/imsi-999700000000001/sm-data'
    const before = JSON.stringify(t.udr.data.get(polPath))
    t.chf.failOn.add('ChangePlan')
    const m = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'modify', product: { id: pid }, productOffering: { id: 'postpaid-50' } }] } })
    expect(m.body.state).to.equal('failed')
    expect(m.body.failure.step).to.equal('chf-change-plan')
    expect(JSON.stringify(t.udr.data.get(polPath))).to.equal(before)
    expect((await t.req('GET', `${PRODUCTS}/${pid}`)).body.productOffering.id).to.equal('prepaid-10')
  })

  it('an order interrupted by a crash mid provision-udr resumes from its recorded steps on retry', async () => {
    // The state a crash leaves: number and SIM reserved (steps done), provision-udr started with one write made.
    const now = new Date().toISOString()
    const supi = 'imsi-999700000000002'
    await t.store.collection('bss.msisdn').insertOne({ _id: '491700000042', msisdn: '491700000042', rangeId: '491700000000-491700000099', status: 'reserved', orderId: 'o-crash', updatedAt: now })
    await t.store.collection('bss.sim').updateOne({ _id: '8999700000000000002' }, { $set: { status: 'reserved', orderId: 'o-crash' } })
    await t.store.collection('bss.idempotency').insertOne({ _id: 'order:crash-2', ref: 'o-crash', at: now })
    await t.store.collection('bss.productOrder').insertOne({
      _id: 'o-crash', id: 'o-crash', href: `${ORDERS}/o-crash`, '@type': 'ProductOrder', customerId: 'cust-1', idempotencyKey: 'crash-2', state: 'inProgress',
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'prepaid-10' } }], requestedBy: 'alice-admin', orderDate: now, _productId: 'p-crash',
      saga: [
        { name: 'allocate-msisdn', status: 'done', at: now, output: { msisdn: '491700000042' } },
        { name: 'allocate-sim', status: 'done', at: now, output: { iccid: '8999700000000000002', supi, simType: 'physical' } },
        { name: 'provision-udr', status: 'started', at: now },
      ],
    })
    t.udr.data.set(`/nudr-dr/v2/subscription-data/${supi}/authentication-data/authentication-subscription`, { partial: true })
    const again = await t.req('POST', ORDERS, { body: newOrder(), headers: { 'idempotency-key': 'crash-2' } })
    expect(again.status).to.equal(200)
    expect(again.body.state, again.text).to.equal('completed')
    expect(again.body.saga.map((x: any) => `${x.name}:${x.status}`)).to.deep.equal(['allocate-msisdn:done', 'allocate-sim:done', 'provision-udr:done', 'create-chf-account:done', 'activate:done'])
    const p = (await t.req('GET', `${PRODUCTS}/p-crash`)).body
    expect(p).to.include({ msisdn: '491700000042', supi, status: 'active' })
    expect(t.chf.calls.filter((c) => c.method === 'CreateAccount')).to.have.length(1)
    expect((t.udr.data.get(`/nudr-dr/v2/subscription-data/${supi}/authentication-data/authentication-subscription`) as any).encPermanentKey).to.equal('465b5ce8b199b49faa5f0a2ee238a6bc')
    // the BSS's start() resumes such orders by itself as well
    expect(await t.bss.orders.resumeInterrupted()).to.equal(0)
  })

  it('order errors: 400 naming the field, 404, 409, 403 for selfcare', async () => {
    let r = await t.req('POST', ORDERS, { body: { productOrderItem: [] } })
    expect(r.status).to.equal(400)
    expect(r.body.field).to.equal('productOrderItem')
    r = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'explode' }] } })
    expect(r.status).to.equal(400)
    expect(r.body.field).to.equal('productOrderItem[0].action')
    r = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'add', productOffering: { id: 'prepaid-10' } }] } })
    expect(r.status).to.equal(400)
    expect(r.body.field).to.equal('customerId')
    r = await t.req('POST', ORDERS, { body: newOrder('nope') })
    expect(r.status).to.equal(404)
    expect(r.body.field).to.equal('productOrderItem[0].productOffering.id')
    r = await t.req('POST', ORDERS, { body: { productOrderItem: [{ action: 'suspend', product: { id: 'ghost' } }] } })
    expect(r.status).to.equal(404)
    r = await t.req('POST', ORDERS, { body: newOrder(undefined, { msisdn: '491700000000' }) })
    expect(r.body.state).to.equal('completed')
    r = await t.req('POST', ORDERS, { body: newOrder(undefined, { msisdn: '491700000000' }) })
    expect(r.body.state).to.equal('failed')
    expect(r.body.failure.code).to.equal('MSISDN_NOT_AVAILABLE')
    const self = await token('selfcare', 'cust-1')
    r = await t.req('POST', ORDERS, { token: self, body: newOrder() })
    expect(r.status).to.equal(403)
    expect(r.body.code).to.equal('FORBIDDEN')
  })
})
