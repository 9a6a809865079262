import { expect } from 'chai'
import { buildNfProfile, diffProfile, serviceVersions } from '../../nf/nrf-client/profile.ts'
import { isUuidV4, stableInstanceId } from '../../nf/nrf-client/instance-id.ts'
import { DiscoveryCache, discoveryQuery, rankCandidates, serviceApiRoot } from '../../nf/nrf-client/discovery.ts'
import { delayFor, nextRegistrationState, type RegistrationState } from '../../nf/nrf-client/registration.ts'
import { nfTypeOfService } from '../../nf/nrf-client/access-token.ts'
import { openTestStore } from '../helpers/store.ts'
import { has3gppSpecs, validate3gpp } from './schemas.ts'

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e'
const base = {
  nfInstanceId: ID,
  plmn: { mcc: '999', mnc: '70' },
  snssais: [{ sst: 1, sd: '010203' }, { sst: 1 }],
  heartBeatTimer: 10,
}

describe('nrf-client: NF profile', () => {
  it('registers apiPrefix AND ipEndPoints with port, versions, plmnList, sNssais, no profile fqdn (INTEROP §0.2)', () => {
    const p = buildNfProfile({ ...base, nfType: 'PCF', apiRoot: 'http://10.0.0.5:8000', services: [{ name: 'npcf-smpolicycontrol' }], profileInfo: { pcfInfo: { dnnList: ['internet'] } } })
    expect(p).to.not.have.property('fqdn')
    expect(p).to.include({ nfInstanceId: ID, nfType: 'PCF', nfStatus: 'REGISTERED', heartBeatTimer: 10 })
    expect(p.ipv4Addresses).to.deep.equal(['10.0.0.5'])
    expect(p.plmnList).to.deep.equal([{ mcc: '999', mnc: '70' }])
    expect(p.sNssais).to.deep.equal([{ sst: 1, sd: '010203' }, { sst: 1 }])
    expect(p.pcfInfo).to.deep.equal({ dnnList: ['internet'] })
    const s = p.nfServices[0]
    expect(s).to.include({ serviceInstanceId: '0', serviceName: 'npcf-smpolicycontrol', scheme: 'http', nfServiceStatus: 'REGISTERED', apiPrefix: 'http://10.0.0.5:8000' })
    expect(s.ipEndPoints).to.deep.equal([{ ipv4Address: '10.0.0.5', transport: 'TCP', port: 8000 }])
    expect(s.versions).to.deep.equal([{ apiVersionInUri: 'v1', apiFullVersion: '1.2.4' }])
    expect(s.allowedNfTypes).to.include.members(['SMF', 'SCP', 'PCF'])
  })

  for (const [name, want] of [
    ['nudm-sdm', ['v2']],
    ['nudm-ueau', ['v1']],
    ['nudm-uecm', ['v1']],
    ['nudr-dr', ['v1', 'v2']],
    ['npcf-smpolicycontrol', ['v1']],
    ['npcf-am-policy-control', ['v1']],
    ['nchf-convergedcharging', ['v3']],
    ['nchf-spendinglimitcontrol', ['v1']],
  ] as const) {
    it(`${name} registers apiVersionInUri ${want.join(' and ')}`, () => {
      expect(serviceVersions(name).map((v) => v.apiVersionInUri)).to.deep.equal(want)
      for (const v of serviceVersions(name)) expect(v.apiFullVersion).to.match(new RegExp(`^${v.apiVersionInUri.slice(1)}\\.\\d+\\.\\d+$`))
    })
  }

  it('takes versions from base paths when the service gives them', () => {
    expect(serviceVersions('nudr-dr', ['/nudr-dr/v2']).map((v) => v.apiVersionInUri)).to.deep.equal(['v2'])
    expect(serviceVersions('nudr-dr', ['/nudr-dr/v1', '/nudr-dr/v2']).length).to.equal(2)
  })

  it('uses the port and scheme of an https apiRoot, and ipv6 addresses', () => {
    const p = buildNfProfile({ ...base, nfType: 'UDM', apiRoot: 'https://[fd00::5]', services: [{ name: 'nudm-sdm' }] })
    expect(p.ipv6Addresses).to.deep.equal(['fd00::5'])
    expect(p.nfServices[0]).to.include({ scheme: 'https', apiPrefix: 'https://[fd00::5]' })
    expect(p.nfServices[0].ipEndPoints).to.deep.equal([{ ipv6Address: 'fd00::5', transport: 'TCP', port: 443 }])
  })

  it('validates against TS 29.510 NFProfile for every NF we run', async function () {
    if (!has3gppSpecs()) this.skip()
    this.timeout(30000)
    const cases = [
      buildNfProfile({ ...base, nfType: 'UDR', apiRoot: 'http://127.0.0.4:29504', services: [{ name: 'nudr-dr', basePaths: ['/nudr-dr/v1', '/nudr-dr/v2'] }], profileInfo: { udrInfo: { supiRanges: [{ start: '999700000000000', end: '999709999999999' }] } } }),
      buildNfProfile({ ...base, nfType: 'UDM', apiRoot: 'http://127.0.0.3:29503', services: [{ name: 'nudm-sdm' }, { name: 'nudm-ueau' }, { name: 'nudm-uecm' }], profileInfo: { udmInfo: { groupId: 'udm-1' } } }),
      buildNfProfile({ ...base, nfType: 'PCF', apiRoot: 'http://127.0.0.7:29507', services: [{ name: 'npcf-smpolicycontrol' }, { name: 'npcf-am-policy-control' }], profileInfo: { pcfInfo: { dnnList: ['internet'] } } }),
      buildNfProfile({ ...base, nfType: 'CHF', apiRoot: 'http://127.0.0.9:29594', services: [{ name: 'nchf-convergedcharging' }, { name: 'nchf-spendinglimitcontrol' }], profileInfo: { chfInfo: { plmnRangeList: [{ start: '99970', end: '99970' }] } } }),
    ]
    for (const p of cases) expect(await validate3gpp('TS29510_Nnrf_NFManagement.yaml', 'NFProfile', p), p.nfType).to.deep.equal([])
  })

  it('diffs profiles into JSON Patch operations', () => {
    expect(diffProfile({ nfInstanceId: ID, a: 1, b: [1], c: 'x' }, { nfInstanceId: ID, a: 2, b: [1], d: true })).to.deep.equal([
      { op: 'replace', path: '/a', value: 2 },
      { op: 'add', path: '/d', value: true },
      { op: 'remove', path: '/c' },
    ])
  })
})

