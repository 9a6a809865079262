import { expect } from 'chai'
import { createPcf } from '../../nf/pcf/index.ts'
import { createUdr } from '../../nf/udr/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { f5SmCreate, o5AmCreate, PLAN, smPolicyData, SUPI } from './fixtures.ts'

describe('PCF with the real UDR (createUdr): a plan change written over Nudr_DR reaches the SMF and AMF', () => {
  let udr: TestNf
  let pcf: TestNf
  let smf: FakePeer

  before(async function () {
    this.timeout(120_000) // starting NFs compiles their OpenAPI documents: seconds on a loaded machine
    udr = await startTestNf(createUdr, { name: 'udr' })
    smf = await startFakePeer()
    pcf = await startTestNf(createPcf, { name: 'pcf', peers: { udr: [udr.url] } })
  })
  after(async () => {
    await pcf.close()
    await udr.close()
    await smf.close()
  })

  it('PUT policy-data sm-data at the UDR → update-notify at the SMF within a second, with the new sessRules', async () => {
    const put = await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/sm-data`, smPolicyData({ ...PLAN, policyCounterIds: [] }))
    expect(put.status, put.text).to.be.oneOf([200, 201, 204])
    const c = await pcf.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', f5SmCreate(smf.url))
    expect(c.status, c.text).to.equal(201)
    expect((Object.values(c.body.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })

    const t0 = Date.now()
    const change = await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/sm-data`, smPolicyData({ ...PLAN, policyCounterIds: [], sessAmbr: { uplink: '300 Mbps', downlink: '600 Mbps' } }))
    expect(change.status, change.text).to.be.oneOf([200, 201, 204])
    const n = await smf.waitFor((r) => r.path.endsWith('/update'), 1000)
    expect(Date.now() - t0).to.be.lessThan(1000)
    expect((Object.values(n.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '300 Mbps', downlink: '600 Mbps' })
    expect(n.body.resourceUri).to.equal(c.headers.location)
  })

  it('PUT policy-data am-data at the UDR → bodyless am-policy-notify at an Open5GS AMF', async () => {
    const amf = await startFakePeer()
    try {
      await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/am-data`, { subscCats: ['basic'], mvnoAmPolicy: { rfsp: 1 } })
      const c = await pcf.request('POST', '/npcf-am-policy-control/v1/policies', o5AmCreate(amf.url))
      expect(c.status, c.text).to.equal(201)
      expect(c.body.rfsp).to.equal(1)
      await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/am-data`, { subscCats: ['basic'], mvnoAmPolicy: { rfsp: 4 } })
      const n = await amf.waitFor((r) => r.path.endsWith('/am-policy-notify'), 3000)
      expect(n.body).to.equal(undefined)
      const g = await pcf.request('GET', new URL(c.headers.location as string).pathname)
      expect(g.body.rfsp).to.equal(4)
    } finally {
      await amf.close()
    }
  })
})
