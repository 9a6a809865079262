/**
 * The PCF reads an SM policy association without a copy for GET and update (the store lends its cached
 * document). Here every lent association is deep-frozen before the PCF sees it, so a write into one throws:
 * create, GET, update with what free5GC's SMF sends, GET again, delete.
 */
import { expect } from 'chai'
import { PcfStore } from '../../nf/pcf/store.ts'
import { F5_SM_UPDATE, f5SmCreate, resetPcfTest, startPcfWithFakePeers, type PcfUnderTest } from './fixtures.ts'
import { deepFreeze } from '../helpers/freeze.ts'

describe('pcf: associations read without a copy are never written into', () => {
  let t: PcfUnderTest
  const orig = PcfStore.prototype.getSm
  before(async () => {
    PcfStore.prototype.getSm = async function (id, readonly = false) {
      const d = await orig.call(this, id, readonly)
      return readonly ? deepFreeze(d) : d
    }
    t = await startPcfWithFakePeers()
  })
  after(async () => {
    PcfStore.prototype.getSm = orig
    await t?.close()
  })
  beforeEach(() => resetPcfTest(t))

  it('GET, update and GET again on a frozen association; the stored one follows the update', async () => {
    const c = await t.pcf.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', f5SmCreate(t.smf.url))
    expect(c.status).to.equal(201)
    const path = new URL(String(c.headers.location)).pathname
    const g1 = await t.pcf.request('GET', path)
    expect(g1.status).to.equal(200)
    const u = await t.pcf.request('POST', `${path}/update`, { ...F5_SM_UPDATE, ipv4Address: '10.60.0.9' })
    expect(u.status).to.equal(200)
    const g2 = await t.pcf.request('GET', path)
    expect(g2.status).to.equal(200)
    expect((g2.body as { context: { ipv4Address?: string } }).context.ipv4Address).to.equal('10.60.0.9')
    expect((g1.body as { context: { ipv4Address?: string } }).context.ipv4Address).to.not.equal('10.60.0.9')
    expect((await t.pcf.request('POST', `${path}/delete`, {})).status).to.equal(204)
  })
})
