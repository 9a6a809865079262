import { expect } from 'chai'
import { createPcf } from '../../nf/pcf/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { has3gppSpecs, validate3gpp } from '../helpers/schemas.ts'
import { f5AmCreate, o5AmCreate, postJson, resetAll, startFakeChf, startFakeUdr, SUPI, type FakeChf, type FakeUdr } from './fixtures.ts'

const AM = '/npcf-am-policy-control/v1'
const TS = 'TS29507_Npcf_AMPolicyControl.yaml'

function check(schema: string, v: unknown) {
  if (has3gppSpecs()) expect(validate3gpp(TS, schema, v), schema).to.deep.equal([])
}

describe('PCF Npcf_AMPolicyControl over HTTP/2 (free5GC and Open5GS AMF bodies)', () => {
  let udr: FakeUdr
  let chf: FakeChf
  let amf: FakePeer
  let pcf: TestNf

  before(async function () {
    this.timeout(120_000) // starting NFs compiles their OpenAPI documents: seconds on a loaded machine
    udr = await startFakeUdr()
    chf = await startFakeChf()
    amf = await startFakePeer()
    pcf = await startTestNf(createPcf, { name: 'pcf', peers: { udr: [udr.url], chf: [chf.url] } })
  })
  after(async () => {
    await pcf.close()
    await Promise.all([udr.close(), chf.close(), amf.close()])
  })
  beforeEach(async () => {
    await resetAll(pcf, udr, chf, amf)
    udr.amData.clear()
    udr.amData.set(SUPI, { subscCats: ['default'], mvnoAmPolicy: { rfsp: 2 } })
  })

  it('the fixtures are TS 29.507 PolicyAssociationRequests', function () {
    if (!has3gppSpecs()) this.skip() // ../shared/3gpp absent: cannot validate against the 3GPP schemas
    check('PolicyAssociationRequest', f5AmCreate(amf.url))
    check('PolicyAssociationRequest', o5AmCreate(amf.url))
  })

  for (const [name, body] of [
    ['free5GC', () => f5AmCreate(amf.url)],
    ['Open5GS', () => o5AmCreate(amf.url)],
  ] as const) {
    it(`${name} create: 201 + Location with /policies/{id} + suppFeat, rfsp from policy-data`, async () => {
      const res = await pcf.request('POST', `${AM}/policies`, body())
      expect(res.status, res.text).to.equal(201)
      const loc = new URL(res.headers.location as string)
      expect(loc.pathname).to.match(/^\/npcf-am-policy-control\/v1\/policies\/[^/]+$/)
      expect(res.body.suppFeat).to.be.a('string')
      expect(res.body.rfsp).to.equal(2)
      check('PolicyAssociation', res.body)
    })
  }

  it('answers only suppFeat when policy-data has no am-data', async () => {
    udr.amData.clear()
    const res = await pcf.request('POST', `${AM}/policies`, o5AmCreate(amf.url))
    expect(res.status).to.equal(201)
    expect(res.body).to.deep.equal({ suppFeat: '0' })
  })

  it('read, update (free5GC LOC_CH report) and DELETE', async () => {
    const c = await pcf.request('POST', `${AM}/policies`, f5AmCreate(amf.url))
    const path = new URL(c.headers.location as string).pathname
    const g = await pcf.request('GET', path)
    expect(g.status).to.equal(200)
    check('PolicyAssociation', g.body)
    const u = await pcf.request('POST', `${path}/update`, { triggers: ['LOC_CH'], userLoc: { nrLocation: { tai: { plmnId: { mcc: '999', mnc: '70' }, tac: '000002' }, ncgi: { plmnId: { mcc: '999', mnc: '70' }, nrCellId: '000000020' } } } })
    expect(u.status, u.text).to.equal(200)
    check('PolicyUpdate', u.body)
    expect(u.body.resourceUri).to.equal(c.headers.location)
    expect((await pcf.request('DELETE', path)).status).to.equal(204)
    expect((await pcf.request('GET', path)).status).to.equal(404)
    expect((await pcf.request('DELETE', path)).status).to.equal(404)
  })

  it('a re-registration replaces the stale association of the same SUPI and access type (Open5GS creates a second one)', async () => {
    const a = await pcf.request('POST', `${AM}/policies`, o5AmCreate(amf.url))
    const b = await pcf.request('POST', `${AM}/policies`, o5AmCreate(amf.url))
    expect((await pcf.request('GET', new URL(a.headers.location as string).pathname)).status).to.equal(404)
    expect((await pcf.request('GET', new URL(b.headers.location as string).pathname)).status).to.equal(200)
  })

  it('am-data change: free5GC gets {notificationUri}{polAssoId}/update with a PolicyUpdate, Open5GS a bodyless POST', async () => {
    const f5 = await pcf.request('POST', `${AM}/policies`, f5AmCreate(amf.url))
    const o5 = await pcf.request('POST', `${AM}/policies`, { ...o5AmCreate(amf.url), accessType: 'NON_3GPP_ACCESS' })
    const f5Id = new URL(f5.headers.location as string).pathname.split('/').pop()
    const notify = [...udr.subscriptions.values()].at(-1)!.notificationUri
    const amData = { mvnoAmPolicy: { rfsp: 5, ueAmbr: { uplink: '10 Mbps', downlink: '20 Mbps' } } }
    udr.amData.set(SUPI, amData)
    expect((await postJson(notify, [{ ueId: SUPI, amPolicyData: amData }])).status).to.equal(204)
    const a = await amf.waitFor((r) => r.path === `/namf-callback/v1/am-policy/${f5Id}/update`, 3000)
    check('PolicyUpdate', a.body)
    expect(a.body).to.deep.include({ resourceUri: f5.headers.location, rfsp: 5, ueAmbr: { uplink: '10 Mbps', downlink: '20 Mbps' } })
    expect(a.body.triggers).to.include('UE_AMBR_CH')
    const b = await amf.waitFor((r) => r.path === `/namf-callback/v1/${SUPI}/am-policy-notify`, 3000)
    expect(b.method).to.equal('POST')
    expect(b.body).to.equal(undefined)
    expect(b.contentType).to.equal(undefined)
    expect(o5.status).to.equal(201)
  })
})
