/**
 * Discovery against the NRF test double: query parameters, ranking across free5GC- and
 * Open5GS-shaped profiles, caching for validityPeriod, eviction on an NF_DEREGISTERED notification
 * delivered over HTTP/2 to our callback (served by the real SBI server), fall-backs when the NRF is
 * away, and SCP routing headers.
 */
import { expect } from 'chai'
import { createSbiServer, type SbiServer } from '../../nf/sbi/server.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import { startFakePeer } from '../helpers/h2.ts'
import { NrfDouble, type Profile } from './nrf-double.ts'
import { harness, log, pcfModule, testConfig, until, type Harness } from './setup.ts'
import { has3gppSpecs, validate3gpp } from './schemas.ts'

const PCF_ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e'
const UDR_A = '9b2e6f1c-1c52-4a8e-9f0a-0c6b7a1d2e01'
const UDR_B = '9b2e6f1c-1c52-4a8e-9f0a-0c6b7a1d2e02'

/** A free5GC-style UDR (nfServices list with apiPrefix). */
const f5Udr = (id: string, port: number, priority = 0): Profile => ({
  nfInstanceId: id,
  nfType: 'UDR',
  nfStatus: 'REGISTERED',
  ipv4Addresses: ['127.0.0.2'],
  priority,
  capacity: 100,
  nfServices: [{ serviceInstanceId: '0', serviceName: 'nudr-dr', versions: [{ apiVersionInUri: 'v1', apiFullVersion: '1.0.0' }], scheme: 'http', nfServiceStatus: 'REGISTERED', apiPrefix: `http://127.0.0.2:${port}` }],
})

/** An Open5GS-style UDR (nfServiceList map, ipEndPoints only). */
const o5Udr = (id: string, port: number, priority = 0): Profile => ({
  nfInstanceId: id,
  nfType: 'UDR',
  nfStatus: 'REGISTERED',
  ipv4Addresses: ['127.0.0.3'],
  priority,
  capacity: 100,
  nfServiceList: {
    [`${id}-svc`]: { serviceInstanceId: `${id}-svc`, serviceName: 'nudr-dr', versions: [{ apiVersionInUri: 'v1', apiFullVersion: '1.0.0' }], scheme: 'http', nfServiceStatus: 'REGISTERED', ipEndPoints: [{ ipv4Address: '127.0.0.3', port }] },
  },
})

