import { expect } from 'chai'
import { addPeriod, renewBundle } from '../../nf/chf/domain/bundles.ts'
import { openTestStore } from '../helpers/store.ts'
import { chfServices, MB, PLAN } from './fixtures.ts'

describe('chf recurring bundles', () => {
  const b = { total: 10, remaining: 4, reserved: 1, validFrom: '2026-10-29T00:00:00.000Z', validUntil: '2026-11-29T00:00:00.000Z', recurrence: 'P1M' }
  const table = [
    { name: 'not yet due', bundle: b, now: '2026-11-28T23:59:59Z', want: undefined },
    { name: 'refills to total without rollover', bundle: b, now: '2026-11-29T00:00:00Z', want: { remaining: 10, available: 9, validFrom: '2026-11-29T00:00:00.000Z', validUntil: '2026-12-29T00:00:00.000Z' } },
    { name: 'carries the unused remainder with rollover (capped at total)', bundle: { ...b, rollover: true }, now: '2026-11-29T08:00:00Z', want: { remaining: 13, available: 12 } },
    { name: 'skips whole missed periods, no rollover across them', bundle: { ...b, rollover: true }, now: '2027-01-30T00:00:00Z', want: { remaining: 10, validFrom: '2027-01-29T00:00:00.000Z', validUntil: '2027-02-28T00:00:00.000Z' } },
  ]
  for (const c of table) {
    it(c.name, () => {
      const r = renewBundle(c.bundle, new Date(c.now))
      if (!c.want) expect(r).to.equal(undefined)
      else expect(r).to.deep.include(c.want)
    })
  }
  it('adds days, weeks and calendar months', () => {
    expect(addPeriod(new Date('2026-11-29T10:00:00Z'), 'P1D').toISOString()).to.equal('2026-11-30T10:00:00.000Z')
    expect(addPeriod(new Date('2026-11-29T10:00:00Z'), 'P7D').toISOString()).to.equal('2026-12-06T10:00:00.000Z')
    expect(addPeriod(new Date('2026-11-29T10:00:00Z'), 'P1M').toISOString()).to.equal('2026-12-29T10:00:00.000Z')
  })

  it('the sweeper renews due bundles on the account and moves the renewal index', async () => {
    const store = await openTestStore()
    const now = { t: Date.parse('2026-11-29T10:00:00Z') }
    try {
      const { accounts, chf } = await chfServices(store, () => new Date(now.t))
      const supi = 'imsi-001010000000060'
      await accounts.create({ supi, plan: PLAN, bundles: [{ id: 'm', ratingGroup: 1, unit: 'VOLUME', total: 5 * MB, remaining: MB, validFrom: '2026-10-29T10:00:00Z', validUntil: '2026-11-29T10:00:00.000Z', recurrence: 'P1M', rollover: true }] })
      expect(await accounts.renewBundles()).to.deep.equal([supi])
      const a = (await chf.getAccount(supi))!
      expect(a.bundles.b_m).to.deep.include({ remaining: 6 * MB, available: 6 * MB, validUntil: '2026-12-29T10:00:00.000Z' })
      expect(a.nextBundleRenewal).to.equal('2026-12-29T10:00:00.000Z')
      expect(await accounts.renewBundles()).to.deep.equal([])
    } finally {
      await store.close()
    }
  })
})
