/**
 * Registration lifecycle against the NRF test double over real HTTP/2: register (201, then 200 on
 * re-PUT), heart-beat cadence at the NRF's timer, re-registration after a 404, back-off while the
 * NRF is away and recovery, profile PATCH on change, deregistration on stop (what SIGTERM runs).
 */
import { expect } from 'chai'
import { NrfDouble } from './nrf-double.ts'
import { harness, pcfModule, sleep, testConfig, udrModule, until, type Harness } from './setup.ts'
import { has3gppSpecs, validate3gpp } from './schemas.ts'

const UDR_ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6'
const PCF_ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e'

describe('nrf-client: registration lifecycle (NRF test double)', function () {
  this.timeout(20000)
  let nrf: NrfDouble
  let h: Harness

  before(async function () {
    // Compile the 3GPP schemas once, outside the timed tests.
    if (has3gppSpecs()) await validate3gpp('TS29510_Nnrf_NFManagement.yaml', 'NFProfile', {})
  })

  beforeEach(async () => {
    nrf = await new NrfDouble({ heartBeatTimer: 1 }).start()
  })

  afterEach(async () => {
    await h?.close()
    await nrf.close()
    expect(nrf.violations, 'requests that broke TS 29.510').to.deep.equal([])
  })

  it('registers with PUT (201), adopts the NRF heartBeatTimer and heart-beats with json-patch at that cadence', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url, heartBeatTimer: 10 } }))
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    const put = await nrf.waitFor((r) => r.method === 'PUT')
    await until(() => nrf.statusOf(put) !== undefined)
    expect(nrf.statusOf(put)).to.equal(201)
    expect(put.path).to.equal(`/nnrf-nfm/v1/nf-instances/${UDR_ID}`)
    expect(put.body).to.include({ nfInstanceId: UDR_ID, nfType: 'UDR', nfStatus: 'REGISTERED', heartBeatTimer: 10 })
    expect(put.body.nfServices[0].versions.map((v: { apiVersionInUri: string }) => v.apiVersionInUri)).to.deep.equal(['v1', 'v2'])
    expect(put.body.udrInfo).to.deep.equal({ supportedDataSets: ['SUBSCRIPTION', 'POLICY'] })
    await until(() => nrf.requests('PATCH', '/nnrf-nfm/v1/nf-instances/').length >= 3, 5000, 'three heart-beats')
    const beats = nrf.requests('PATCH', '/nnrf-nfm/v1/nf-instances/')
    expect(beats[0].contentType).to.equal('application/json-patch+json')
    expect(beats[0].body).to.deep.equal([{ op: 'replace', path: '/nfStatus', value: 'REGISTERED' }])
    // heartBeatTimer 1 s from the NRF (not our 10 s): beats 0.8 s apart, never later than the timer.
    const gaps = beats.slice(1).map((b, i) => b.receivedAt - beats[i].receivedAt)
    for (const g of gaps) expect(g).to.be.within(600, 1000)
    expect(h.nrf.registrationState('udr')).to.deep.equal({ kind: 'registered', heartBeatSec: 1 })
  })

  it('answers 201 to the first PUT and 200 when the same instance registers again (restart after a crash)', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    await until(() => h.nrf.registrationState('udr')?.kind === 'registered')
    // The crashed process never sent DELETE; its successor registers the same (stored) instance id.
    const again = await harness(testConfig({ nrf: { uri: nrf.url } }))
    try {
      await again.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
      await until(() => again.nrf.registrationState('udr')?.kind === 'registered')
    } finally {
      await again.close()
    }
    const puts = nrf.requests('PUT', '/nnrf-nfm/v1/nf-instances/')
    expect(puts.map((r) => nrf.statusOf(r))).to.deep.equal([201, 200])
  })

  it('re-registers with PUT when a heart-beat answers 404 (the NRF forgot us)', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await nrf.waitFor((r) => r.method === 'PATCH')
    nrf.forget()
    const n = nrf.log.length
    await until(() => nrf.profiles.has(PCF_ID), 5000, 're-registration')
    const after = nrf.log.slice(n)
    const notFound = after.findIndex((r) => r.method === 'PATCH')
    const rePut = after.findIndex((r) => r.method === 'PUT')
    expect(notFound).to.be.greaterThan(-1)
    expect(rePut).to.be.greaterThan(notFound)
    // Heart-beats resume on the new registration.
    const puts = nrf.requests('PUT', '/').length
    await until(() => nrf.log.slice(n + rePut + 1).some((r) => r.method === 'PATCH'), 3000, 'heart-beat after re-registration')
    expect(nrf.requests('PUT', '/').length).to.equal(puts)
  })

  it('keeps retrying with back-off while the NRF is away, and registers again when it comes back', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    await nrf.waitFor((r) => r.method === 'PATCH')
    await nrf.goAway()
    await until(() => h.nrf.registrationState('udr')?.kind === 'registering', 3000, 'registering state')
    await sleep(1200)
    const state = h.nrf.registrationState('udr')
    expect(state?.kind).to.equal('registering')
    // 100, 200, 400, 400 … ms: a few attempts, not a busy loop.
    expect((state as { attempt: number }).attempt).to.be.within(2, 8)
    await nrf.comeBack(true)
    await until(() => nrf.profiles.has(UDR_ID), 3000, 're-registration after the outage')
    await until(() => h.nrf.registrationState('udr')?.kind === 'registered')
    await nrf.waitFor((r) => r.method === 'PATCH')
  })

  it('register() returns at once and never throws when the NRF is down from the start', async () => {
    await nrf.goAway()
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    const t0 = Date.now()
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    expect(Date.now() - t0).to.be.below(100)
    await sleep(300)
    expect(h.nrf.registrationState('udr')?.kind).to.equal('registering')
    await nrf.comeBack(false)
    await until(() => h.nrf.registrationState('udr')?.kind === 'registered', 3000)
  })

  it('sends a changed profile as a PATCH with the changes', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    const module = pcfModule()
    await h.nrf.register({ name: 'pcf', module, apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
    module.profileInfo = { pcfInfo: { dnnList: ['internet', 'ims'] } }
    h.nrf.refresh('pcf')
    const patch = await nrf.waitFor((r) => r.method === 'PATCH' && Array.isArray(r.body) && r.body.length > 1)
    expect(patch.body).to.deep.equal([
      { op: 'replace', path: '/nfStatus', value: 'REGISTERED' },
      { op: 'replace', path: '/pcfInfo', value: { dnnList: ['internet', 'ims'] } },
    ])
    expect(nrf.profiles.get(PCF_ID)!.pcfInfo).to.deep.equal({ dnnList: ['internet', 'ims'] })
    // Sent once: the next heart-beat carries no changes.
    await until(() => nrf.requests('PATCH', '/').indexOf(patch) < nrf.requests('PATCH', '/').length - 1, 3000)
    expect(nrf.requests('PATCH', '/').at(-1)!.body).to.have.length(1)
  })

  it('deregisters every NF with DELETE on stop and stops its timers', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await until(() => nrf.profiles.size === 2)
    await h.nrf.stop()
    expect(nrf.requests('DELETE', '/nnrf-nfm/v1/nf-instances/').map((r) => r.path).sort()).to.deep.equal(
      [`/nnrf-nfm/v1/nf-instances/${UDR_ID}`, `/nnrf-nfm/v1/nf-instances/${PCF_ID}`].sort(),
    )
    expect(nrf.profiles.size).to.equal(0)
    for (const d of nrf.requests('DELETE', '/')) expect(nrf.statusOf(d)).to.equal(204)
    const n = nrf.log.length
    await sleep(1200)
    expect(nrf.log.length, 'no request after stop').to.equal(n)
  })

  it('an NRF that refuses the profile (400) is retried with back-off, and the refusal is what the TS says', async () => {
    h = await harness(testConfig({ nrf: { uri: nrf.url } }))
    // free5GC's NRF refuses a non-UUID-v4 id; the double checks the same and the 3GPP uuid format.
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: 'udr-1' })
    await until(() => nrf.requests('PUT', '/').length >= 3, 3000, 'three attempts')
    expect(nrf.requests('PUT', '/').map((r) => nrf.statusOf(r))).to.include(400)
    expect(h.nrf.registrationState('udr')?.kind).to.equal('registering')
    if (has3gppSpecs()) expect(nrf.violations.join('\n')).to.match(/nfInstanceId/)
    nrf.violations.length = 0
  })

  it('with no NRF configured, register and stop are no-ops and nothing is sent', async () => {
    h = await harness(testConfig({ peers: { udr: ['http://127.0.0.1:29504'] } }))
    await h.nrf.register({ name: 'udr', module: udrModule(), apiRoot: 'http://127.0.0.1:29504', nfInstanceId: UDR_ID })
    expect(h.nrf.tokens).to.equal(undefined)
    expect(h.nrf.registrationState('udr')).to.equal(undefined)
    expect(await h.nrf.peers.apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })).to.deep.equal(['http://127.0.0.1:29504'])
    expect(await h.nrf.peersFor('pcf').apiRoots({ nfType: 'CHF', serviceName: 'nchf-convergedcharging' })).to.deep.equal([])
    await h.nrf.stop()
    expect(nrf.log).to.deep.equal([])
  })
})
