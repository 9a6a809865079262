/**
 * PCF resource cleanup on create: a new SM policy association for a PDU session ID the SUPI already has
 * one for replaces the older one (the SMF lost it: restart, missed delete), deleted without a
 * notification to the old notificationUri, with its event; other PDU session IDs are left alone.
 */
import { expect } from 'chai'
import { f5SmCreate, resetPcfTest, startPcfWithFakePeers, SUPI, type PcfUnderTest } from './fixtures.ts'

const SM = '/npcf-smpolicycontrol/v1'

describe('PCF: a create for a PDU session ID that already has an SM policy association (stale after an SMF restart)', () => {
  let t: PcfUnderTest

  before(async function () {
    this.timeout(120_000)
    t = await startPcfWithFakePeers()
  })
  after(async () => t?.close())
  beforeEach(async () => resetPcfTest(t))

  const create = async (pduSessionId: number) => {
    const r = await t.pcf.request('POST', `${SM}/sm-policies`, { ...f5SmCreate(t.smf.url), pduSessionId })
    expect(r.status).to.equal(201)
    return new URL(String(r.headers.location)).pathname
  }

  it('deletes the older association of that SUPI and PDU session ID, notifies no SMF, and records why', async () => {
    const old = await create(1)
    const other = await create(2)
    const fresh = await create(1)
    expect((await t.pcf.request('GET', old)).status).to.equal(404)
    expect((await t.pcf.request('GET', fresh)).status).to.equal(200)
    expect((await t.pcf.request('GET', other)).status, 'another PDU session ID stays').to.equal(200)
    expect(t.smf.requests.filter((r) => r.path.endsWith('/terminate') || r.path.endsWith('/update')), 'nothing sent to the old notificationUri').to.deep.equal([])
    const ev = await t.pcf.store.collection('events').find({ supi: SUPI, type: 'pcf.sm-policy.deleted' })
    expect(ev).to.have.length(1)
    expect(ev[0]!.data).to.include({ smPolicyId: old.split('/').pop(), pduSessionId: 1, reason: 'REPLACED', replacedBy: fresh.split('/').pop() })
    // The SMF that still deletes the old one gets the usual 404.
    expect((await t.pcf.request('POST', `${old}/delete`, {})).status).to.equal(404)
  })

  it('of concurrent creates for one PDU session ID, exactly the newest stays', async () => {
    const paths = await Promise.all(Array.from({ length: 8 }, () => create(5)))
    const alive: string[] = []
    for (const p of paths) if ((await t.pcf.request('GET', p)).status === 200) alive.push(p)
    expect(alive).to.have.length(1)
    const ids = paths.map((p) => p.split('/').pop()!)
    expect(alive[0]!.split('/').pop()).to.equal([...ids].sort().at(-1))
  })
})
