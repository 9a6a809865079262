/**
 * The BSS with the colleagues' real NFs (createUdr, createPcf, createChf with its gRPC AccountService) on one
 * store: an order provisions the real UDR and CHF; a plan change reaches a test SMF as an SM policy
 * update-notify with the new AMBR, and the CHF grants from the new plan's bundles.
 */
import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import { createPcf } from '../../nf/pcf/index.ts'
import { createUdr } from '../../nf/udr/index.ts'
import type { DocumentStore } from '../../store/port.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { openTestStore } from '../helpers/store.ts'
import { f5SmCreate } from '../pcf/fixtures.ts'
import { f5Create, f5Update } from '../chf/fixtures.ts'
import { K, newOrder, OPC, seed, startBssTest, type BssTest } from './harness.ts'

const SUPI = 'imsi-999700000000001'

describe('BSS journey with the real UDR, PCF and CHF', function () {
  // Starting the real UDR compiles its OpenAPI document (~20 s on this box).
  this.timeout(120000)
  let store: DocumentStore
  let udr: TestNf
  let pcf: TestNf
  let chf: TestNf
  let smf: FakePeer
  let grpcServer: grpc.Server
  let t: BssTest

  before(async () => {
    store = await openTestStore()
    udr = await startTestNf(createUdr, { name: 'udr', store })
    chf = await startTestNf(createChf, { name: 'chf', store })
    pcf = await startTestNf(createPcf, { name: 'pcf', store, peers: { udr: [udr.url], chf: [chf.url] } })
    smf = await startFakePeer()
    grpcServer = new grpc.Server()
    chf.module.registerGrpc!(grpcServer)
    const port = await new Promise<number>((res, rej) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))))
    t = await startBssTest({ store, udrUrl: udr.url, chfAddress: `127.0.0.1:${port}` })
    await seed(t)
  })
  after(async () => {
    await t?.close()
    grpcServer?.forceShutdown()
    await pcf?.close()
    await chf?.close()
    await udr?.close()
    await smf?.close()
    await store?.close()
  })

  it('a new subscription lands in the real UDR (K/OPc readable by the UDM) and the real CHF', async () => {
    const r = await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder('prepaid-10') })
    expect(r.body.state, JSON.stringify(r.body.failure ?? r.body.saga)).to.equal('completed')
    const auth = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`)
    expect(auth.status, auth.text).to.equal(200)
    expect(auth.body.encPermanentKey).to.equal(K)
    expect(auth.body.encOpcKey).to.equal(OPC)
    const am = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/99970/provisioned-data/am-data`)
    expect(am.status, am.text).to.equal(200)
    expect(am.body.gpsis).to.deep.equal(['msisdn-491700000000'])
    const sm = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/99970/provisioned-data/sm-data`)
    expect(sm.status, sm.text).to.equal(200)
    const bal = await t.req('GET', `/productInventory/v4/product/${r.body.product.id}/balance`)
    expect(bal.status, bal.text).to.equal(200)
    expect(bal.body.totalBalance.amount).to.equal(500)
    expect(bal.body.bucket.map((b: any) => b.id)).to.deep.equal(['prepaid-10:10:VOLUME'])
  })

  it('plan change: the SMF gets update-notify with the new AMBR, and the CHF grants from the new bundles', async () => {
    const pid = (await t.req('GET', '/productInventory/v4/product')).body[0].id
    const c = await pcf.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', f5SmCreate(smf.url))
    expect(c.status, c.text).to.equal(201)
    expect((Object.values(c.body.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })

    const m = await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: { productOrderItem: [{ action: 'modify', product: { id: pid }, productOffering: { id: 'postpaid-50' } }] } })
    expect(m.body.state, JSON.stringify(m.body.failure ?? m.body.saga)).to.equal('completed')
    const n = await smf.waitFor((x) => x.path.endsWith('/update') && JSON.stringify(x.body).includes('500 Mbps'), 3000)
    expect((Object.values(n.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '200 Mbps', downlink: '500 Mbps' })

    const open = await chf.request('POST', '/nchf-convergedcharging/v3/chargingdata', f5Create(SUPI, 'urn:uuid:aaaaaaaa-2222-4333-8444-555555555555', smf.url))
    expect(open.status, open.text).to.equal(201)
    const ref = String(open.headers.location).split('/').pop()
    const up = await chf.request('POST', `/nchf-convergedcharging/v3/chargingdata/${ref}/update`, f5Update(SUPI, [{ rg: 10, requested: 1_000_000 }]))
    expect(up.status, up.text).to.equal(200)
    const granted = up.body.multipleUnitInformation[0].grantedUnit.totalVolume
    expect(granted).to.be.greaterThan(0)
    const acct = await (chf.module as ChfModule).chfStore.getAccount(SUPI)
    const bundles = Object.values(acct!.bundles) as any[]
    expect(bundles.map((b) => b.id)).to.deep.equal(['postpaid-50:10:VOLUME'])
    expect(bundles[0].reserved).to.equal(granted) // granted from the new plan's bundle, no money reserved
  })

  it('suspend bars at the PCF (policy-data) and the CHF; terminate deletes from both', async () => {
    const pid = (await t.req('GET', '/productInventory/v4/product')).body[0].id
    const s = await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: { productOrderItem: [{ action: 'suspend', product: { id: pid } }] } })
    expect(s.body.state, JSON.stringify(s.body.failure ?? s.body.saga)).to.equal('completed')
    const pol = await udr.request('GET', `/nudr-dr/v2/policy-data/ues/${SUPI}/sm-data`)
    expect(pol.body.mvnoSubscriberState).to.equal('SUSPENDED')
    const d = await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: { productOrderItem: [{ action: 'delete', product: { id: pid } }] } })
    expect(d.body.state, JSON.stringify(d.body.failure ?? d.body.saga)).to.equal('completed')
    expect((await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`)).status).to.equal(404)
    expect(await (chf.module as ChfModule).chfStore.getAccount(SUPI)).to.equal(null)
    const hist = await t.req('GET', `/productInventory/v4/product/${pid}/event?type=chf.*`)
    expect(hist.body.map((e: any) => e.eventType)).to.include.members(['chf.account.created', 'chf.plan.changed', 'chf.account.barred', 'chf.account.deleted'])
  })
})
