/**
 * Nudm_SDM and Nudm_UECM protocol tests: the requests free5GC's and Open5GS's AMF and SMF send (INTEROP §1.4,
 * §7.1-7.11), the fields they read, and our answers against the TS 29.503 schemas. One UDR + UDM pair serves
 * the whole file (mounting the documents takes seconds on a loaded machine); SDM runs before UECM.
 */
import { expect } from 'chai'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { dnnConf } from '../udr/fixtures.ts'
import { PLMN, SKIP_SCHEMAS, SUPI, loadValidator, startUdrAndUdm, type UdmUnderTest, type Validate } from './sdm-uecm-fixtures.ts'

const SDM = '/nudm-sdm/v2'
const PLMN_Q = JSON.stringify({ mcc: '999', mnc: '70' })
const UNKNOWN = 'imsi-999700000009999'

const UECM = '/nudm-uecm/v1'
const GUAMI = { plmnId: { mcc: '999', mnc: '70' }, amfId: 'cafe00' }

describe('UDM over Nudr_DR', function () {
  const env = {} as { t: UdmUnderTest; validate: Validate | undefined }
  before(async function () {
    this.timeout(300_000)
    env.t = await startUdrAndUdm()
    env.validate = await loadValidator()
  })
  after(async () => env.t?.close())

describe('Nudm_SDM', () => {
  let t: UdmUnderTest
  let validate: Validate | undefined
  before(() => {
    t = env.t
    validate = env.validate
  })

  const check = (schema: string, v: unknown) => {
    if (validate) expect(validate('TS29503_Nudm_SDM.yaml', schema, v), schema).to.deep.equal([])
  }

  it('has the 3GPP schemas to validate answers against', function () {
    if (!validate) {
      console.log(`      ${SKIP_SCHEMAS}`)
      this.skip()
    }
  })

  it('free5GC AMF: GET am-data?plmn-id= → nssai, subscribedUeAmbr, gpsis', async () => {
    const r = await t.udm.request('GET', `${SDM}/${SUPI}/am-data`, undefined, { query: { 'plmn-id': PLMN_Q } })
    expect(r.status).to.equal(200)
    expect(r.body.subscribedUeAmbr).to.deep.equal({ uplink: '1 Gbps', downlink: '2 Gbps' })
    expect(r.body.gpsis).to.deep.equal(['msisdn-0900000001'])
    expect(r.body.nssai.defaultSingleNssais).to.deep.equal([{ sst: 1, sd: '010203' }])
    check('AccessAndMobilitySubscriptionData', r.body)
  })

  it('free5GC and Open5GS AMF: smf-select-data keyed both "01010203" and "1-010203"', async () => {
    const r = await t.udm.request('GET', `${SDM}/${SUPI}/smf-select-data`, undefined, { query: { 'plmn-id': PLMN_Q } })
    expect(r.status).to.equal(200)
    const infos = r.body.subscribedSnssaiInfos
    expect(infos['01010203'].dnnInfos[0]).to.deep.equal({ dnn: 'internet', defaultDnnIndicator: true })
    expect(infos['1-010203']).to.deep.equal(infos['01010203'])
    expect(infos['01'].dnnInfos[0].dnn).to.equal('web.apn')
    expect(infos['1']).to.deep.equal(infos['01'])
    check('SmfSelectionSubscriptionData', r.body)
  })

  it('Open5GS AMF (main): GET /{supi}?dataset-names=AM,SMF_SEL → {amData, smfSelData}', async () => {
    const r = await t.udm.request('GET', `${SDM}/${SUPI}`, undefined, { query: { 'dataset-names': 'AM,SMF_SEL', 'plmn-id': PLMN_Q } })
    expect(r.status).to.equal(200)
    expect(Object.keys(r.body).sort()).to.deep.equal(['amData', 'smfSelData'])
    expect(r.body.amData.nssai.defaultSingleNssais).to.have.length(1)
    expect(r.body.smfSelData.subscribedSnssaiInfos).to.have.property('1-010203')
    check('SubscriptionDataSets', r.body)
  })

  it('GET nssai and ue-context-in-smf-data', async () => {
    const n = await t.udm.request('GET', `${SDM}/${SUPI}/nssai`, undefined, { query: { 'plmn-id': PLMN_Q } })
    expect(n.status).to.equal(200)
    expect(n.body.defaultSingleNssais).to.deep.equal([{ sst: 1, sd: '010203' }])
    check('Nssai', n.body)
    const u = await t.udm.request('GET', `${SDM}/${SUPI}/ue-context-in-smf-data`)
    expect(u.status).to.equal(200)
    expect(u.body).to.deep.equal({})
    check('UeContextInSmfData', u.body)
  })

  it('free5GC/Open5GS SMF: sm-data filtered by single-nssai and dnn, the match at [0] with what both SMFs read', async () => {
    const r = await t.udm.request('GET', `${SDM}/${SUPI}/sm-data`, undefined, {
      query: { dnn: 'internet', 'plmn-id': PLMN_Q, 'single-nssai': JSON.stringify({ sst: 1, sd: '010203' }) },
    })
    expect(r.status).to.equal(200)
    expect(r.body).to.be.an('array').with.length(1)
    expect(r.body[0].singleNssai).to.deep.equal({ sst: 1, sd: '010203' })
    const conf = r.body[0].dnnConfigurations.internet
    expect(conf).to.include.keys('pduSessionTypes', 'sscModes', 'sessionAmbr', '5gQosProfile')
    expect(conf.sessionAmbr).to.deep.equal({ uplink: '100 Mbps', downlink: '200 Mbps' })
    expect(conf['5gQosProfile'].arp).to.deep.equal({ priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' })
    for (const item of r.body) check('SessionManagementSubscriptionData', item)
    const sstOnly = await t.udm.request('GET', `${SDM}/${SUPI}/sm-data`, undefined, {
      query: { dnn: 'web.apn', 'single-nssai': JSON.stringify({ sst: 1 }) },
    })
    expect(sstOnly.body[0].dnnConfigurations).to.have.property('web.apn')
    const none = await t.udm.request('GET', `${SDM}/${SUPI}/sm-data`, undefined, { query: { dnn: 'nope' } })
    expect(none.status).to.equal(404)
    expect(none.body.cause).to.equal('DATA_NOT_FOUND')
  })

  it('unknown subscriber → 404 USER_NOT_FOUND (problem+json) on every data set', async () => {
    for (const p of [`${UNKNOWN}/am-data`, `${UNKNOWN}/smf-select-data`, `${UNKNOWN}/sm-data`, `${UNKNOWN}/nssai`, `${UNKNOWN}?dataset-names=AM,SMF_SEL`]) {
      const r = await t.udm.request('GET', `${SDM}/${p}`)
      expect(r.status, p).to.equal(404)
      expect(String(r.headers['content-type'])).to.contain('application/problem+json')
      expect(r.body.cause, p).to.equal('USER_NOT_FOUND')
    }
    const s = await t.udm.request('POST', `${SDM}/${UNKNOWN}/sdm-subscriptions`, { nfInstanceId: '11111111-1111-4111-8111-111111111111' })
    expect(s.status).to.equal(404)
    expect(s.body.cause).to.equal('USER_NOT_FOUND')
  })

  it('free5GC AMF/SMF: sdm-subscriptions {nfInstanceId, plmnId} → 201 with subscriptionId in body and Location; DELETE', async () => {
    const r = await t.udm.request('POST', `${SDM}/${SUPI}/sdm-subscriptions`, { nfInstanceId: '5b1c0a9e-25a1-4d9f-8e0a-7a5e2f3c4d11', plmnId: { mcc: '999', mnc: '70' } })
    expect(r.status).to.equal(201)
    expect(r.body.subscriptionId).to.be.a('string').and.not.equal('')
    const loc = new URL(String(r.headers.location))
    const comps = loc.pathname.replace(/^\/nudm-sdm\/v2\//, '').split('/')
    expect(comps[0]).to.equal(SUPI)
    expect(comps[1]).to.equal('sdm-subscriptions')
    expect(comps[2]).to.equal(r.body.subscriptionId)
    check('SdmSubscription', { ...r.body, callbackReference: 'http://x/y', monitoredResourceUris: ['x'] })
    expect((await t.udm.request('DELETE', loc.pathname)).status).to.equal(204)
    const again = await t.udm.request('DELETE', loc.pathname)
    expect(again.status).to.equal(404)
  })

  describe('change notifications', () => {
    let amf: FakePeer
    beforeEach(async () => {
      amf = await startFakePeer()
    })
    afterEach(async () => amf.close())

    it('Open5GS AMF: a UDR am-data change reaches its sdmsubscription-notify as ModificationNotification with relative resourceId', async () => {
      const sub = await t.udm.request('POST', `${SDM}/${SUPI}/sdm-subscriptions`, {
        nfInstanceId: '6c1d0a9e-25a1-4d9f-8e0a-7a5e2f3c4d22',
        callbackReference: `${amf.url}/namf-callback/v1/${SUPI}/sdmsubscription-notify`,
        monitoredResourceUris: [`${SUPI}/am-data`],
        implicitUnsubscribe: true,
        uniqueSubscription: true,
      })
      expect(sub.status).to.equal(201)
      expect(String(sub.headers.location).split('/nudm-sdm/v2/')[1].split('/')[2]).to.equal(sub.body.subscriptionId)
      // an sm-data change is not what the AMF monitors
      await t.udr.request('PUT', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/sm-data`, [
        { singleNssai: { sst: 1, sd: '010203' }, dnnConfigurations: {} },
      ])
      // the plan change: the BSS patches am-data at the UDR
      const p = await t.udr.request('PATCH', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`,
        [{ op: 'replace', path: '/subscribedUeAmbr/uplink', value: '300 Mbps' }], { contentType: 'application/json-patch+json' })
      expect(p.status).to.equal(204)
      const n = await amf.waitFor((r) => r.path === `/namf-callback/v1/${SUPI}/sdmsubscription-notify`, 8000)
      expect(n.method).to.equal('POST')
      expect(n.body).to.deep.equal({
        notifyItems: [{ resourceId: `${SUPI}/am-data`, changes: [{ op: 'REPLACE', path: '/subscribedUeAmbr/uplink', origValue: '1 Gbps', newValue: '300 Mbps' }] }],
      })
      check('ModificationNotification', n.body)
      await new Promise((r) => setTimeout(r, 300))
      expect(amf.requests).to.have.length(1)

      // after unsubscribing, no more notifications
      expect((await t.udm.request('DELETE', new URL(String(sub.headers.location)).pathname)).status).to.equal(204)
      await t.udr.request('PATCH', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`,
        [{ op: 'replace', path: '/subscribedUeAmbr/uplink', value: '1 Gbps' }], { contentType: 'application/json-patch+json' })
      await new Promise((r) => setTimeout(r, 500))
      expect(amf.requests).to.have.length(1)
    })

    it('Open5GS SMF: uniqueSubscription per PDU session does not duplicate; an sm-data change notifies once with "{supi}/sm-data"', async () => {
      const body = {
        nfInstanceId: '7d1d0a9e-25a1-4d9f-8e0a-7a5e2f3c4d33',
        callbackReference: `${amf.url}/nsmf-callback/v1/sdmsubscription-notify/${SUPI}`,
        monitoredResourceUris: [`${SUPI}/sm-data`],
        dnn: 'internet',
        plmnId: { mcc: '999', mnc: '70' },
        singleNssai: { sst: 1, sd: '010203' },
        implicitUnsubscribe: true,
        uniqueSubscription: true,
      }
      const a = await t.udm.request('POST', `${SDM}/${SUPI}/sdm-subscriptions`, body)
      const b = await t.udm.request('POST', `${SDM}/${SUPI}/sdm-subscriptions`, body)
      expect(a.status).to.equal(201)
      expect(b.status).to.equal(201)
      expect(b.body.subscriptionId).to.not.equal(a.body.subscriptionId)
      await t.udr.request('PUT', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/sm-data`, [
        { singleNssai: { sst: 1, sd: '010203' }, dnnConfigurations: { internet: dnnConf('5 Mbps', '10 Mbps') } },
      ])
      const n = await amf.waitFor((r) => r.path.startsWith('/nsmf-callback/'), 8000)
      expect(n.body.notifyItems[0].resourceId).to.equal(`${SUPI}/sm-data`)
      expect(JSON.stringify(n.body.notifyItems[0].changes)).to.contain('5 Mbps')
      check('ModificationNotification', n.body)
      await new Promise((r) => setTimeout(r, 500))
      expect(amf.requests.filter((r) => r.path.startsWith('/nsmf-callback/'))).to.have.length(1)
      await t.udm.request('DELETE', `${SDM}/${SUPI}/sdm-subscriptions/${b.body.subscriptionId}`)
    })
  })
})

describe('Nudm_UECM', () => {
  let t: UdmUnderTest
  let validate: Validate | undefined
  let oldAmf: FakePeer
  before(async () => {
    t = env.t
    validate = env.validate
    oldAmf = await startFakePeer()
  })
  after(async () => oldAmf.close())
  const check = (schema: string, v: unknown) => {
    if (validate) expect(validate('TS29503_Nudm_UECM.yaml', schema, v), schema).to.deep.equal([])
  }

  it('has the 3GPP schemas to validate answers against', function () {
    if (!validate) {
      console.log(`      ${SKIP_SCHEMAS}`)
      this.skip()
    }
  })

  const f5Reg = () => ({
    amfInstanceId: 'f5f5f5f5-0000-4000-8000-000000000001',
    initialRegistrationInd: true,
    guami: GUAMI,
    ratType: 'NR',
    deregCallbackUri: `${oldAmf.url}/namf-callback/v1/deregistration/${SUPI}`,
    imsVoPs: 'HOMOGENEOUS_NON_SUPPORT',
  })
  const o5Reg = {
    amfInstanceId: '05050505-0000-4000-8000-000000000002',
    deregCallbackUri: `http://127.0.0.1:9/namf-callback/v1/${SUPI}/dereg-notify`,
    guami: { plmnId: { mcc: '999', mnc: '70' }, amfId: '020040' },
    ratType: 'NR',
    pei: 'imeisv-4370816125816151',
    initialRegistrationInd: true,
  }

  it('free5GC AMF: PUT amf-3gpp-access → 201 + Location, GET returns it; the same AMF again → 200', async () => {
    const r = await t.udm.request('PUT', `${UECM}/${SUPI}/registrations/amf-3gpp-access`, f5Reg())
    expect(r.status).to.equal(201)
    expect(String(r.headers.location)).to.match(new RegExp(`/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access$`))
    check('Amf3GppAccessRegistration', r.body)
    const g = await t.udm.request('GET', `${UECM}/${SUPI}/registrations/amf-3gpp-access`)
    expect(g.status).to.equal(200)
    expect(g.body).to.include({ amfInstanceId: f5Reg().amfInstanceId, ratType: 'NR' })
    check('Amf3GppAccessRegistration', g.body)
    const again = await t.udm.request('PUT', `${UECM}/${SUPI}/registrations/amf-3gpp-access`, f5Reg())
    expect(again.status).to.equal(200)
    expect(oldAmf.requests).to.have.length(0)
  })

  it('Open5GS AMF registering sends the previous AMF a DeregistrationData {deregReason, accessType} and ends its implicit SDM subscriptions', async () => {
    const implicit = await t.udm.request('POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, {
      nfInstanceId: f5Reg().amfInstanceId,
      callbackReference: `${oldAmf.url}/sdm-notify`,
      monitoredResourceUris: [`${SUPI}/am-data`],
      implicitUnsubscribe: true,
    })
    expect(implicit.status).to.equal(201)
    const r = await t.udm.request('PUT', `${UECM}/${SUPI}/registrations/amf-3gpp-access`, o5Reg)
    expect(r.status).to.equal(200)
    const n = await oldAmf.waitFor((x) => x.path === `/namf-callback/v1/deregistration/${SUPI}`, 8000)
    expect(n.method).to.equal('POST')
    expect(n.body).to.deep.equal({ deregReason: 'UE_INITIAL_REGISTRATION', accessType: '3GPP_ACCESS' })
    check('DeregistrationData', n.body)
    const left = await t.udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/context-data/sdm-subscriptions`)
    expect(left.body.map((x: any) => x.subscriptionId)).to.not.include(implicit.body.subscriptionId)
  })

  it('PATCH {guami, purgeFlag} as application/json (Open5GS) and application/merge-patch+json (free5GC); wrong GUAMI → 403', async () => {
    const path = `${UECM}/${SUPI}/registrations/amf-3gpp-access`
    const bad = await t.udm.request('PATCH', path, { guami: GUAMI, purgeFlag: true }, { contentType: 'application/json' })
    expect(bad.status).to.equal(403)
    expect(bad.body.cause).to.equal('INVALID_GUAMI')
    const o5 = await t.udm.request('PATCH', path, { guami: o5Reg.guami, purgeFlag: true }, { contentType: 'application/json' })
    expect(o5.status).to.equal(204)
    expect((await t.udm.request('GET', path)).body.purgeFlag).to.equal(true)
    const f5 = await t.udm.request('PATCH', path, { guami: o5Reg.guami, purgeFlag: false }, { contentType: 'application/merge-patch+json' })
    expect(f5.status).to.equal(204)
    expect((await t.udm.request('GET', path)).body.purgeFlag).to.equal(false)
    const other = await t.udm.request('PATCH', path, 'purgeFlag=true', { contentType: 'text/plain' })
    expect(other.status).to.equal(415)
  })

  it('unknown subscriber → 404 USER_NOT_FOUND; no registration → 404 CONTEXT_NOT_FOUND', async () => {
    const u = await t.udm.request('PUT', `${UECM}/imsi-999700000009999/registrations/amf-3gpp-access`, o5Reg)
    expect(u.status).to.equal(404)
    expect(u.body.cause).to.equal('USER_NOT_FOUND')
    await t.udr.request('PUT', '/nudr-dr/v2/subscription-data/imsi-999700000000077/99970/provisioned-data/am-data', { nssai: { defaultSingleNssais: [{ sst: 1 }] } })
    const c = await t.udm.request('PATCH', `${UECM}/imsi-999700000000077/registrations/amf-3gpp-access`, { guami: GUAMI, purgeFlag: true }, { contentType: 'application/merge-patch+json' })
    expect(c.status).to.equal(404)
    expect(c.body.cause).to.equal('CONTEXT_NOT_FOUND')
  })

  it('Open5GS SMF: PUT smf-registrations/{psi} → 201 + Location, 200 again; visible in SDM ue-context-in-smf-data; DELETE', async () => {
    const reg = { smfInstanceId: '5af5af5a-0000-4000-8000-000000000003', pduSessionId: 1, singleNssai: { sst: 1, sd: '010203' }, dnn: 'internet', plmnId: { mcc: '999', mnc: '70' } }
    const path = `${UECM}/${SUPI}/registrations/smf-registrations/1`
    const r = await t.udm.request('PUT', path, reg)
    expect(r.status).to.equal(201)
    expect(String(r.headers.location)).to.match(/\/nudm-uecm\/v1\/imsi-999700000000001\/registrations\/smf-registrations\/1$/)
    check('SmfRegistration', r.body)
    expect((await t.udm.request('PUT', path, reg)).status).to.equal(200)
    const one = await t.udm.request('GET', path)
    expect(one.body).to.include({ dnn: 'internet', pduSessionId: 1 })
    const list = await t.udm.request('GET', `${UECM}/${SUPI}/registrations/smf-registrations`)
    expect(list.body.smfRegistrationList).to.have.length(1)
    check('SmfRegistrationInfo', list.body)
    const ctx = await t.udm.request('GET', `/nudm-sdm/v2/${SUPI}/ue-context-in-smf-data`)
    expect(ctx.body.pduSessions['1']).to.deep.include({ dnn: 'internet', smfInstanceId: reg.smfInstanceId })
    if (validate) expect(validate('TS29503_Nudm_SDM.yaml', 'UeContextInSmfData', ctx.body)).to.deep.equal([])
    // free5GC's SMF only ever sends the DELETE
    expect((await t.udm.request('DELETE', path)).status).to.equal(204)
    const gone = await t.udm.request('DELETE', path)
    expect(gone.status).to.equal(404)
    expect(gone.body.cause).to.equal('CONTEXT_NOT_FOUND')
  })
})
})
