/**
 * OAuth2 consumer side against the NRF test double acting as free5GC's NRF (oauth on): OAuth2
 * switches itself on from `customInfo.oauth2` in the register answer, tokens are fetched
 * form-encoded, reused until shortly before expiry, and attached to NRF calls and to SBI calls
 * made by the real SBI client.
 */
import { expect } from 'chai'
import { decodeJwt } from 'jose'
import { createSbiClient } from '../../nf/sbi/client.ts'
import { startFakePeer } from '../helpers/h2.ts'
import { NrfDouble } from './nrf-double.ts'
import { harness, log, pcfModule, testConfig, until, type Harness } from './setup.ts'
import { has3gppSpecs, validate3gpp } from './schemas.ts'

const PCF_ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e'

describe('nrf-client: OAuth2 access tokens (free5GC-like NRF double)', function () {
  this.timeout(20000)
  let nrf: NrfDouble
  let h: Harness
  let now: number

  before(async function () {
    if (has3gppSpecs()) await validate3gpp('TS29510_Nnrf_AccessToken.yaml', 'AccessTokenReq', {})
  })

  beforeEach(() => {
    now = Date.parse('2026-01-01T00:00:00Z')
  })

  afterEach(async () => {
    await h?.close()
    await nrf.close()
    expect(nrf.violations, 'requests that broke TS 29.510').to.deep.equal([])
  })

  async function start(mode: 'auto' | 'on' | 'off', nrfOauth2: boolean, tokenExpiresIn = 1000): Promise<void> {
    nrf = await new NrfDouble({ heartBeatTimer: 1, oauth2: nrfOauth2, tokenExpiresIn }).start()
    h = await harness(testConfig({ nrf: { uri: nrf.url, oauth2: mode } }), { clock: () => new Date(now) })
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
  }

  it('turns OAuth2 on from customInfo.oauth2 and puts a Bearer token on heart-beats and discovery', async () => {
    await start('auto', true)
    expect(h.nrf.oauth2Active()).to.equal(true)
    // The register PUT itself carries no token (free5GC lets NFs register without one).
    expect(nrf.requests('PUT', '/')[0].headers.authorization).to.equal(undefined)
    const beat = await nrf.waitFor((r) => r.method === 'PATCH')
    await until(() => nrf.statusOf(beat) !== undefined)
    expect(nrf.statusOf(beat)).to.equal(204)
    expect(String(beat.headers.authorization)).to.match(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)

    await h.nrf.peersFor('pcf').apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })
    const get = nrf.requests('GET', '/nnrf-disc/')[0]
    expect(nrf.statusOf(get)).to.equal(200)
    const claims = decodeJwt(String(get.headers.authorization).slice(7))
    expect(claims).to.include({ sub: PCF_ID, scope: 'nnrf-disc' })

    const tokenReqs = nrf.requests('POST', '/oauth2/token')
    expect(tokenReqs[0].contentType).to.equal('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(tokenReqs[0].body))).to.deep.equal({
      grant_type: 'client_credentials',
      nfInstanceId: PCF_ID,
      nfType: 'PCF',
      targetNfType: 'NRF',
      scope: 'nnrf-nfm',
    })
  })

  it('reuses a token until shortly before expires_in, then fetches a new one', async () => {
    await start('auto', true, 100)
    const tokens = h.nrf.tokensFor('pcf')!
    nrf.addProfile({ nfInstanceId: '9b2e6f1c-1c52-4a8e-9f0a-0c6b7a1d2e01', nfType: 'UDR', nfStatus: 'REGISTERED', ipv4Addresses: ['127.0.0.2'], nfServices: [] })
    const before = nrf.tokensIssued
    const t1 = await tokens.token('nudr-dr', 'UDR')
    const t2 = await tokens.token('nudr-dr', 'UDR')
    expect(t1).to.be.a('string').and.equal(t2)
    expect(nrf.tokensIssued - before).to.equal(1)
    const req = nrf.requests('POST', '/oauth2/token').at(-1)!
    expect(Object.fromEntries(new URLSearchParams(req.body))).to.include({ targetNfType: 'UDR', scope: 'nudr-dr', nfType: 'PCF' })
    expect(decodeJwt(t1!)).to.include({ scope: 'nudr-dr' })
    // 100 s lifetime, renewed 10 s early: still cached at +89 s, fetched again at +91 s.
    now += 89_000
    expect(await tokens.token('nudr-dr', 'UDR')).to.equal(t1)
    now += 2_000
    await tokens.token('nudr-dr', 'UDR')
    expect(nrf.tokensIssued - before).to.equal(2)
    // Concurrent callers share one request.
    now += 200_000
    await Promise.all([tokens.token('nudr-dr', 'UDR'), tokens.token('nudr-dr', 'UDR'), tokens.token('nudr-dr', 'UDR')])
    expect(nrf.tokensIssued - before).to.equal(3)
  })

  it('the SBI client attaches the token when given the TokenProvider and a scope', async () => {
    await start('auto', true)
    nrf.addProfile({ nfInstanceId: '9b2e6f1c-1c52-4a8e-9f0a-0c6b7a1d2e01', nfType: 'UDR', nfStatus: 'REGISTERED', ipv4Addresses: ['127.0.0.2'], nfServices: [] })
    const producer = await startFakePeer(() => ({ status: 200, body: {} }))
    const client = createSbiClient({ log, tokens: h.nrf.tokensFor('pcf') })
    try {
      await client.request({ method: 'GET', uri: `${producer.url}/nudr-dr/v1/policy-data/ues/imsi-1/sm-data`, scope: 'nudr-dr', targetNfType: 'UDR' })
      const got = await producer.waitFor(() => true)
      expect(decodeJwt(String(got.headers.authorization).slice(7))).to.include({ scope: 'nudr-dr', aud: 'UDR' })
    } finally {
      await client.close()
      await producer.close()
    }
  })

  it('an NRF that says oauth2 false (or config off) means no token requests at all', async () => {
    await start('auto', false)
    expect(h.nrf.oauth2Active()).to.equal(false)
    expect(await h.nrf.tokens!.token('nudr-dr', 'UDR')).to.equal(undefined)
    await nrf.waitFor((r) => r.method === 'PATCH')
    await h.nrf.peersFor('pcf').apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })
    expect(nrf.requests('POST', '/oauth2/token')).to.have.length(0)
    expect(nrf.requests('GET', '/nnrf-disc/')[0].headers.authorization).to.equal(undefined)
  })

  it("config 'on' uses tokens even when the NRF announces nothing; config 'off' never does", async () => {
    nrf = await new NrfDouble({ heartBeatTimer: 1, oauth2: true, customInfo: false }).start()
    h = await harness(testConfig({ nrf: { uri: nrf.url, oauth2: 'on' } }))
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
    expect(h.nrf.oauth2Active()).to.equal(true)
    const beat = await nrf.waitFor((r) => r.method === 'PATCH')
    expect(beat.headers.authorization).to.match(/^Bearer /)
    await h.close()

    h = await harness(testConfig({ nrf: { uri: nrf.url, oauth2: 'off' } }))
    await h.nrf.register({ name: 'pcf', module: pcfModule(), apiRoot: 'http://127.0.0.1:29507', nfInstanceId: PCF_ID })
    await until(() => h.nrf.registrationState('pcf')?.kind === 'registered')
    expect(h.nrf.oauth2Active()).to.equal(false)
    expect(await h.nrf.tokens!.token('nnrf-disc', 'NRF')).to.equal(undefined)
  })

  it('a refused token request surfaces as a typed error (invalid_client for an unregistered requester)', async () => {
    await start('on', true)
    nrf.forget()
    let err: any
    await h.nrf.tokensFor('pcf')!.token('nudm-sdm', 'UDM').catch((e) => (err = e))
    expect(err?.code).to.equal('ACCESS_TOKEN_DENIED')
    expect(err?.oauthError).to.equal('invalid_client')
  })
})
