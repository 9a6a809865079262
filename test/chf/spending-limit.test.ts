/** Nchf_SpendingLimitControl producer over HTTP/2: subscribe/modify/unsubscribe and status notifications to the PCF. */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { has3gppSpecs, validate3gpp } from '../helpers/schemas.ts'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import { f5Create, f5Update, MB, PLAN } from './fixtures.ts'

const BASE = '/nchf-spendinglimitcontrol/v1'
const SLC = 'TS29594_Nchf_SpendingLimitControl.yaml'

describe('Nchf_SpendingLimitControl over HTTP/2', () => {
  let nf: TestNf
  let chf: ChfModule
  let pcf: FakePeer
  let cdrDir: string
  const supi = 'imsi-001010000000002'

  beforeEach(async () => {
    cdrDir = mkdtempSync(join(tmpdir(), 'chf-cdr-'))
    pcf = await startFakePeer()
    nf = await startTestNf(createChf, { name: 'chf', config: { chf: { cdrDir } as any } })
    chf = nf.module as ChfModule
    await chf.accounts.create({ supi, plan: PLAN, openingBalance: 0, bundles: [{ id: 'data-1', ratingGroup: 1, unit: 'VOLUME', total: 10 * MB }] })
  })
  afterEach(async () => {
    await nf.close()
    await pcf.close()
    rmSync(cdrDir, { recursive: true, force: true })
  })

  const notifUri = () => `${pcf.url}/npcf-callback/v1/spending-limit-notify/${supi}`

  async function use(ref: string, bytes: number, ts: string) {
    const r = await chf.charging.update(ref, f5Update(supi, [{ rg: 1, requested: MB, total: bytes, ts }]) as any)
    return r
  }

  it('subscribe answers 201 + Location + SpendingLimitStatus; status changes (warning at 80 %, exhausted, normal after a new bundle) are notified to {notifUri}/notify', async () => {
    const r = await nf.request('POST', `${BASE}/subscriptions`, { supi, policyCounterIds: ['data-allowance'], notifUri: notifUri() })
    expect(r.status).to.equal(201)
    expect(String(r.headers.location)).to.match(new RegExp(`^${nf.url}${BASE}/subscriptions/[0-9a-f-]{36}$`))
    expect(r.body).to.deep.equal({ supi, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'normal' } } })
    if (has3gppSpecs()) expect(validate3gpp(SLC, 'SpendingLimitStatus', r.body)).to.deep.equal([])

    const { ref } = await chf.charging.create(f5Create(supi) as any)
    await chf.charging.update(ref, f5Update(supi, [{ rg: 1, requested: MB }]) as any)
    await use(ref, 8.5 * MB, new Date(Date.now() + 1000).toISOString())
    const warn = await pcf.waitFor((q) => q.body?.statusInfos?.['data-allowance']?.currentStatus === 'warning', 5000)
    expect(warn.method).to.equal('POST')
    expect(warn.path).to.equal(`/npcf-callback/v1/spending-limit-notify/${supi}/notify`)
    expect(warn.body).to.deep.equal({ supi, statusInfos: { 'data-allowance': { policyCounterId: 'data-allowance', currentStatus: 'warning' } } })
    if (has3gppSpecs()) expect(validate3gpp(SLC, 'SpendingLimitStatus', warn.body)).to.deep.equal([])

    await use(ref, 1.5 * MB, new Date(Date.now() + 2000).toISOString())
    await pcf.waitFor((q) => q.body?.statusInfos?.['data-allowance']?.currentStatus === 'exhausted', 5000)

    await chf.accounts.addBundle(supi, { id: 'boost-1', ratingGroup: 1, unit: 'VOLUME', total: 5 * MB, source: 'TOPUP' }, 'k1')
    await pcf.waitFor((q) => q.body?.statusInfos?.['data-allowance']?.currentStatus === 'normal', 5000)
    const statuses = pcf.requests.map((q) => q.body.statusInfos['data-allowance'].currentStatus)
    expect(statuses).to.deep.equal(['warning', 'exhausted', 'normal'])
  })

  it('deleting the subscriber posts {notifUri}/terminate with REMOVED_SUBSCRIBER; unknown counters are 400', async () => {
    const bad = await nf.request('POST', `${BASE}/subscriptions`, { supi, policyCounterIds: ['no-such-counter'], notifUri: notifUri() })
    expect(bad.status).to.equal(400)
    expect(bad.body.invalidParams).to.deep.equal([{ param: 'policyCounterIds' }])
    expect((await nf.request('POST', `${BASE}/subscriptions`, { supi, notifUri: notifUri(), notifId: 'n1' })).status).to.equal(201)
    await chf.accounts.remove(supi)
    const t = await pcf.waitFor((q) => q.path.endsWith('/terminate'), 5000)
    expect(t.path).to.equal(`/npcf-callback/v1/spending-limit-notify/${supi}/terminate`)
    expect(t.body).to.deep.equal({ supi, notifId: 'n1', termCause: 'REMOVED_SUBSCRIBER' })
    if (has3gppSpecs()) expect(validate3gpp(SLC, 'SubscriptionTerminationInfo', t.body)).to.deep.equal([])
  })

  it('PUT answers 200 with the statuses; DELETE 204 then 404; unknown subscriber 404', async () => {
    const r = await nf.request('POST', `${BASE}/subscriptions`, { supi, notifUri: notifUri() })
    const id = String(r.headers.location).split('/').pop()
    const p = await nf.request('PUT', `${BASE}/subscriptions/${id}`, { supi, policyCounterIds: ['data-allowance'], notifUri: notifUri() })
    expect(p.status).to.equal(200)
    expect(p.body.statusInfos['data-allowance'].currentStatus).to.equal('normal')
    expect((await nf.request('DELETE', `${BASE}/subscriptions/${id}`)).status).to.equal(204)
    expect((await nf.request('DELETE', `${BASE}/subscriptions/${id}`)).status).to.equal(404)
    const u = await nf.request('POST', `${BASE}/subscriptions`, { supi: 'imsi-999990000000001', notifUri: notifUri() })
    expect(u.status).to.equal(404)
    expect(u.body.cause).to.equal('USER_UNKNOWN')
  })
})
