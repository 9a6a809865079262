import { expect } from 'chai'
import { rateUsage, tariffAt, tariffSegments, zoneOf } from '../../nf/chf/domain/rating.ts'
import type { BundleView, RatingPlan } from '../../nf/chf/domain/types.ts'

const MB = 1_048_576

const plan: RatingPlan = {
  planId: 'p1',
  paymentType: 'PREPAID',
  finalUnitAction: 'TERMINATE',
  creditLimit: 0,
  tariffs: [
    { ratingGroup: 10, unit: 'VOLUME', price: 2, unitSize: MB }, // off-peak, all day
    { ratingGroup: 10, unit: 'VOLUME', price: 10, unitSize: MB, timeFrom: '08:00', timeTo: '00:00' }, // peak until midnight
    { ratingGroup: 10, unit: 'VOLUME', price: 1, unitSize: MB, days: [0, 6] }, // weekend all day
    { ratingGroup: 10, unit: 'VOLUME', price: 50, unitSize: MB, zone: 'eu' },
    { ratingGroup: 20, unit: 'TIME', price: 9, unitSize: 60 },
    { ratingGroup: 30, unit: 'EVENTS', price: 5, unitSize: 1 },
  ],
  roamingZones: [{ id: 'eu', plmns: ['20801', '26201'] }],
}

const bundle = (over: Partial<BundleView> = {}): BundleView => ({
  id: 'b1', ratingGroup: 10, unit: 'VOLUME', total: MB, remaining: MB, reserved: 0, priority: 0, ...over,
})

// 2026-11-25 is a Wednesday
const wed = (hhmm: string) => new Date(`2026-11-25T${hhmm}:00.000Z`)

describe('chf rating (worked examples)', () => {
  it('consumes the bundle before money: 1 MB bundle, 3 MB + 1 byte used at 10/MB peak → 3 steps = 30', () => {
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 3 * MB + 1, start: wed('10:00'), end: wed('10:05'), zone: '', bundles: [bundle()] })
    expect(r.bundleUse).to.deep.equal([{ bundleId: 'b1', units: MB }])
    expect(r.bundleUnits).to.equal(MB)
    expect(r.moneyUnits).to.equal(2 * MB + 1)
    expect(r.amount).to.equal(30)
  })

  it('splits one usage report at the midnight tariff switch: 100 MB from 23:30 to 00:30 → 50 MB peak + 50 MB off-peak', () => {
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 100 * MB, start: wed('23:30'), end: new Date('2026-11-26T00:30:00Z'), zone: '', bundles: [] })
    expect(r.pieces.map((p) => [p.units, p.price, p.amount])).to.deep.equal([
      [50 * MB, 10, 500],
      [50 * MB, 2, 100],
    ])
    expect(r.amount).to.equal(600)
    expect(r.pieces[0]!.end).to.equal('2026-11-26T00:00:00.000Z')
  })

  it('splits pro rata with exact integer sums (odd units, uneven intervals)', () => {
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 1001, start: wed('23:50'), end: new Date('2026-11-26T00:20:00Z'), zone: '', bundles: [] })
    expect(r.pieces.map((p) => p.units)).to.deep.equal([333, 668])
    expect(r.pieces.reduce((a, p) => a + p.units, 0)).to.equal(1001)
  })

  it('uses the day-of-week tariff across Friday→Saturday midnight', () => {
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 2 * MB, start: new Date('2026-11-27T23:00:00Z'), end: new Date('2026-11-28T01:00:00Z'), zone: '', bundles: [] })
    expect(r.pieces.map((p) => p.price)).to.deep.equal([10, 1])
    expect(r.amount).to.equal(10 + 1)
  })

  it('chooses the roaming zone by serving PLMN and ignores home-only bundles abroad', () => {
    expect(zoneOf(plan, '20801', ['00101'])).to.equal('eu')
    expect(zoneOf(plan, '00101', ['00101'])).to.equal('')
    expect(zoneOf(plan, '31026', ['00101'])).to.equal('roaming')
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 2 * MB, start: wed('10:00'), end: wed('10:01'), zone: 'eu', bundles: [bundle()] })
    expect(r.bundleUnits).to.equal(0)
    expect(r.amount).to.equal(100)
    const roamLikeHome = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: 2 * MB, start: wed('10:00'), end: wed('10:01'), zone: 'eu', bundles: [bundle({ zones: ['*'] })] })
    expect(roamLikeHome.bundleUnits).to.equal(MB)
    expect(roamLikeHome.amount).to.equal(50)
  })

  it('flags units with no tariff as unrated instead of inventing a price', () => {
    const r = rateUsage({ plan, ratingGroup: 10, unit: 'VOLUME', units: MB, start: wed('10:00'), end: wed('10:01'), zone: 'roaming', bundles: [] })
    expect(r.unratedUnits).to.equal(MB)
    expect(r.amount).to.equal(0)
  })

  const table = [
    { name: 'per minute, 61 s → 2 minutes', rg: 20, unit: 'TIME' as const, units: 61, want: 18 },
    { name: 'per event, 3 events', rg: 30, unit: 'EVENTS' as const, units: 3, want: 15 },
    { name: 'zero use costs nothing', rg: 10, unit: 'VOLUME' as const, units: 0, want: 0 },
  ]
  for (const c of table) {
    it(`rates ${c.name}`, () => {
      expect(rateUsage({ plan, ratingGroup: c.rg, unit: c.unit, units: c.units, start: wed('10:00'), end: wed('10:01'), zone: '', bundles: [] }).amount).to.equal(c.want)
    })
  }

  it('tariffAt prefers the exact rating group and windows over all-day lines', () => {
    expect(tariffAt(plan, 10, '', wed('09:00'))!.price).to.equal(10)
    expect(tariffAt(plan, 10, '', wed('03:00'))!.price).to.equal(2)
    expect(tariffSegments(plan, 10, '', wed('07:00'), wed('09:00')).map((s) => s.tariff!.price)).to.deep.equal([2, 10])
  })
})