describe('nrf-client: stable instance id', () => {
  it('generates a UUID v4 once and returns the same one on the next start', async () => {
    const store = await openTestStore()
    try {
      const a = await stableInstanceId(store, 'pcf')
      expect(isUuidV4(a)).to.equal(true)
      expect(await stableInstanceId(store, 'pcf')).to.equal(a)
      expect(await stableInstanceId(store, 'udm')).to.not.equal(a)
    } finally {
      await store.close()
    }
  })

  it('uses a configured id and rejects one that is not a UUID v4', async () => {
    const store = await openTestStore()
    try {
      expect(await stableInstanceId(store, 'chf', ID.toUpperCase())).to.equal(ID)
      expect(await stableInstanceId(store, 'chf')).to.equal(ID)
      let err: unknown
      await stableInstanceId(store, 'chf', 'chf-1').catch((e) => (err = e))
      expect(String(err)).to.match(/UUID v4/)
    } finally {
      await store.close()
    }
  })
})

describe('nrf-client: discovery results', () => {
  const f5 = { nfInstanceId: 'a', nfType: 'PCF', nfStatus: 'REGISTERED', priority: 1, capacity: 100, nfServices: [{ serviceInstanceId: '0', serviceName: 'npcf-smpolicycontrol', scheme: 'http', nfServiceStatus: 'REGISTERED', apiPrefix: 'http://10.0.0.1:8000/' }] }
  const o5 = {
    nfInstanceId: 'b',
    nfType: 'PCF',
    nfStatus: 'REGISTERED',
    priority: 0,
    capacity: 100,
    nfServiceList: { 'svc-1': { serviceInstanceId: 'svc-1', serviceName: 'npcf-smpolicycontrol', scheme: 'http', nfServiceStatus: 'REGISTERED', ipEndPoints: [{ ipv4Address: '10.0.0.2', port: 7777 }] } },
  }
  const fqdnOnly = { nfInstanceId: 'c', nfType: 'PCF', priority: 0, capacity: 50, fqdn: 'pcf.example', nfServices: [{ serviceInstanceId: '0', serviceName: 'npcf-smpolicycontrol', scheme: 'https' }] }
  const suspended = { ...f5, nfInstanceId: 'd', nfStatus: 'SUSPENDED', priority: 0 }

  it('reads apiPrefix, ipEndPoints (nfServiceList map) and fqdn; ranks by priority then capacity; skips non-REGISTERED', () => {
    expect(rankCandidates([f5, o5, fqdnOnly, suspended], 'npcf-smpolicycontrol').map((c) => c.apiRoot)).to.deep.equal([
      'http://10.0.0.2:7777',
      'https://pcf.example',
      'http://10.0.0.1:8000',
    ])
    expect(rankCandidates([f5], 'npcf-am-policy-control')).to.deep.equal([])
  })

  it('uses port 80 when an ipEndPoint has none (as Open5GS does)', () => {
    expect(serviceApiRoot({}, { scheme: 'http', ipEndPoints: [{ ipv4Address: '10.1.1.1' }] })).to.equal('http://10.1.1.1')
  })

  it('builds the query with JSON snssais and target-plmn-list', () => {
    const q = new URLSearchParams(
      discoveryQuery({ nfType: 'UDM', serviceName: 'nudm-sdm', supi: 'imsi-999700000000001', dnn: 'internet', snssais: [{ sst: 1, sd: '010203' }], targetPlmnList: [{ mcc: '999', mnc: '70' }] }, 'PCF', ID),
    )
    expect(Object.fromEntries(q)).to.deep.equal({
      'target-nf-type': 'UDM',
      'requester-nf-type': 'PCF',
      'service-names': 'nudm-sdm',
      'requester-nf-instance-id': ID,
      supi: 'imsi-999700000000001',
      dnn: 'internet',
      snssais: '[{"sst":1,"sd":"010203"}]',
      'target-plmn-list': '[{"mcc":"999","mnc":"70"}]',
    })
  })

  it('cache: expiry, eviction of a deregistered instance, in-place profile change, type expiry', () => {
    const c = new DiscoveryCache()
    const t = { nfType: 'PCF' as const, serviceName: 'npcf-smpolicycontrol' }
    c.set(t, [f5, o5], 1000)
    expect(c.get(t, 999)).to.have.length(2)
    expect(c.get(t, 1000)).to.equal(undefined)
    expect(c.stale(t)).to.have.length(2)
    c.set(t, [f5, o5], 5000)
    expect(c.evictInstance('b')).to.equal(1)
    expect(c.get(t, 0)!.map((p) => p.nfInstanceId)).to.deep.equal(['a'])
    c.replaceInstance({ ...f5, priority: 9 })
    expect(c.get(t, 0)![0].priority).to.equal(9)
    c.replaceInstance({ ...f5, nfStatus: 'SUSPENDED' })
    expect(c.get(t, 0)).to.deep.equal([])
    c.set(t, [f5], 5000)
    c.expireType('PCF')
    expect(c.get(t, 0)).to.equal(undefined)
  })
})

