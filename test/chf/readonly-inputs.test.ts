/**
 * The CHF plans every op from documents the store lends without a copy (readonly reads: the row cache's
 * own session and account). Planning must copy what it changes. Here every lent document is deep-frozen
 * before the CHF sees it, so any write into one throws (ES modules are strict), through grants, usage
 * with a bundle, a partial CDR cut, an expiry and the release.
 */
import { expect } from 'chai'
import { ChfStore } from '../../nf/chf/store.ts'
import { f5Create, f5Update, MB, PLAN, SETTINGS, withChfServices } from './fixtures.ts'
import { deepFreeze } from '../helpers/freeze.ts'

describe('chf: planning never writes into the documents it reads', () => {
  const orig = { s: ChfStore.prototype.getSession, a: ChfStore.prototype.getAccount }
  before(() => {
    ChfStore.prototype.getSession = async function (ref, readonly = false) {
      const d = await orig.s.call(this, ref, readonly)
      return readonly ? deepFreeze(d) : d
    }
    ChfStore.prototype.getAccount = async function (supi, readonly = false) {
      const d = await orig.a.call(this, supi, readonly)
      return readonly ? deepFreeze(d) : d
    }
  })
  after(() => {
    ChfStore.prototype.getSession = orig.s
    ChfStore.prototype.getAccount = orig.a
  })

  it('grants, usage against a bundle and money, a partial record, expiry and release on frozen inputs', async () => {
    await withChfServices(Date.parse('2026-11-29T10:00:00Z'), async ({ now, services: { charging, accounts, chf } }) => {
      const supi = 'imsi-001010000000091'
      await accounts.create({ supi, plan: PLAN, openingBalance: 100_000 })
      await accounts.addBundle(supi, { id: 'data-3m', name: '3 MB', unit: 'VOLUME', ratingGroup: 1, total: 3 * MB }, 'k-bundle')
      const { ref } = await charging.create(f5Create(supi) as any)
      const ts = () => new Date(now.t).toISOString()
      await charging.update(ref, f5Update(supi, [{ rg: 1, requested: MB }, { rg: 2, requested: MB }]) as any)
      for (let i = 0; i < 6; i++) {
        now.t += 1000
        await charging.update(ref, f5Update(supi, [{ rg: 1, total: MB, ts: ts(), requested: MB }, { rg: 2, total: MB / 2, ts: ts(), requested: MB }]) as any)
      }
      now.t += (SETTINGS.partialTime + 1) * 1000 // the record's time limit: a partial CHF-CDR is cut
      await charging.update(ref, f5Update(supi, [{ rg: 1, total: MB, ts: ts(), requested: MB }]) as any)
      now.t += (SETTINGS.quotaValidityTime + SETTINGS.expiryGrace + 1) * 1000
      expect(await charging.expireReservations()).to.equal(1)
      now.t += 1000
      await charging.release(ref, f5Update(supi, [{ rg: 2, total: 1000, ts: ts() }]) as any)
      const acct = (await chf.getAccount(supi))!
      const session = (await chf.getSession(ref))!
      expect(session.state).to.equal('CLOSED')
      expect(session.cdrPending.map((r) => r.causeForRecordClosing)).to.deep.equal(['timeLimit', 'normalRelease'])
      expect(acct.reserved).to.equal(0)
      expect(acct.pendingOps).to.equal(0)
      expect(Object.values(acct.bundles)[0]!.remaining).to.equal(0) // 7 MB on RG 1: the 3 MB bundle first
    })
  })
})
