import { expect } from 'chai'
import { SignJWT } from 'jose'
import { newOrder, seed, startBssTest, token, PREPAID_PLAN, type BssTest } from './harness.ts'

const OFFERINGS = '/productCatalogManagement/v4/productOffering'
const PRODUCTS = '/productInventory/v4/product'

describe('BSS access (JWT, API key, roles) and error shape', function () {
  this.timeout(30000)
  let t: BssTest
  let pid: string
  let other: string
  before(async () => {
    t = await startBssTest()
    await seed(t)
    await t.req('POST', '/customerManagement/v4/customer', { body: { id: 'cust-2', name: 'Grace Hopper' } })
    pid = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder() })).body.product.id
    other = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: { ...newOrder(), customerId: 'cust-2' } })).body.product.id
  })
  after(async () => t.close())

  it('no credentials: 401 in the TMF error shape', async () => {
    const r = await t.req('GET', OFFERINGS, { token: '' })
    expect(r.status).to.equal(401)
    expect(r.body).to.include({ code: 'UNAUTHORIZED', reason: 'Unauthorized', status: '401' })
    expect(r.body.message).to.be.a('string')
  })
  it('a bad signature, an expired token, a wrong role claim, an unknown API key', async () => {
    expect((await t.req('GET', OFFERINGS, { token: await token('admin', 'x', 'another-secret-0123456789') })).status).to.equal(401)
    const expired = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode('test-secret-for-bss-0123456789'))
    const r = await t.req('GET', OFFERINGS, { token: expired })
    expect(r.status).to.equal(401)
    expect(r.body.message).to.match(/exp/)
    expect((await t.req('GET', OFFERINGS, { token: await token('root', 'x') })).status).to.equal(403)
    expect((await t.req('GET', OFFERINGS, { apiKey: 'nope' })).status).to.equal(401)
    expect((await t.req('GET', OFFERINGS, { token: '', headers: { authorization: 'Basic abc' } })).status).to.equal(401)
  })
  it('an API key from config works with its role', async () => {
    const r = await t.req('GET', OFFERINGS, { apiKey: 'admin-key-0123456789' })
    expect(r.status).to.equal(200)
    expect(r.headers.get('x-total-count')).to.equal('2')
  })
  it('care may read and order but not edit the catalogue or import SIMs', async () => {
    expect((await t.req('GET', PRODUCTS, { token: t.care })).body).to.have.length(2)
    const r = await t.req('POST', OFFERINGS, { token: t.care, body: { ...PREPAID_PLAN, id: 'x' } })
    expect(r.status).to.equal(403)
    expect(r.body.code).to.equal('FORBIDDEN')
    expect((await t.req('POST', '/resourceInventory/v1/sim/import', { token: t.care, raw: 'ICCID,IMSI,KI,OPC' })).status).to.equal(403)
    expect((await t.req('GET', '/audit', { token: t.care })).status).to.equal(403)
  })
  it('selfcare sees only its own subscription, customer and orders', async () => {
    const self = await token('selfcare', 'cust-1')
    const list = await t.req('GET', PRODUCTS, { token: self })
    expect(list.body.map((p: any) => p.id)).to.deep.equal([pid])
    expect(list.headers.get('x-total-count')).to.equal('1')
    expect((await t.req('GET', `${PRODUCTS}/${pid}`, { token: self })).status).to.equal(200)
    expect((await t.req('GET', `${PRODUCTS}/${other}`, { token: self })).status).to.equal(404)
    expect((await t.req('GET', `${PRODUCTS}/${other}/balance`, { token: self })).status).to.equal(404)
    expect((await t.req('GET', '/customerManagement/v4/customer/cust-2', { token: self })).status).to.equal(404)
    expect((await t.req('GET', '/customerManagement/v4/customer', { token: self })).body.map((c: any) => c.id)).to.deep.equal(['cust-1'])
    expect((await t.req('GET', '/resourceInventory/v1/sim', { token: self })).status).to.equal(403)
    // a selfcare token whose sub is the MSISDN works the same
    const byMsisdn = await token('selfcare', 'msisdn-491700000000')
    expect((await t.req('GET', PRODUCTS, { token: byMsisdn })).body.map((p: any) => p.id)).to.deep.equal([pid])
  })
  it('selfcare may change its own plan but not suspend it, nor touch another', async () => {
    const self = await token('selfcare', 'cust-1')
    const sus = await t.req('POST', '/productOrderingManagement/v4/productOrder', { token: self, body: { productOrderItem: [{ action: 'suspend', product: { id: pid } }] } })
    expect(sus.status).to.equal(403)
    const foreign = await t.req('POST', '/productOrderingManagement/v4/productOrder', { token: self, body: { productOrderItem: [{ action: 'modify', product: { id: other }, productOffering: { id: 'postpaid-50' } }] } })
    expect(foreign.status).to.equal(404)
    const mine = await t.req('POST', '/productOrderingManagement/v4/productOrder', { token: self, body: { productOrderItem: [{ action: 'modify', product: { id: pid }, productOffering: { id: 'postpaid-50' } }] } })
    expect(mine.status, mine.text).to.equal(201)
    expect(mine.body.state).to.equal('completed')
    expect((await t.req('GET', '/productOrderingManagement/v4/productOrder', { token: self })).body.map((o: any) => o.id)).to.deep.equal([mine.body.id])
  })
  it('unknown path 404; malformed JSON 400 naming the body', async () => {
    const r = await t.req('GET', '/nothing/here')
    expect(r.status).to.equal(404)
    expect(r.body.code).to.equal('NOT_FOUND')
    const bad = await t.req('POST', OFFERINGS, { raw: '{"name": ', contentType: 'application/json' })
    expect(bad.status).to.equal(400)
    expect(bad.body.field).to.equal('(body)')
  })
  it('/docs serves the OpenAPI document without credentials', async () => {
    const r = await fetch(`${t.url}/docs`)
    expect(r.status).to.equal(200)
    expect(await r.text()).to.match(/^openapi: 3\.0/)
    const j = await (await fetch(`${t.url}/docs/openapi.json`)).json()
    expect(j.paths).to.have.property('/productOrderingManagement/v4/productOrder')
  })
})

describe('BSS routes and openapi/bss.yaml agree', () => {
  it('every route the app serves is a documented path and method', async () => {
    const { openapiDoc } = await import('../../bss/http.ts')
    const { createBss } = await import('../../bss/index.ts')
    const { defaultConfig } = await import('../../config/defaults.ts')
    const pino = (await import('pino')).default
    const bss = createBss({ name: 'bss', config: defaultConfig(), store: { collection: () => ({ createIndex: async () => {} }) } as any, client: {} as any, outbox: {} as any, events: {} as any, peers: {} as any, log: pino({ level: 'silent' }), clock: () => new Date(), apiRoot: '' }, { noticePollMs: 0, renewalPollMs: 0 })
    const served: string[] = []
    const walk = (stack: any[]) => {
      for (const layer of stack) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) served.push(`${m.toUpperCase()} ${layer.route.path}`)
        else if (layer.handle?.stack) walk(layer.handle.stack)
      }
    }
    walk((bss.app as any).router.stack)
    const doc = openapiDoc()
    const documented = new Set<string>()
    for (const [p, ops] of Object.entries<any>(doc.paths)) for (const m of Object.keys(ops)) if (m !== 'parameters') documented.add(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)
    const undocumented = served.filter((r) => !['GET /healthz', 'GET /docs', 'GET /docs/openapi.json'].includes(r) && !documented.has(r))
    expect(served.length).to.be.greaterThan(30)
    expect(undocumented).to.deep.equal([])
  })
})
