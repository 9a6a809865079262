import { expect } from 'chai'
import { newOrder, seed, startBssTest, type BssTest } from './harness.ts'

describe('BSS prepaid renewals', function () {
  this.timeout(30000)
  let t: BssTest
  let now = new Date('2026-11-10T12:00:00.000Z')
  before(async () => {
    t = await startBssTest({ clock: () => now })
    await seed(t)
  })
  after(async () => t.close())

  it('debits the recurring fee when the period rolls over, once per period, and moves the date on', async () => {
    const pid = (await t.req('POST', '/productOrderingManagement/v4/productOrder', { body: newOrder('prepaid-10') })).body.product.id
    const prod: any = await t.store.collection('bss.product').findOne({ _id: pid })
    expect(prod.nextRenewalAt).to.equal('2026-12-10T12:00:00.000Z')
    expect(await t.bss.renewals()).to.deep.equal({ renewed: 0, failed: 0 })
    now = new Date('2027-01-11T00:00:00.000Z') // two periods later: catches up
    expect(await t.bss.renewals()).to.deep.equal({ renewed: 2, failed: 0 })
    const adj = t.chf.calls.filter((c) => c.method === 'Adjust')
    expect(adj.map((c) => c.req.amount)).to.deep.equal([-1000, -1000])
    expect(adj[0].req.idempotencyKey).to.equal(`renew:${pid}:2026-12-10T12:00:00.000Z`)
    expect(((await t.store.collection('bss.product').findOne({ _id: pid })) as any).nextRenewalAt).to.equal('2027-02-10T12:00:00.000Z')
    expect(await t.bss.renewals()).to.deep.equal({ renewed: 0, failed: 0 })
  })

  it('a renewal the CHF refuses is retried and noticed once', async () => {
    now = new Date('2027-02-11T00:00:00.000Z')
    t.chf.failOn.add('Adjust')
    expect((await t.bss.renewals()).failed).to.equal(1)
    expect((await t.bss.renewals()).failed).to.equal(1)
    const msgs = await t.req('GET', '/communicationManagement/v4/communicationMessage')
    expect(msgs.body.filter((m: any) => String(m.reason).startsWith('bss.renewal.failed'))).to.have.length(1)
    t.chf.failOn.delete('Adjust')
    expect(await t.bss.renewals()).to.deep.equal({ renewed: 1, failed: 0 })
  })
})
