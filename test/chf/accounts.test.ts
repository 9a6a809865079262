/** AccountService idempotency records: kept long enough to recognise retries, never piling up in the account. */
import { expect } from 'chai'
import { IDEMPOTENCY_MAX_RECORDS } from '../../nf/chf/accounts.ts'
import { PLAN, withChfServices } from './fixtures.ts'

const DAY = 86_400_000

describe('chf account idempotency records', () => {
  it('a call prunes records older than 30 days and keeps the newest 200; a retry within the window is still recognised', async () => {
    await withChfServices(Date.parse('2026-11-29T12:00:00Z'), async ({ now, services: { accounts, chf } }) => {
      const supi = 'imsi-001010000000090'
      await accounts.create({ supi, plan: PLAN, openingBalance: 0, idempotencyKey: 'create-1' })
      const first = await accounts.credit(supi, 100, { kind: 'topup', idempotencyKey: 'topup-old' })
      now.t += 10 * DAY
      await accounts.credit(supi, 100, { kind: 'topup', idempotencyKey: 'topup-recent' })
      // 31 days after the first top-up: its record (and the creation's) go with the next call
      now.t += 21 * DAY
      await accounts.addBundle(supi, { id: 'b1', unit: 'VOLUME', total: 1000 }, 'bundle-1')
      const keys = Object.keys((await chf.getAccount(supi))!.idem).sort()
      expect(keys).to.deep.equal(['k_bundle-1', 'k_topup-recent'])
      // a retry within the window is still answered from its record
      const again = await accounts.credit(supi, 100, { kind: 'topup', idempotencyKey: 'topup-recent' })
      expect(again.replayed).to.equal(true)
      expect((await chf.getAccount(supi))!.balance).to.equal(200)
      // a retry of the pruned one is a new call (documented: 30 days)
      const late = await accounts.credit(supi, 100, { kind: 'topup', idempotencyKey: 'topup-old' })
      expect(late.replayed).to.equal(false)
      expect(late.transactionId).to.not.equal(first.transactionId)

      // a burst of calls: never more than the cap
      for (let i = 0; i < IDEMPOTENCY_MAX_RECORDS + 20; i++) {
        now.t += 1000
        await accounts.credit(supi, 1, { kind: 'adjust', idempotencyKey: `adj-${i}`, reason: 'test' })
      }
      const idem = (await chf.getAccount(supi))!.idem
      expect(Object.keys(idem)).to.have.length(IDEMPOTENCY_MAX_RECORDS)
      expect(idem[`k_adj-${IDEMPOTENCY_MAX_RECORDS + 19}`]).to.not.equal(undefined)
      expect(idem['k_adj-0']).to.equal(undefined)
    })
  })
})
