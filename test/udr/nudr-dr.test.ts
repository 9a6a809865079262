/**
 * Nudr_DR protocol tests: the requests free5GC's (/nudr-dr/v2) and Open5GS's (/nudr-dr/v1) UDM and PCF send
 * (INTEROP §1.5, §7.9), the fields they read, and the provisioning writes of the BSS.
 */
import { expect } from 'chai'
import { Writable } from 'node:stream'
import pino from 'pino'
import { createUdr } from '../../nf/udr/index.ts'
import { COLLECTIONS, UdrStore } from '../../nf/udr/store.ts'
import { SecretError } from '../../nf/udr/domain/secrets.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { AM_DATA, K, OPC, PLMN, SKIP_SCHEMAS, SUPI, loadValidator, provision, type Validate } from './fixtures.ts'

const JSON_PATCH = { contentType: 'application/json-patch+json' }

describe('UDR Nudr_DR', () => {
  let udr: TestNf
  let logLines: string[]
  let validate: Validate | undefined

  // One UDR for the file (mounting the document takes seconds); beforeEach re-provisions the subscriber.
  before(async () => {
    logLines = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk))
        cb()
      },
    })
    udr = await startTestNf((ctx) => {
      ctx.log = pino({ level: 'trace' }, sink)
      return createUdr(ctx)
    })
    validate = await loadValidator()
  })
  beforeEach(async () => {
    logLines.length = 0
    await provision(udr)
  })
  after(async () => udr.close())

  describe('authentication-subscription (UDM UEAU)', () => {
    it('answers free5GC UDM GET on v2 with K and OPc as plain 32-hex encPermanentKey/encOpcKey and the SQN', async function () {
      const r = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`)
      expect(r.status).to.equal(200)
      expect(r.body).to.include({ authenticationMethod: '5G_AKA', encPermanentKey: K, encOpcKey: OPC, authenticationManagementField: '8000' })
      expect(r.body.sequenceNumber.sqn).to.equal('000000000020')
      expect(r.body).to.not.have.property('protectionParameterId')
      expect(r.body).to.not.have.property('ueId')
      if (validate) expect(validate('TS29505_Subscription_Data.yaml', 'AuthenticationSubscription', r.body)).to.deep.equal([])
    })

    it('answers Open5GS UDM GET on v1 the same way', async () => {
      const r = await udr.request('GET', `/nudr-dr/v1/subscription-data/${SUPI}/authentication-data/authentication-subscription`)
      expect(r.status).to.equal(200)
      expect(r.body.encOpcKey).to.equal(OPC)
    })

    it('unknown subscriber → 404 USER_NOT_FOUND as problem+json', async () => {
      const r = await udr.request('GET', '/nudr-dr/v2/subscription-data/imsi-999700000009999/authentication-data/authentication-subscription')
      expect(r.status).to.equal(404)
      expect(String(r.headers['content-type'])).to.contain('application/problem+json')
      expect(r.body.cause).to.equal('USER_NOT_FOUND')
    })

    it('a PATCH of K re-seals it (the new K is read back; the SQN PATCH after it keeps it)', async () => {
      const path = `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`
      const K2 = '0396eb317b6d1c36f19c1c84cd6ffd16'
      expect((await udr.request('PATCH', path, [{ op: 'replace', path: '/encPermanentKey', value: K2 }], JSON_PATCH)).status).to.equal(204)
      expect((await udr.request('GET', path)).body.encPermanentKey).to.equal(K2)
      expect((await udr.request('PATCH', path, [{ op: 'replace', path: '/sequenceNumber/sqn', value: '000000000061' }], JSON_PATCH)).status).to.equal(204)
      const r = await udr.request('GET', path)
      expect(r.body).to.include({ encPermanentKey: K2, encOpcKey: OPC })
      expect(r.body.sequenceNumber.sqn).to.equal('000000000061')
    })

    it("applies free5GC's SQN PATCH ([replace /sequenceNumber {sqn}])", async () => {
      const path = `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`
      const p = await udr.request('PATCH', path, [{ op: 'replace', path: '/sequenceNumber', value: { sqnScheme: 'NON_TIME_BASED', sqn: '000000000041' } }], JSON_PATCH)
      expect(p.status).to.equal(204)
      const r = await udr.request('GET', path)
      expect(r.body.sequenceNumber.sqn).to.equal('000000000041')
      expect(r.body.encPermanentKey).to.equal(K)
    })

    it("applies Open5GS's SQN PATCH ([replace /sequenceNumber/sqn \"<12 hex>\"]) on v1", async () => {
      const path = `/nudr-dr/v1/subscription-data/${SUPI}/authentication-data/authentication-subscription`
      const p = await udr.request('PATCH', path, [{ op: 'replace', path: '/sequenceNumber/sqn', value: '0000000000a0' }], JSON_PATCH)
      expect(p.status).to.equal(204)
      expect((await udr.request('GET', path)).body.sequenceNumber.sqn).to.equal('0000000000a0')
    })

    it('honours RFC 6902 test ops: a stale test gives 409 and writes nothing', async () => {
      const path = `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`
      const bad = await udr.request('PATCH', path, [
        { op: 'test', path: '/sequenceNumber/sqn', value: '000000000001' },
        { op: 'replace', path: '/sequenceNumber/sqn', value: '000000000099' },
      ], JSON_PATCH)
      expect(bad.status).to.equal(409)
      expect(bad.body.cause).to.equal('MODIFICATION_NOT_ALLOWED')
      expect((await udr.request('GET', path)).body.sequenceNumber.sqn).to.equal('000000000020')
    })

    it('compare-and-set is atomic: of 20 concurrent PATCHes testing the same SQN exactly one wins', async () => {
      const path = `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          udr.request('PATCH', path, [
            { op: 'test', path: '/sequenceNumber/sqn', value: '000000000020' },
            { op: 'replace', path: '/sequenceNumber/sqn', value: (0x40 + i).toString(16).padStart(12, '0') },
          ], JSON_PATCH),
        ),
      )
      const won = results.filter((r) => r.status === 204)
      expect(won).to.have.length(1)
      expect(results.filter((r) => r.status === 409)).to.have.length(19)
    })

    it('keeps K and OPc encrypted at rest and out of logs, provisioning answers and notifications', async () => {
      const doc = await udr.store.collection(COLLECTIONS.authSubscription).findOne({ ueId: SUPI })
      expect(doc).to.not.equal(null)
      const raw = JSON.stringify(doc)
      expect(raw).to.not.contain(K)
      expect(raw).to.not.contain(OPC)
      expect(doc!.protectionParameterId).to.equal('mvno-kek-v1')
      expect(String(doc!.encPermanentKey)).to.match(/^[0-9a-f]{90,}$/)
      // a provisioning create answers without the secrets
      const other = await udr.request('PUT', '/nudr-dr/v2/subscription-data/imsi-999700000000002/authentication-data/authentication-subscription', {
        authenticationMethod: '5G_AKA', encPermanentKey: K, encOpKey: 'cdc202d5123e20f62b6d676ac72cb318',
      })
      expect(other.status).to.equal(201)
      expect(other.text).to.not.contain(K)
      // OP was turned into OPc (TS 35.208 set 1: OP cdc2… gives OPc cd63…)
      const g = await udr.request('GET', '/nudr-dr/v2/subscription-data/imsi-999700000000002/authentication-data/authentication-subscription')
      expect(g.body.encOpcKey).to.equal(OPC)
      const all = logLines.join('\n')
      expect(all).to.not.contain(K)
      expect(all).to.not.contain(OPC)
    })

    it('a wrong KEK cannot read the keys back (tampering or a KEK mix-up fails closed)', async () => {
      const wrong = new UdrStore(udr.store, { kek: 'ff'.repeat(32) })
      let err: unknown
      try {
        await wrong.getAuthSubscription(SUPI)
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(SecretError)
      expect(String((err as Error).message)).to.not.contain(K)
    })

    it('authentication-status PUT/GET/DELETE (Open5GS AUSF confirmation path)', async () => {
      const path = `/nudr-dr/v1/subscription-data/${SUPI}/authentication-data/authentication-status`
      const ev = { nfInstanceId: '9b1c1a4e-1b77-4b5f-9d1e-1e1f8f3b7a11', success: true, timeStamp: '2026-11-29T09:00:00Z', authType: '5G_AKA', servingNetworkName: '5G:mnc070.mcc999.3gppnetwork.org' }
      expect((await udr.request('PUT', path, ev)).status).to.equal(204)
      expect((await udr.request('GET', path)).body).to.deep.equal(ev)
      expect((await udr.request('DELETE', path)).status).to.equal(204)
      expect((await udr.request('GET', path)).status).to.equal(404)
      const unknown = await udr.request('PUT', '/nudr-dr/v1/subscription-data/imsi-999700000009999/authentication-data/authentication-status', ev)
      expect(unknown.status).to.equal(404)
      expect(unknown.body.cause).to.equal('USER_NOT_FOUND')
    })
  })

  describe('provisioned data (UDM SDM)', () => {
    it('serves am-data under v1 (Open5GS, servingPlmnId 99970) and v2 (free5GC) from one store', async function () {
      for (const base of ['/nudr-dr/v1', '/nudr-dr/v2']) {
        const r = await udr.request('GET', `${base}/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`)
        expect(r.status).to.equal(200)
        expect(r.body).to.deep.equal(AM_DATA)
      }
      if (!validate) return
      const r = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`)
      expect(validate('TS29503_Nudm_SDM.yaml', 'AccessAndMobilitySubscriptionData', r.body)).to.deep.equal([])
    })

    it('falls back to the stored serving PLMN when asked for another one (free5GC asks with the plmn-id of the AMF)', async () => {
      const r = await udr.request('GET', `/nudr-dr/v2/subscription-data/${SUPI}/20893/provisioned-data/am-data`)
      expect(r.status).to.equal(200)
      expect(r.body.nssai).to.deep.equal(AM_DATA.nssai)
    })

    it('stores free5GC document shapes: ueId + servingPlmnId, DNN keys escaped . → _', async () => {
      const am = await udr.store.collection(COLLECTIONS.amData).findOne({ ueId: SUPI })
      expect(am).to.include({ ueId: SUPI, servingPlmnId: PLMN })
      const sm = await udr.store.collection(COLLECTIONS.smData).find({ ueId: SUPI, servingPlmnId: PLMN })
      expect(sm).to.have.length(2)
      const slice = sm.find((d) => !(d.singleNssai as { sd?: string }).sd)!
      expect(Object.keys(slice.dnnConfigurations as object)).to.include('web_apn')
    })

    it('filters sm-data by single-nssai and dnn (JSON-encoded query), DNN keys unescaped', async () => {
      const base = `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/sm-data`
      const all = await udr.request('GET', base)
      expect(all.body).to.have.length(2)
      const one = await udr.request('GET', base, undefined, { query: { 'single-nssai': JSON.stringify({ sst: 1, sd: '010203' }), dnn: 'internet' } })
      expect(one.status).to.equal(200)
      expect(one.body).to.have.length(1)
      expect(one.body[0].singleNssai).to.deep.equal({ sst: 1, sd: '010203' })
      const web = await udr.request('GET', base, undefined, { query: { dnn: 'web.apn' } })
      expect(web.body).to.have.length(1)
      expect(web.body[0].dnnConfigurations).to.have.property('web.apn')
    })

    it('provisioning PATCH of sm-data (JSON patch rooted at the list), ARP still checked', async () => {
      const base = `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/sm-data`
      const p = await udr.request('PATCH', base, [{ op: 'replace', path: '/0/dnnConfigurations/internet/sessionAmbr/uplink', value: '7 Mbps' }], JSON_PATCH)
      expect(p.status).to.equal(204)
      const g = await udr.request('GET', base, undefined, { query: { 'single-nssai': JSON.stringify({ sst: 1, sd: '010203' }) } })
      expect(g.body[0].dnnConfigurations.internet.sessionAmbr.uplink).to.equal('7 Mbps')
      const bad = await udr.request('PATCH', base, [{ op: 'replace', path: '/0/dnnConfigurations/internet/5gQosProfile/arp/preemptVuln', value: 'SOMETIMES' }], JSON_PATCH)
      expect(bad.status).to.equal(400)
    })

    it('refuses an ARP outside the 3GPP enums (it would crash the Open5GS SMF)', async () => {
      const r = await udr.request('PUT', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/sm-data`, [
        { singleNssai: { sst: 1 }, dnnConfigurations: { internet: { pduSessionTypes: { defaultSessionType: 'IPV4' }, sscModes: { defaultSscMode: 'SSC_MODE_1' }, '5gQosProfile': { '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'MAYBE', preemptVuln: 'NOT_PREEMPTABLE' } } } } },
      ])
      expect(r.status).to.equal(400)
      expect(JSON.stringify(r.body)).to.contain('preemptCap')
    })

    it('answers smf-selection-subscription-data and the provisioned-data multi-set GET (Open5GS UDM)', async () => {
      const s = await udr.request('GET', `/nudr-dr/v1/subscription-data/${SUPI}/${PLMN}/provisioned-data/smf-selection-subscription-data`)
      expect(s.body.subscribedSnssaiInfos['01010203'].dnnInfos[0].dnn).to.equal('internet')
      const m = await udr.request('GET', `/nudr-dr/v1/subscription-data/${SUPI}/${PLMN}/provisioned-data`, undefined, { query: { 'dataset-names': 'AM,SMF_SEL' } })
      expect(m.status).to.equal(200)
      expect(Object.keys(m.body).sort()).to.deep.equal(['amData', 'smfSelData'])
    })

    it('provisioning PATCH (merge patch) and DELETE of am-data', async () => {
      const path = `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`
      const p = await udr.request('PATCH', path, { subscribedUeAmbr: { uplink: '5 Mbps' } }, { contentType: 'application/merge-patch+json' })
      expect(p.status).to.equal(204)
      expect((await udr.request('GET', path)).body.subscribedUeAmbr).to.deep.equal({ uplink: '5 Mbps', downlink: '2 Gbps' })
      expect((await udr.request('DELETE', path)).status).to.equal(204)
      const g = await udr.request('GET', path)
      expect(g.status).to.equal(404)
      expect(g.body.cause).to.equal('DATA_NOT_FOUND')
    })
  })

  describe('context data (UDM UECM)', () => {
    const amfReg = {
      amfInstanceId: 'a1b2c3d4-0000-4000-8000-000000000001',
      deregCallbackUri: 'http://127.0.0.5:7777/namf-callback/v1/imsi-999700000000001/dereg-notify',
      guami: { plmnId: { mcc: '999', mnc: '70' }, amfId: '020040' },
      ratType: 'NR',
      initialRegistrationInd: true,
    }

    it('amf-3gpp-access PUT/GET and Open5GS\'s PurgeFlag PATCH', async () => {
      const path = `/nudr-dr/v1/subscription-data/${SUPI}/context-data/amf-3gpp-access`
      const first = await udr.request('PUT', path, amfReg)
      expect(first.status).to.equal(201)
      expect((await udr.request('PUT', path, amfReg)).status).to.equal(204)
      const p = await udr.request('PATCH', path, [{ op: 'replace', path: 'PurgeFlag', value: true }], JSON_PATCH)
      expect(p.status).to.equal(204)
      const g = await udr.request('GET', path)
      expect(g.body).to.include({ purgeFlag: true, amfInstanceId: amfReg.amfInstanceId })
    })

    it('context data of an unknown subscriber → 404 USER_NOT_FOUND', async () => {
      const r = await udr.request('PUT', '/nudr-dr/v2/subscription-data/imsi-999700000009999/context-data/amf-3gpp-access', amfReg)
      expect(r.status).to.equal(404)
      expect(r.body.cause).to.equal('USER_NOT_FOUND')
    })

    it('smf-registrations PUT (201 then 204, TS 29.505) / GET list / DELETE', async () => {
      const base = `/nudr-dr/v2/subscription-data/${SUPI}/context-data/smf-registrations`
      const reg = { smfInstanceId: 'c0ffee00-0000-4000-8000-000000000001', pduSessionId: 5, singleNssai: { sst: 1, sd: '010203' }, dnn: 'internet', plmnId: { mcc: '999', mnc: '70' } }
      expect((await udr.request('PUT', `${base}/5`, reg)).status).to.equal(201)
      const again = await udr.request('PUT', `${base}/5`, reg)
      expect(again.status).to.equal(204)
      const list = await udr.request('GET', base)
      expect(list.body).to.have.length(1)
      expect(list.body[0]).to.include({ pduSessionId: 5, dnn: 'internet' })
      expect((await udr.request('DELETE', `${base}/5`)).status).to.equal(204)
      expect((await udr.request('DELETE', `${base}/5`)).status).to.equal(404)
    })
  })

  describe('policy-data (PCF)', () => {
    it('am-data, sm-data filtered by snssai and dnn, ue-policy-set', async () => {
      const base = `/nudr-dr/v1/policy-data/ues/${SUPI}`
      expect((await udr.request('PUT', `${base}/am-data`, { subscCats: ['gold'] })).status).to.be.oneOf([200, 201])
      expect((await udr.request('GET', `${base}/am-data`)).body).to.deep.equal({ subscCats: ['gold'] })
      const smPolicy = {
        smPolicySnssaiData: {
          '01010203': { snssai: { sst: 1, sd: '010203' }, smPolicyDnnData: { internet: { dnn: 'internet', online: true }, 'web.apn': { dnn: 'web.apn' } } },
          '01': { snssai: { sst: 1 }, smPolicyDnnData: { internet: { dnn: 'internet' } } },
        },
      }
      expect((await udr.request('PUT', `${base}/sm-data`, smPolicy)).status).to.be.oneOf([200, 201])
      const stored = await udr.store.collection(COLLECTIONS.policySmData).findOne({ ueId: SUPI })
      expect(Object.keys((stored!.smPolicySnssaiData as any)['01010203'].smPolicyDnnData)).to.include('web_apn')
      const f = await udr.request('GET', `${base}/sm-data`, undefined, { query: { snssai: JSON.stringify({ sst: 1, sd: '010203' }), dnn: 'web.apn' } })
      expect(Object.keys(f.body.smPolicySnssaiData)).to.deep.equal(['01010203'])
      expect(Object.keys(f.body.smPolicySnssaiData['01010203'].smPolicyDnnData)).to.deep.equal(['web.apn'])
      if (validate) expect(validate('TS29519_Policy_Data.yaml', 'SmPolicyData', f.body)).to.deep.equal([])
      expect((await udr.request('PUT', `${base}/ue-policy-set`, { subscCats: ['x'] })).status).to.be.oneOf([200, 201])
      expect((await udr.request('GET', `${base}/ue-policy-set`)).body).to.deep.equal({ subscCats: ['x'] })
    })
  })

  describe('subs-to-notify', () => {
    let peer: FakePeer
    beforeEach(async () => {
      peer = await startFakePeer()
    })
    afterEach(async () => peer.close())

    it('a provisioning change of am-data notifies a subscription-data subscriber with DataChangeNotify', async function () {
      const s = await udr.request('POST', '/nudr-dr/v2/subscription-data/subs-to-notify', {
        ueId: SUPI,
        callbackReference: `${peer.url}/udm-cb`,
        monitoredResourceUris: [`/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`],
      })
      expect(s.status).to.equal(201)
      expect(s.headers.location).to.match(new RegExp(`/nudr-dr/v2/subscription-data/subs-to-notify/${s.body.subscriptionId}$`))
      // a change elsewhere does not notify
      await udr.request('PUT', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/smf-selection-subscription-data`, { subscribedSnssaiInfos: {} })
      await udr.request('PATCH', `/nudr-dr/v2/subscription-data/${SUPI}/${PLMN}/provisioned-data/am-data`, [{ op: 'replace', path: '/subscribedUeAmbr/uplink', value: '2 Gbps' }], JSON_PATCH)
      const n = await peer.waitFor((r) => r.path === '/udm-cb', 5000)
      expect(n.method).to.equal('POST')
      expect(n.body.ueId).to.equal(SUPI)
      expect(n.body.notifyItems[0].resourceId).to.match(/\/nudr-dr\/v2\/subscription-data\/imsi-999700000000001\/99970\/provisioned-data\/am-data$/)
      expect(n.body.notifyItems[0].changes).to.deep.equal([{ op: 'REPLACE', path: '/subscribedUeAmbr/uplink', origValue: '1 Gbps', newValue: '2 Gbps' }])
      expect(peer.requests.filter((r) => r.path === '/udm-cb')).to.have.length(1)
      if (validate) expect(validate('TS29505_Subscription_Data.yaml', 'DataChangeNotify', n.body)).to.deep.equal([])
      expect((await udr.request('DELETE', `/nudr-dr/v2/subscription-data/subs-to-notify/${s.body.subscriptionId}`)).status).to.equal(204)
    })

    it('a policy-data change notifies the PCF with a PolicyDataChangeNotification list', async () => {
      const s = await udr.request('POST', '/nudr-dr/v1/policy-data/subs-to-notify', {
        notificationUri: `${peer.url}/pcf-cb`,
        monitoredResourceUris: [`http://udr.example/nudr-dr/v1/policy-data/ues/${SUPI}`],
      })
      expect(s.status).to.equal(201)
      await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/am-data`, { subscCats: ['silver'] })
      const n = await peer.waitFor((r) => r.path === '/pcf-cb', 5000)
      expect(n.body).to.be.an('array').with.length(1)
      expect(n.body[0]).to.deep.include({ ueId: SUPI, amPolicyData: { subscCats: ['silver'] } })
      if (validate) expect(validate('TS29519_Policy_Data.yaml', 'PolicyDataChangeNotification', n.body[0])).to.deep.equal([])
    })

    it('never puts K or OPc in a notification of the authentication subscription', async () => {
      await udr.request('POST', '/nudr-dr/v2/subscription-data/subs-to-notify', {
        callbackReference: `${peer.url}/all`,
        monitoredResourceUris: [`/subscription-data/${SUPI}`],
      })
      await udr.request('PATCH', `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`, [{ op: 'replace', path: '/encPermanentKey', value: '0'.repeat(32) }], JSON_PATCH)
      await udr.request('PATCH', `/nudr-dr/v2/subscription-data/${SUPI}/authentication-data/authentication-subscription`, [{ op: 'replace', path: '/sequenceNumber/sqn', value: '000000000099' }], JSON_PATCH)
      const n = await peer.waitFor((r) => r.path === '/all' && JSON.stringify(r.body).includes('000000000099'), 5000)
      for (const r of peer.requests) {
        expect(JSON.stringify(r.body)).to.not.contain(K)
        expect(JSON.stringify(r.body)).to.not.contain('0'.repeat(32))
      }
      expect(n.body.notifyItems[0].changes[0].path).to.equal('/sequenceNumber/sqn')
    })
  })

  it('has the 3GPP schemas to validate answers against', function () {
    if (!validate) {
      console.log(`      ${SKIP_SCHEMAS}`)
      this.skip()
    }
  })
})
