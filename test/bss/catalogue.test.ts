import { expect } from 'chai'
import { startBssTest, PREPAID_PLAN, POSTPAID_PLAN, simCsv, type BssTest } from './harness.ts'

const OFFERINGS = '/productCatalogManagement/v4/productOffering'
const INV = '/resourceInventory/v1'

describe('BSS catalogue (TMF620), customers (TMF629), inventory', function () {
  this.timeout(30000)
  let t: BssTest
  before(async () => {
    t = await startBssTest({ config: { bss: { smdpAddress: 'smdp.mvno.test' } } })
  })
  after(async () => t.close())

  it('creates plans with TMF id/href/@type; lists with offset/limit/fields and X-Total-Count', async () => {
    const a = await t.req('POST', OFFERINGS, { body: PREPAID_PLAN })
    expect(a.status, a.text).to.equal(201)
    expect(a.body).to.include({ id: 'prepaid-10', href: `${OFFERINGS}/prepaid-10`, '@type': 'ProductOffering', lifecycleStatus: 'Active', version: 1 })
    expect(a.headers.get('location')).to.equal(`${OFFERINGS}/prepaid-10`)
    await t.req('POST', OFFERINGS, { body: POSTPAID_PLAN })
    const gen = await t.req('POST', OFFERINGS, { body: { ...POSTPAID_PLAN, id: undefined, name: 'Generated id' } })
    expect(gen.body.id).to.match(/^[0-9a-f-]{36}$/)
    const list = await t.req('GET', `${OFFERINGS}?offset=1&limit=1&fields=name`)
    expect(list.headers.get('x-total-count')).to.equal('3')
    expect(list.headers.get('x-result-count')).to.equal('1')
    expect(Object.keys(list.body[0]).sort()).to.deep.equal(['@type', 'href', 'id', 'name'])
    expect((await t.req('GET', `${OFFERINGS}?limit=0`)).body.field).to.equal('limit')
  })
  it('rejects bad plans naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ ...PREPAID_PLAN, id: 'a', paymentType: 'credit' }, 'paymentType'],
      [{ ...PREPAID_PLAN, id: 'b', name: undefined }, 'name'],
      [{ ...PREPAID_PLAN, id: 'c', tariffs: [{ ratingGroup: 1, unit: 'VOLUME', price: -1 }] }, 'tariffs[0].price'],
      [{ ...PREPAID_PLAN, id: 'd', policy: { normal: { ambrUl: 'fast', ambrDl: '1 Mbps', fiveQi: 9 } } }, 'policy.normal.ambrUl'],
      [{ ...PREPAID_PLAN, id: 'e', tariffs: [{ ratingGroup: 1, unit: 'VOLUME', price: 1, zone: 'mars' }] }, 'tariffs[0].zone'],
      [{ ...PREPAID_PLAN, id: 'f', tariffs: [{ ratingGroup: 1, unit: 'TIME', price: 1, timeFrom: '25:00', timeTo: '01:00' }] }, 'tariffs[0].timeFrom'],
      [{ ...PREPAID_PLAN, id: 'g', allowances: [{ ratingGroup: 1, unit: 'VOLUME', amount: 1 }, { ratingGroup: 1, unit: 'VOLUME', amount: 2 }] }, 'allowances[1]'],
      [{ ...PREPAID_PLAN, id: 'h', policy: { normal: PREPAID_PLAN.policy.normal, finalUnitAction: 'REDIRECT' } }, 'policy.redirectUrl'],
    ]
    for (const [body, field] of cases) {
      const r = await t.req('POST', OFFERINGS, { body })
      expect(r.status, `${field}: ${r.text}`).to.equal(400)
      expect(r.body.field).to.equal(field)
      expect(r.body.message).to.include(field)
    }
    const dup = await t.req('POST', OFFERINGS, { body: PREPAID_PLAN })
    expect(dup.status).to.equal(409)
    expect(dup.body.field).to.equal('id')
  })
  it('patches (merge-patch, version bump), 404 for unknown, retires on DELETE', async () => {
    const p = await t.req('PATCH', `${OFFERINGS}/postpaid-50`, { body: { recurringCharge: { amount: 3500 } }, contentType: 'application/merge-patch+json' })
    expect(p.status, p.text).to.equal(200)
    expect(p.body.recurringCharge).to.deep.equal({ amount: 3500, period: 'P1M' })
    expect(p.body.version).to.equal(2)
    expect((await t.req('PATCH', `${OFFERINGS}/postpaid-50`, { body: { paymentType: 'x' } })).body.field).to.equal('paymentType')
    expect((await t.req('GET', `${OFFERINGS}/ghost`)).status).to.equal(404)
    expect((await t.req('DELETE', `${OFFERINGS}/postpaid-50`)).status).to.equal(204)
    expect((await t.req('GET', `${OFFERINGS}/postpaid-50`)).body.lifecycleStatus).to.equal('Retired')
  })
  it('customers: create, 400 on bad email, 409 duplicate, patch', async () => {
    const c = await t.req('POST', '/customerManagement/v4/customer', { body: { id: 'c-1', name: 'Ada', email: 'ada@example.com' } })
    expect(c.status).to.equal(201)
    expect(c.body['@type']).to.equal('Customer')
    expect((await t.req('POST', '/customerManagement/v4/customer', { body: { name: 'X', email: 'not-mail' } })).body.field).to.equal('email')
    expect((await t.req('POST', '/customerManagement/v4/customer', { body: { id: 'c-1', name: 'Ada' } })).status).to.equal(409)
    const p = await t.req('PATCH', '/customerManagement/v4/customer/c-1', { body: { phone: '+49170' } })
    expect(p.body.phone).to.equal('+49170')
    expect((await t.req('GET', '/customerManagement/v4/customer/zzz')).status).to.equal(404)
  })
  it('MSISDN ranges: overlap 409, bad digits 400, allocation skips quarantined numbers', async () => {
    expect((await t.req('POST', `${INV}/msisdnRange`, { body: { from: '4917100000', to: '4917100009', quarantineDays: 1 } })).status).to.equal(201)
    const ov = await t.req('POST', `${INV}/msisdnRange`, { body: { from: '4917100005', to: '4917100020' } })
    expect(ov.status).to.equal(409)
    expect(ov.body.code).to.equal('RANGE_OVERLAP')
    expect((await t.req('POST', `${INV}/msisdnRange`, { body: { from: '49x', to: '4917100020' } })).body.field).to.equal('from')
    expect((await t.req('GET', `${INV}/msisdn/4917100003`)).body.status).to.equal('available')
    expect((await t.req('GET', `${INV}/msisdn/1234567`)).status).to.equal(404)
    const ranges = await t.req('GET', `${INV}/msisdnRange`)
    expect(ranges.body[0]).to.include({ from: '4917100000', to: '4917100009', size: 10 })
  })
  it('SIM import from a vendor CSV: K/OPc encrypted at rest and never shown; per-row errors', async () => {
    const csv = simCsv(3) + '\n8999700000000000009,12345,' + 'zz'.repeat(16) + ',' + 'a'.repeat(32) + '\n' + simCsv(1).split('\n')[1]
    const r = await t.req('POST', `${INV}/sim/import?batch=B1`, { raw: csv })
    expect(r.status, r.text).to.equal(201)
    expect(r.body.imported).to.equal(3)
    expect(r.body.errors.map((e: any) => [e.row, e.field])).to.deep.equal([[5, 'imsi'], [6, 'iccid']])
    const sim = (await t.req('GET', `${INV}/sim/8999700000000000001`)).body
    expect(sim).to.include({ iccid: '8999700000000000001', imsi: '999700000000001', status: 'available', batch: 'B1', '@type': 'Sim' })
    expect(JSON.stringify(sim)).to.not.match(/465b5ce8b199b49faa5f0a2ee238a6bc|cd63cb71954a9f4e48a5994e37a02baf|kEnc|opcEnc/i)
    const raw = await t.store.collection('bss.sim').findOne({ _id: '8999700000000000001' })
    expect(JSON.stringify(raw)).to.not.include('465b5ce8b199b49faa5f0a2ee238a6bc')
    expect(String(raw!.kEnc)).to.match(/^v1:/)
    const list = await t.req('GET', `${INV}/sim?status=available&fields=imsi`)
    expect(list.headers.get('x-total-count')).to.equal('3')
    expect((await t.req('POST', `${INV}/sim/import`, { raw: 'FOO,BAR\n1,2' })).body.field).to.equal('(file)')
    const json = await t.req('POST', `${INV}/sim/import`, { body: { sims: [{ iccid: '8999700000000000077', imsi: '999700000000077', k: 'a'.repeat(32), opc: 'b'.repeat(32) }] } })
    expect(json.body.imported).to.equal(1)
  })
  it('eSIM profiles get an LPA activation code LPA:1$<smdp>$<matchingId>', async () => {
    const r = await t.req('POST', `${INV}/sim/import?type=esim`, { raw: simCsv(2, 1, '99970000001', '8999700000001') })
    expect(r.body.imported).to.equal(2)
    const list = await t.req('GET', `${INV}/esimProfile`)
    expect(list.body).to.have.length(2)
    expect(list.body[0]['@type']).to.equal('EsimProfile')
    expect(list.body[0].activationCode).to.match(/^LPA:1\$smdp\.mvno\.test\$[0-9A-F-]+$/)
    expect(list.body[0].activationCode.endsWith(list.body[0].matchingId)).to.equal(true)
  })
})