describe('nrf-client: discovery (NRF test double)', function () {
  this.timeout(20000)
  let nrf: NrfDouble
  let h: Harness
  let callback: SbiServer | undefined
  let now: number

  before(async function () {
    if (has3gppSpecs()) await validate3gpp('TS29510_Nnrf_NFManagement.yaml', 'NFProfile', {})
  })

  beforeEach(async () => {
    nrf = await new NrfDouble({ heartBeatTimer: 5, validityPeriod: 30 }).start()
    now = Date.parse('2026-01-01T00:00:00Z')
  })

  afterEach(async () => {
    await h?.close()
    await callback?.close()
    callback = undefined
    await nrf.close()
    expect(nrf.violations, 'requests that broke TS 29.510').to.deep.equal([])
  })

  /** A PCF registered at the double, with its NRF callback served by the real SBI server. */
  async function registeredPcf(over: Parameters<typeof testConfig>[0] = {}): Promise<void> {
    h = await harness(testConfig({ nrf: { uri: nrf.url }, ...over }), { clock: () => new Date(now) })
    callback = createSbiServer({ nf: 'pcf', host: '127.0.0.1', port: 0, services: [h.nrf.callbackService], log })
    const apiRoot = await callback.listen()
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot, nfInstanceId: PCF_ID })
    await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
  }

  it('queries with target/requester types, service name and filters; ranks both NRF shapes by priority', async () => {
    await registeredPcf()
    nrf.addProfile(f5Udr(UDR_A, 8000, 2))
    nrf.addProfile(o5Udr(UDR_B, 7777, 1))
    const roots = await h.nrf.peersFor('pcf').apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr', supi: 'imsi-999700000000001', dnn: 'internet', snssais: [{ sst: 1, sd: '010203' }] })
    expect(roots).to.deep.equal(['http://127.0.0.3:7777', 'http://127.0.0.2:8000'])
    const get = nrf.requests('GET', '/nnrf-disc/v1/nf-instances')[0]
    const q = Object.fromEntries(new URL(get.path, 'http://x').searchParams)
    expect(q).to.deep.include({
      'target-nf-type': 'UDR',
      'requester-nf-type': 'PCF',
      'service-names': 'nudr-dr',
      'requester-nf-instance-id': PCF_ID,
      supi: 'imsi-999700000000001',
      dnn: 'internet',
      snssais: '[{"sst":1,"sd":"010203"}]',
    })
  })

  it('answers from the cache until validityPeriod runs out, then asks again', async () => {
    await registeredPcf()
    nrf.addProfile(f5Udr(UDR_A, 8000))
    const t = { nfType: 'UDR' as const, serviceName: 'nudr-dr' }
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:8000'])
    now += 29_000
    nrf.addProfile(o5Udr(UDR_B, 7777, 0))
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:8000'])
    expect(nrf.requests('GET', '/nnrf-disc/')).to.have.length(1)
    now += 2_000
    expect((await h.nrf.peersFor('pcf').apiRoots(t)).sort()).to.deep.equal(['http://127.0.0.2:8000', 'http://127.0.0.3:7777'])
    expect(nrf.requests('GET', '/nnrf-disc/')).to.have.length(2)
  })

  it('subscribes to status changes and drops an instance from the cache at once on NF_DEREGISTERED', async () => {
    await registeredPcf()
    nrf.addProfile(f5Udr(UDR_A, 8000))
    nrf.addProfile(f5Udr(UDR_B, 8001))
    const t = { nfType: 'UDR' as const, serviceName: 'nudr-dr' }
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.have.length(2)
    const sub = await nrf.waitFor((r) => r.method === 'POST' && r.path === '/nnrf-nfm/v1/subscriptions')
    expect(sub.body).to.deep.include({ nfStatusNotificationUri: `${callback!.url}/nnrf-nfm/v1/nf-status-notify`, reqNfType: 'PCF', reqNfInstanceId: PCF_ID, subscrCond: { nfType: 'UDR' } })
    await until(() => nrf.subscriptions.size === 1)

    const gone = nrf.profiles.get(UDR_A)!
    nrf.profiles.delete(UDR_A)
    await nrf.notify('NF_DEREGISTERED', gone)
    expect(nrf.notificationsSent.map((n) => n.status)).to.deep.equal([204])
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:8001'])
    expect(nrf.requests('GET', '/nnrf-disc/'), 'answered from the cache').to.have.length(1)

    // NF_PROFILE_CHANGED with the full profile replaces it in place.
    const changed = { ...nrf.profiles.get(UDR_B)!, nfServices: [{ ...nrf.profiles.get(UDR_B)!.nfServices[0], apiPrefix: 'http://127.0.0.2:9999' }] }
    await nrf.notify('NF_PROFILE_CHANGED', changed)
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:9999'])

    // The subscription goes away with us (free5GC's NRF fails registrations while a subscriber is gone).
    await h.close()
    expect(nrf.subscriptions.size).to.equal(0)
  })

  it('uses the stale cache while the NRF is away, and static peers when it knows nothing', async () => {
    await registeredPcf({ peers: { udr: ['http://127.0.0.9:29504'], chf: ['http://127.0.0.9:29594'] } })
    nrf.addProfile(f5Udr(UDR_A, 8000))
    const t = { nfType: 'UDR' as const, serviceName: 'nudr-dr' }
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:8000'])
    expect(await h.nrf.peersFor('pcf').apiRoots({ nfType: 'CHF', serviceName: 'nchf-spendinglimitcontrol' })).to.deep.equal(['http://127.0.0.9:29594'])
    await nrf.goAway()
    now += 60_000
    expect(await h.nrf.peersFor('pcf').apiRoots(t)).to.deep.equal(['http://127.0.0.2:8000'])
    expect(await h.nrf.peersFor('pcf').apiRoots({ nfType: 'UDM', serviceName: 'nudm-sdm' })).to.deep.equal([])
    await nrf.comeBack(false)
  })
})

