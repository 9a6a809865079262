/**
 * End to end with the colleagues' NFs: the real CHF (createChf) counts usage reported by a free5GC-style
 * SMF, its spending-limit status for `data-allowance` changes, and the PCF throttles then restores the
 * session at a fake SMF. Policy-data comes from the real UDR (createUdr).
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import { createPcf } from '../../nf/pcf/index.ts'
import { createUdr } from '../../nf/udr/index.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { f5Create, f5Update, MB, PLAN as CHF_PLAN } from '../chf/fixtures.ts'
import { f5SmCreate, PLAN, smPolicyData, SUPI } from './fixtures.ts'

describe('PCF with the real CHF and UDR: allowance exhausted → throttled, top-up → restored', () => {
  let udr: TestNf
  let chfNf: TestNf
  let pcf: TestNf
  let smf: FakePeer
  let cdrDir: string

  before(async function () {
    this.timeout(120_000) // starting NFs compiles their OpenAPI documents: seconds on a loaded machine
    cdrDir = mkdtempSync(join(tmpdir(), 'pcf-chf-cdr-'))
    udr = await startTestNf(createUdr, { name: 'udr' })
    chfNf = await startTestNf(createChf, { name: 'chf', config: { chf: { cdrDir } as any } })
    smf = await startFakePeer()
    pcf = await startTestNf((ctx) => createPcf(ctx, { subscriptionLingerMs: 100 }), { name: 'pcf', peers: { udr: [udr.url], chf: [chfNf.url] } })
  })
  after(async () => {
    await pcf.close()
    await chfNf.close()
    await udr.close()
    await smf.close()
    rmSync(cdrDir, { recursive: true, force: true })
  })

  it('throttles on the CHF\'s exhausted notification and restores after a top-up bundle', async () => {
    const chf = chfNf.module as ChfModule
    await chf.accounts.create({ supi: SUPI, plan: CHF_PLAN, openingBalance: 0, bundles: [{ id: 'data-1', ratingGroup: 1, unit: 'VOLUME', total: 10 * MB }] })
    const put = await udr.request('PUT', `/nudr-dr/v2/policy-data/ues/${SUPI}/sm-data`, smPolicyData({ ...PLAN, ratingGroup: 1 }))
    expect(put.status, put.text).to.be.oneOf([200, 201, 204])

    const c = await pcf.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', f5SmCreate(smf.url))
    expect(c.status, c.text).to.equal(201)
    expect((Object.values(c.body.sessRules)[0] as any).authSessAmbr).to.deep.equal({ uplink: '50 Mbps', downlink: '100 Mbps' })
    expect(c.body.chgDecs['ChgId-default'].ratingGroup).to.equal(1)

    // The SMF's charging session at the CHF uses up the 10 MB bundle.
    const { ref } = await chf.charging.create(f5Create(SUPI) as any)
    await chf.charging.update(ref, f5Update(SUPI, [{ rg: 1, requested: MB }]) as any)
    await chf.charging.update(ref, f5Update(SUPI, [{ rg: 1, total: 10 * MB, ts: new Date(Date.now() + 1000).toISOString() }]) as any)
    const throttled = await smf.waitFor((r) => r.path.endsWith('/update') && (Object.values(r.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr.downlink === '1 Mbps', 5000)
    expect(throttled.body.smPolicyDecision.qosDecs['QosId-default'].maxbrDl).to.equal('1 Mbps')

    await chf.accounts.addBundle(SUPI, { id: 'boost-1', ratingGroup: 1, unit: 'VOLUME', total: 5 * MB, source: 'TOPUP' }, 'k1')
    const restored = await smf.waitFor((r) => r.path.endsWith('/update') && (Object.values(r.body.smPolicyDecision.sessRules)[0] as any).authSessAmbr.downlink === '100 Mbps', 5000)
    expect(restored.receivedAt).to.be.greaterThan(throttled.receivedAt)

    // The last session ends: after the linger the PCF unsubscribes at the CHF.
    const d = await pcf.request('POST', `${new URL(c.headers.location as string).pathname}/delete`, {})
    expect(d.status).to.equal(204)
    const slc = chfNf.store.collection('chf.slcSubscriptions')
    for (let i = 0; i < 60 && (await slc.count({})) > 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await slc.count({})).to.equal(0)
  })
})
