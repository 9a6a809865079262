import { expect } from 'chai'
import type { PcfModule } from '../../nf/pcf/index.ts'
import { f5SmCreate, PLAN, postJson, resetPcfTest, smPolicyData, startPcfWithFakePeers, SUPI, type PcfUnderTest } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await sleep(50)
  }
  return check()
}

describe('PCF: a terminated SM policy association the SMF never deletes (free5GC answers /terminate with 501)', () => {
  let t: PcfUnderTest
  const now = { t: Date.parse('2026-11-29T12:00:00Z') }

  before(async function () {
    this.timeout(120_000)
    // 2 s of grace (the purge runs every second); no linger, so the subscriptions go with the last association.
    t = await startPcfWithFakePeers({}, { config: { pcf: { terminatedAssociationSec: 2, subscriptionLingerSec: 0 } }, clock: () => new Date(now.t) })
  })
  after(async () => t?.close())
  beforeEach(async () => {
    await resetPcfTest(t)
    t.smf.setHandler((r) => (r.path.endsWith('/terminate') ? { status: 501, body: { status: 501, cause: 'NOT_IMPLEMENTED' } } : undefined))
  })

  async function terminatedAssociation(): Promise<string> {
    const c = await t.pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(t.smf.url))
    expect(c.status).to.equal(201)
    t.udr.smData.set(SUPI, smPolicyData(PLAN, { mvnoSubscriberState: 'SUSPENDED' }))
    await postJson([...t.udr.subscriptions.values()].at(-1)!.notificationUri, [{ ueId: SUPI }])
    await t.smf.waitFor((r) => r.path.endsWith('/terminate'), 3000)
    return new URL(String(c.headers.location)).pathname
  }

  it('is kept through the grace period, then deleted by the PCF: event, UDR and CHF subscriptions released', async function () {
    this.timeout(20_000)
    const path = await terminatedAssociation()
    expect(t.udr.subscriptions.size).to.equal(1)
    expect(t.chf.subscriptions.size).to.equal(1)
    // Within the grace (by the PCF's clock) the association stays, whatever the purge timer does.
    await sleep(1500)
    expect((await t.pcf.request('GET', path)).status).to.equal(200)
    now.t += 3000
    expect(await until(async () => (await t.pcf.request('GET', path)).status === 404, 5000), 'deleted after the grace').to.equal(true)
    const ev = await t.pcf.store.collection('events').find({ supi: SUPI, type: 'pcf.sm-policy.deleted' })
    expect(ev).to.have.length(1)
    expect(ev[0]!.data).to.include({ smPolicyId: path.split('/').pop(), reason: 'TERMINATED_NOT_DELETED', dnn: 'internet' })
    expect(await until(async () => t.udr.subscriptions.size === 0 && t.chf.subscriptions.size === 0, 3000), 'subscriptions released').to.equal(true)
  })

  it('leaves live associations and ones terminated within the grace alone', async () => {
    const pcf = t.pcf.module as PcfModule
    const other = 'imsi-999700000000002'
    t.udr.smData.set(other, smPolicyData())
    const live = await t.pcf.request('POST', `${SM}/sm-policies`, f5SmCreate(t.smf.url, { supi: other }))
    expect(live.status).to.equal(201)
    now.t += 3_600_000
    expect(await pcf.sm.purgeTerminated(2000)).to.equal(0)
    const path = await terminatedAssociation()
    expect(await pcf.sm.purgeTerminated(2000)).to.equal(0)
    now.t += 2001
    // The PCF's own purge (every second) may get there first: one of the two deletes it, exactly once.
    await pcf.sm.purgeTerminated(2000)
    expect((await t.pcf.request('GET', path)).status).to.equal(404)
    expect(await t.pcf.store.collection('events').count({ type: 'pcf.sm-policy.deleted' })).to.equal(1)
    expect((await t.pcf.request('GET', new URL(String(live.headers.location)).pathname)).status).to.equal(200)
    expect(await pcf.sm.purgeTerminated(2000)).to.equal(0)
  })
})
