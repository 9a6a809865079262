/**
 * Subscription withdrawal (nf/udm/api/withdrawal.ts): the BSS terminates a subscriber by deleting its data at
 * the UDR; the AMF holding its registration gets DeregistrationData SUBSCRIPTION_WITHDRAWN, and the UDM stops
 * generating vectors at once although it had the credentials cached (udm.authSubscriptionCacheSeconds 30).
 */
import { expect } from 'chai'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { PLMN, SKIP_SCHEMAS, loadValidator, startUdrAndUdm, type UdmUnderTest, type Validate } from './sdm-uecm-fixtures.ts'
import { provision } from '../udr/fixtures.ts'

const SUPI = 'imsi-999700000000077'
const UDR = '/nudr-dr/v2'
const snn = '5G:mnc070.mcc999.3gppnetwork.org'

describe('UDM: subscription withdrawal (SUBSCRIPTION_WITHDRAWN)', function () {
  this.timeout(30_000)
  let t: UdmUnderTest
  let amf: FakePeer
  let validate: Validate | undefined
  before(async () => {
    t = await startUdrAndUdm()
    await provision(t.udr, SUPI)
    amf = await startFakePeer()
    validate = await loadValidator()
  })
  after(async () => {
    await amf?.close()
    await t?.close()
  })

  const authenticate = () =>
    t.udm.request('POST', `/nudm-ueau/v1/${SUPI}/security-information/generate-auth-data`, { servingNetworkName: snn, ausfInstanceId: '5f7c1b0e-2a4b-4c8e-9d2f-0a1b2c3d4e5f' })

  it('a registered UE whose data the BSS deletes: the AMF is told SUBSCRIPTION_WITHDRAWN, and no vector is generated any more', async () => {
    // Open5GS AMF registration, as INTEROP §1.5 records it
    const reg = {
      amfInstanceId: '05050505-0000-4000-8000-000000000077',
      deregCallbackUri: `${amf.url}/namf-callback/v1/${SUPI}/dereg-notify`,
      guami: { plmnId: { mcc: '999', mnc: '70' }, amfId: '020040' },
      ratType: 'NR',
      initialRegistrationInd: true,
    }
    expect((await t.udm.request('PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, reg)).status).to.equal(201)
    // a periodic re-registration renews the same watch at the UDR instead of adding one
    expect((await t.udm.request('PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, reg)).status).to.equal(200)
    const watches = (await t.udr.store.collection('udr.subscriptionDataSubscriptions').find({ ueKey: SUPI })).filter((s) =>
      String(s.callbackReference).endsWith('/nudm-callback/v1/subscription-withdrawn'),
    )
    expect(watches).to.have.length(1)

    const first = await authenticate()
    expect(first.status).to.equal(200) // credentials are now cached in the UDM

    // a plan change (am-data replaced) is not a withdrawal
    const amPath = `${UDR}/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`
    const am = (await t.udr.request('GET', amPath)).body
    expect((await t.udr.request('PUT', amPath, { ...am, subscribedUeAmbr: { uplink: '10 Mbps', downlink: '20 Mbps' } })).status).to.be.oneOf([200, 201, 204])
    await new Promise((r) => setTimeout(r, 300))
    expect(amf.requests.filter((r) => r.path.endsWith('/dereg-notify'))).to.have.length(0)

    // termination, in the BSS's order (reverse of provisioning): sm-data, smf-selection, am-data, authentication subscription
    for (const p of [`${PLMN}/provisioned-data/sm-data`, `${PLMN}/provisioned-data/smf-selection-subscription-data`, `${PLMN}/provisioned-data/am-data`]) {
      expect((await t.udr.request('DELETE', `${UDR}/subscription-data/${SUPI}/${p}`)).status).to.equal(204)
    }
    // between the am-data and the authentication-subscription deletions the UE may still authenticate...
    const got = await amf.waitFor((r) => r.path.endsWith('/dereg-notify'), 5000)
    expect(got.method).to.equal('POST')
    expect(got.path).to.equal(`/namf-callback/v1/${SUPI}/dereg-notify`)
    expect(got.body).to.deep.equal({ deregReason: 'SUBSCRIPTION_WITHDRAWN', accessType: '3GPP_ACCESS' })
    if (validate) expect(validate('TS29503_Nudm_UECM.yaml', 'DeregistrationData', got.body)).to.deep.equal([])
    else console.log(`      ${SKIP_SCHEMAS}`)
    // ...and its credentials are re-read from the UDR, not served from the cache, so the last deletion counts at once
    expect((await authenticate()).status).to.equal(200)
    expect((await t.udr.request('DELETE', `${UDR}/subscription-data/${SUPI}/authentication-data/authentication-subscription`)).status).to.equal(204)
    const after = await authenticate()
    expect(after.status).to.equal(404)
    expect(after.body.cause).to.equal('USER_NOT_FOUND')
  })

  it('an unregistered subscriber: nothing to notify, nothing fails', async () => {
    const other = 'imsi-999700000000078'
    await provision(t.udr, other)
    const before = amf.requests.length
    expect((await t.udr.request('DELETE', `${UDR}/subscription-data/${other}/${PLMN}/provisioned-data/am-data`)).status).to.equal(204)
    await new Promise((r) => setTimeout(r, 300))
    expect(amf.requests.length).to.equal(before)
  })
})