describe('chf roaming through the charging session', () => {
  it('re-derives the zone when the serving PLMN changes mid-session (servingCNPlmnId)', async () => {
    const { openTestStore } = await import('../helpers/store.ts')
    const { chfServices, f5Create, f5Update, MB: mb } = await import('./fixtures.ts')
    const store = await openTestStore()
    try {
      const { charging, accounts, chf } = await chfServices(store)
      const supi = 'imsi-001010000000090'
      await accounts.create({ supi, openingBalance: 1000, plan: { planId: 'r', paymentType: 'PREPAID', finalUnitAction: 'TERMINATE', tariffs: [{ ratingGroup: 1, unit: 'VOLUME', price: 10, unitSize: mb }, { ratingGroup: 1, unit: 'VOLUME', price: 50, unitSize: mb, zone: 'eu' }], json: JSON.stringify({ roamingZones: [{ id: 'eu', plmns: ['20801'] }] }) } })
      const { ref } = await charging.create(f5Create(supi) as any)
      await charging.update(ref, f5Update(supi, [{ rg: 1, requested: mb, total: mb, ts: new Date(Date.now() + 1).toISOString() }]) as any)
      const abroad = f5Update(supi, [{ rg: 1, requested: mb, total: mb, ts: new Date(Date.now() + 2).toISOString() }]) as any
      abroad.pDUSessionChargingInformation.pduSessionInformation.servingCNPlmnId = { mcc: '208', mnc: '01' }
      await charging.update(ref, abroad)
      const rated = (await chf.rated.find({ supi })).filter((r) => r.units > 0).sort((a, b) => a.ts.localeCompare(b.ts))
      expect(rated.map((r) => [r.zone, r.amount])).to.deep.equal([['', 10], ['eu', 50]])
    } finally {
      await store.close()
    }
  })
})