describe('nrf-client: SCP (indirect communication, model D)', function () {
  this.timeout(20000)

  it('routes consumer calls to the SCP with 3gpp-Sbi-Discovery-* headers, and callbacks with 3gpp-Sbi-Target-apiRoot', async () => {
    const scp = await startFakePeer(() => ({ status: 200, body: { ok: true } }))
    const nrf = await new NrfDouble({ heartBeatTimer: 5 }).start()
    const h = await harness(testConfig({ nrf: { uri: nrf.url }, scp: { uri: scp.url } }))
    const client = createSbiClient({ log })
    try {
      await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
      await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
      const target = { nfType: 'UDR' as const, serviceName: 'nudr-dr', supi: 'imsi-999700000000001' }
      const roots = await h.nrf.peersFor('pcf').apiRoots(target)
      expect(roots).to.deep.equal([scp.url])
      expect(nrf.requests('GET', '/nnrf-disc/'), 'the SCP discovers, not us').to.have.length(0)

      // How a consumer uses it: paths onto the apiRoots, plus scpHeaders(target).
      await client.request({ method: 'GET', uri: roots.map((r) => `${r}/nudr-dr/v1/policy-data/ues/imsi-999700000000001/sm-data`), headers: h.nrf.scpHeaders(target, 'pcf') })
      const got = await scp.waitFor((r) => r.path.startsWith('/nudr-dr/v1/'))
      expect(got.headers).to.deep.include({
        '3gpp-sbi-discovery-target-nf-type': 'UDR',
        '3gpp-sbi-discovery-service-names': 'nudr-dr',
        '3gpp-sbi-discovery-requester-nf-type': 'PCF',
        '3gpp-sbi-discovery-requester-nf-instance-id': PCF_ID,
        '3gpp-sbi-discovery-supi': 'imsi-999700000000001',
        'user-agent': 'PCF',
      })
      expect(got.headers).to.not.have.property('3gpp-sbi-target-apiroot')

      // A notification to a known callback URI goes through the SCP with the target apiRoot.
      const cb = h.nrf.route('http://10.0.0.7:7777/nsmf-callback/v1/sm-policy-notify/1/update')
      expect(cb).to.deep.equal({ uri: `${scp.url}/nsmf-callback/v1/sm-policy-notify/1/update`, headers: { '3gpp-sbi-target-apiroot': 'http://10.0.0.7:7777' } })
      await client.request({ method: 'POST', uri: cb.uri, headers: cb.headers, body: {} })
      const n = await scp.waitFor((r) => r.path.startsWith('/nsmf-callback/'))
      expect(n.headers['3gpp-sbi-target-apiroot']).to.equal('http://10.0.0.7:7777')
      expect(nrf.violations).to.deep.equal([])
    } finally {
      await h.close()
      await client.close()
      await nrf.close()
      await scp.close()
    }
  })

  it('without an SCP, scpHeaders is empty and route() leaves the URI alone', async () => {
    const h = await harness(testConfig({}))
    try {
      expect(h.nrf.scpHeaders({ nfType: 'UDR', serviceName: 'nudr-dr' })).to.deep.equal({})
      expect(h.nrf.route('http://10.0.0.7:7777/x')).to.deep.equal({ uri: 'http://10.0.0.7:7777/x', headers: {} })
    } finally {
      await h.close()
    }
  })
})
