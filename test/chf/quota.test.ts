import { expect } from 'chai'
import { decideGrant, type GrantInput } from '../../nf/chf/domain/quota.ts'
import { INT32_MAX, type RatingPlan } from '../../nf/chf/domain/types.ts'

const MB = 1_048_576
const plan: RatingPlan = {
  planId: 'p1', paymentType: 'PREPAID', finalUnitAction: 'REDIRECT', redirectUrl: 'http://topup.example/', creditLimit: 0,
  tariffs: [{ ratingGroup: 10, unit: 'VOLUME', price: 10, unitSize: MB }, { ratingGroup: 11, unit: 'VOLUME', price: 0, unitSize: MB }],
}
const now = new Date('2026-11-25T10:00:00Z')
const base = (over: Partial<GrantInput> = {}): GrantInput => ({
  plan, ratingGroup: 10, zone: '', now, defaultGrant: { VOLUME: 10 * MB, TIME: 600, EVENTS: 1 },
  availableMoney: 0, bundles: [], validityTime: 3600, thresholdRate: 0.8, ...over,
})

describe('chf quota decisions', () => {
  it('grants from the bundle first, then what the money can buy, with a final unit indication when short', () => {
    const g = decideGrant(base({ requested: 5 * MB, availableMoney: 25, bundles: [{ id: 'b', ratingGroup: 10, unit: 'VOLUME', total: 2 * MB, remaining: 2 * MB, reserved: MB, priority: 0 }] }))
    expect(g.bundleReserve).to.deep.equal([{ bundleId: 'b', units: MB }])
    expect(g.moneyReserve).to.equal(20) // 2 whole MB affordable from 25
    expect(g.units).to.equal(3 * MB)
    expect(g.finalUnitIndication).to.deep.equal({ finalUnitAction: 'REDIRECT', redirectServer: { redirectAddressType: 'URL', redirectServerAddress: 'http://topup.example/' } })
    expect(g.threshold).to.equal(Math.floor(3 * MB * 0.8))
  })

  it('grants the full request without a final unit indication when funds suffice', () => {
    const g = decideGrant(base({ requested: 20 * MB, availableMoney: 1000 }))
    expect(g).to.include({ resultCode: 'SUCCESS', units: 20 * MB, moneyReserve: 200, exhausted: false })
    expect(g.finalUnitIndication).to.equal(undefined)
  })

  it('raises a tiny volume request to the default grant (free5GC asks for 1000 bytes), honours larger ones', () => {
    expect(decideGrant(base({ requested: 1_000_000, availableMoney: 1000 })).units).to.equal(1_000_000)
    expect(decideGrant(base({ requested: 1000, availableMoney: 1000 })).units).to.equal(10 * MB)
  })

  it('caps grants at int32 (free5GC models)', () => {
    const g = decideGrant(base({ ratingGroup: 11, requested: 10 * 2 ** 31 }))
    expect(g.units).to.equal(INT32_MAX)
  })

  it('answers a zero grant, QUOTA_LIMIT_REACHED and the plan action when nothing is left', () => {
    const g = decideGrant(base({ requested: MB, availableMoney: 9 }))
    expect(g).to.include({ units: 0, exhausted: true, resultCode: 'QUOTA_LIMIT_REACHED' })
    expect(g.finalUnitIndication!.finalUnitAction).to.equal('REDIRECT')
  })

  it('uses RESTRICT_ACCESS with the plan filter id, and TERMINATE when barred', () => {
    expect(decideGrant(base({ plan: { ...plan, finalUnitAction: 'RESTRICT_ACCESS', restrictionFilterId: 'walled-garden' } })).finalUnitIndication)
      .to.deep.equal({ finalUnitAction: 'RESTRICT_ACCESS', filterId: 'walled-garden' })
    const b = decideGrant(base({ availableMoney: 10_000, barred: true }))
    expect(b).to.include({ units: 0, resultCode: 'END_USER_SERVICE_DENIED' })
    expect(b.finalUnitIndication).to.deep.equal({ finalUnitAction: 'TERMINATE' })
  })

  it('keeps granting, unfunded, on a THROTTLE plan', () => {
    const g = decideGrant(base({ plan: { ...plan, finalUnitAction: 'THROTTLE' } }))
    expect(g).to.include({ units: 10 * MB, unfunded: true, moneyReserve: 0, exhausted: false })
  })

  it('shortens validity to the earliest expiry of a bundle it reserves from', () => {
    const g = decideGrant(base({ bundles: [{ id: 'b', ratingGroup: 0, unit: 'VOLUME', total: MB, remaining: MB, reserved: 0, priority: 0, validUntil: '2026-11-25T10:05:00.000Z' }] }))
    expect(g.validityTime).to.equal(300)
  })

  it('counts the session\'s own reservation as available when re-granting', () => {
    const g = decideGrant(base({ requested: MB, availableMoney: 0, ownReservedMoney: 10 }))
    expect(g.units).to.equal(MB)
    expect(g.moneyReserve).to.equal(10)
  })

  it('says RATING_FAILED for a rating group without tariff or bundle', () => {
    expect(decideGrant(base({ ratingGroup: 99, availableMoney: 100 })).resultCode).to.equal('RATING_FAILED')
  })
})
