/** Open5GS `subscribers` → our UDR (INTEROP §3.2): int32/int64 numbers, digits-only imsi, op/opc, ARP enums. */
import { expect } from 'chai'
import { Int32, Long } from 'mongodb'
import { UdrStore } from '../../nf/udr/store.ts'
import { importOpen5gsDocs, importOpen5gsSubscribers, mapOpen5gsSubscriber } from '../../nf/udr/import-open5gs.ts'
import { openTestStore, mongoAvailable } from '../helpers/store.ts'
import type { DocumentStore } from '../../store/port.ts'
import { K, OPC } from './fixtures.ts'

const KEK = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'

/** A subscriber as Open5GS's webui / open5gs-dbctl writes it (NumberInt, NumberLong). */
function o5Subscriber(imsi: string, over: Record<string, unknown> = {}) {
  return {
    schema_version: new Int32(1),
    imsi,
    msisdn: ['0900000001'],
    imeisv: [],
    security: { k: K, opc: null, op: 'cdc202d5123e20f62b6d676ac72cb318', amf: '8000', sqn: Long.fromNumber(97) },
    ambr: { downlink: { value: new Int32(1), unit: new Int32(3) }, uplink: { value: new Int32(500), unit: new Int32(2) } },
    slice: [
      {
        sst: new Int32(1),
        sd: '010203',
        default_indicator: true,
        session: [
          {
            name: 'internet',
            type: new Int32(3),
            qos: { index: new Int32(9), arp: { priority_level: new Int32(8), pre_emption_capability: new Int32(1), pre_emption_vulnerability: new Int32(2) } },
            ambr: { downlink: { value: new Int32(200), unit: new Int32(2) }, uplink: { value: new Int32(100), unit: new Int32(2) } },
            ue: { ipv4: '10.45.0.9' },
          },
          { name: 'ims', type: new Int32(1), qos: { index: new Int32(5), arp: { priority_level: new Int32(1), pre_emption_capability: new Int32(2), pre_emption_vulnerability: new Int32(1) } } },
        ],
      },
    ],
    access_restriction_data: 32,
    subscriber_status: 0,
    ...over,
  }
}

describe('Open5GS importer', () => {
  let store: DocumentStore
  let udr: UdrStore
  beforeEach(async () => {
    store = await openTestStore()
    udr = new UdrStore(store, { kek: KEK })
  })
  afterEach(async () => store.close())

  it('maps int32/int64 fields, OP → OPc, ambr units and ARP 1/2 to the 3GPP enums', () => {
    const m = mapOpen5gsSubscriber(o5Subscriber('999700000000001'))
    expect(m.supi).to.equal('imsi-999700000000001')
    expect(m.auth).to.deep.include({ encPermanentKey: K, encOpcKey: OPC, authenticationManagementField: '8000' })
    expect(m.auth.sequenceNumber).to.deep.equal({ sqnScheme: 'NON_TIME_BASED', sqn: '000000000061' })
    expect(m.amData).to.deep.equal({
      subscribedUeAmbr: { uplink: '500 Mbps', downlink: '1 Gbps' },
      nssai: { defaultSingleNssais: [{ sst: 1, sd: '010203' }] },
      gpsis: ['msisdn-0900000001'],
    })
    expect(m.smfSelData).to.deep.equal({ subscribedSnssaiInfos: { '01010203': { dnnInfos: [{ dnn: 'internet', defaultDnnIndicator: true }, { dnn: 'ims' }] } } })
    const internet = (m.smData[0].dnnConfigurations as any).internet
    expect(internet['5gQosProfile']).to.deep.equal({ '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' }, priorityLevel: 8 })
    expect(internet.pduSessionTypes.defaultSessionType).to.equal('IPV4V6')
    expect(internet.sessionAmbr).to.deep.equal({ uplink: '100 Mbps', downlink: '200 Mbps' })
    expect(internet.staticIpAddress).to.deep.equal([{ ipv4Addr: '10.45.0.9' }])
    expect((m.smData[0].dnnConfigurations as any).ims['5gQosProfile'].arp.preemptCap).to.equal('MAY_PREEMPT')
  })

  it('imports through the UDR repository (K/OPc sealed), skips existing subscribers, reports bad ones', async () => {
    const bad = o5Subscriber('999700000000003')
    ;(bad.slice[0].session[0].qos.arp as any).pre_emption_capability = new Int32(7)
    const docs = [
      o5Subscriber('999700000000001'),
      o5Subscriber('999700000000002', { security: { k: K, opc: OPC, amf: '8000', sqn: Long.fromNumber(0) } }),
      bad,
      o5Subscriber('imsi-999700000000004'),
    ]
    const r = await importOpen5gsDocs(docs, { udrStore: udr, servingPlmnId: '99970' })
    expect(r.imported).to.equal(2)
    expect(r.errors.map((e) => e.imsi)).to.deep.equal(['999700000000003', 'imsi-999700000000004'])
    expect(r.errors[0].error).to.contain('ARP')
    const auth = await udr.getAuthSubscription('imsi-999700000000002')
    expect(auth).to.deep.include({ encPermanentKey: K, encOpcKey: OPC })
    const raw = JSON.stringify(await store.collection('subscriptionData.authenticationData.authenticationSubscription').find({}))
    expect(raw).to.not.contain(K)
    expect(await udr.get('amData', { ueId: 'imsi-999700000000001', servingPlmnId: '99970' })).to.have.property('gpsis')
    expect(await udr.querySmData('imsi-999700000000001', '99970', { dnn: 'ims' })).to.have.length(1)
    const again = await importOpen5gsDocs([o5Subscriber('999700000000001')], { udrStore: udr })
    expect(again).to.deep.equal({ imported: 0, skipped: 1, errors: [] })
  })

  it('reads a real Open5GS database when MONGODB_URI is set', async function () {
    if (!mongoAvailable()) {
      console.log('      skipped: MONGODB_URI is not set, so no Open5GS database to read')
      return this.skip()
    }
    const { MongoClient } = await import('mongodb')
    const dbName = `o5_import_${Date.now().toString(36)}`
    const c = new MongoClient(process.env.MONGODB_URI!)
    await c.connect()
    try {
      await c.db(dbName).collection('subscribers').insertMany([o5Subscriber('999700000000011'), o5Subscriber('999700000000012')] as any[])
      const r = await importOpen5gsSubscribers({ uri: process.env.MONGODB_URI!, dbName, udrStore: udr, servingPlmnId: '99970' })
      expect(r).to.deep.equal({ imported: 2, skipped: 0, errors: [] })
    } finally {
      await c.db(dbName).dropDatabase()
      await c.close()
    }
  })
})