describe('nrf-client: registration state machine', () => {
  const backoff = { minMs: 1000, maxMs: 30000 }
  const table: Array<[string, RegistrationState, Parameters<typeof nextRegistrationState>[1], RegistrationState, number]> = [
    ['first registration succeeds', { kind: 'registering', attempt: 0 }, { kind: 'registerOk', heartBeatSec: 10 }, { kind: 'registered', heartBeatSec: 10 }, 8000],
    ['NRF down: back off', { kind: 'registering', attempt: 0 }, { kind: 'registerFailed' }, { kind: 'registering', attempt: 1 }, 1000],
    ['still down: double', { kind: 'registering', attempt: 3 }, { kind: 'registerFailed' }, { kind: 'registering', attempt: 4 }, 8000],
    ['long outage: capped', { kind: 'registering', attempt: 10 }, { kind: 'registerFailed' }, { kind: 'registering', attempt: 11 }, 30000],
    ['heart-beat answer adopts a new timer', { kind: 'registered', heartBeatSec: 10 }, { kind: 'heartbeatOk', heartBeatSec: 5 }, { kind: 'registered', heartBeatSec: 5 }, 4000],
    ['heart-beat 404: re-register at once', { kind: 'registered', heartBeatSec: 10 }, { kind: 'heartbeatNotFound' }, { kind: 'registering', attempt: 0 }, 0],
    ['heart-beat fails: back off', { kind: 'registered', heartBeatSec: 10 }, { kind: 'heartbeatFailed' }, { kind: 'registering', attempt: 1 }, 1000],
    ['stop wins', { kind: 'registered', heartBeatSec: 10 }, { kind: 'stop' }, { kind: 'stopped' }, 0],
    ['nothing after stop', { kind: 'stopped' }, { kind: 'registerOk', heartBeatSec: 10 }, { kind: 'stopped' }, 0],
  ]
  for (const [name, s, e, want, delay] of table) {
    it(name, () => {
      const next = nextRegistrationState(s, e)
      expect(next).to.deep.equal(want)
      expect(delayFor(next, backoff)).to.equal(delay)
    })
  }

  it('derives the token targetNfType from the service name', () => {
    expect(nfTypeOfService('npcf-smpolicycontrol')).to.equal('PCF')
    expect(nfTypeOfService('nnrf-disc')).to.equal('NRF')
    expect(nfTypeOfService('nchf-convergedcharging')).to.equal('CHF')
  })
})
