/** gRPC AccountService (proto/account.proto) served by the CHF, driven with the BSS's own client. */
import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import { createAccountClient, type AccountApi } from '../../bss/clients/chf.ts'
import { f5Create, f5Update, MB } from './fixtures.ts'

const plan = {
  planId: 'mini', name: 'Mini', paymentType: 'PREPAID' as const,
  tariffs: [{ ratingGroup: 1, unit: 'VOLUME', price: 10, unitSize: MB, timeFrom: '', timeTo: '', zone: '' }],
  finalUnitAction: 'TERMINATE', redirectUrl: '', creditLimit: 0, lowBalanceThreshold: 0,
  json: JSON.stringify({ roamingZones: [], policyCounters: [{ id: 'data-allowance', unit: 'VOLUME', thresholds: [{ status: 'warning', usedRatio: 0.8 }] }] }),
}
const bundle = (id: string, total: number) => ({ id, name: id, ratingGroup: 1, unit: 'VOLUME', total, remaining: total, validFrom: '', validUntil: '', source: 'PLAN', priority: 0, recurrence: '' })

describe('CHF gRPC AccountService (BSS client)', () => {
  let nf: TestNf
  let chf: ChfModule
  let server: grpc.Server
  let api: AccountApi
  let smf: FakePeer
  let cdrDir: string
  const supi = 'imsi-001010000000003'

  beforeEach(async () => {
    cdrDir = mkdtempSync(join(tmpdir(), 'chf-cdr-'))
    smf = await startFakePeer()
    nf = await startTestNf(createChf, { name: 'chf', config: { chf: { cdrDir } as any } })
    chf = nf.module as ChfModule
    server = new grpc.Server()
    chf.registerGrpc!(server)
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))))
    api = createAccountClient(`127.0.0.1:${port}`)
  })
  afterEach(async () => {
    api.close?.()
    server.forceShutdown()
    await nf.close()
    await smf.close()
    rmSync(cdrDir, { recursive: true, force: true })
  })

  it('creates, reads, tops up (idempotently), adjusts, manages bundles, changes plan, bars and deletes', async () => {
    const created = await api.CreateAccount({ supi, gpsi: 'msisdn-4912345', planId: 'mini', currency: 'EUR', openingBalance: 100, bundles: [bundle('mini:1:VOLUME', 5 * MB)], plan, idempotencyKey: 'c1' })
    expect(created).to.include({ supi, balance: 100, reserved: 0, state: 'ACTIVE', planId: 'mini', currency: 'EUR' })
    expect(created.bundles[0]).to.include({ id: 'mini:1:VOLUME', total: 5 * MB, remaining: 5 * MB, unit: 'VOLUME' })
    expect((await api.CreateAccount({ supi, gpsi: '', planId: 'mini', currency: 'EUR', openingBalance: 100, bundles: [], plan, idempotencyKey: 'c1' })).balance).to.equal(100)
    await api.CreateAccount({ supi, gpsi: '', planId: 'mini', currency: 'EUR', openingBalance: 1, bundles: [], plan, idempotencyKey: 'other' }).then(
      () => expect.fail('ALREADY_EXISTS expected'),
      (e) => expect(e.code).to.equal(grpc.status.ALREADY_EXISTS),
    )

    const t1 = await api.TopUp({ supi, amount: 50, reference: 'voucher-1', idempotencyKey: 't1' })
    expect(t1.account.balance).to.equal(150)
    expect(t1.replayed).to.equal(false)
    const t2 = await api.TopUp({ supi, amount: 50, reference: 'voucher-1', idempotencyKey: 't1' })
    expect(t2).to.deep.include({ replayed: true, transactionId: t1.transactionId })
    expect(t2.account.balance).to.equal(150)

    expect((await api.Adjust({ supi, amount: -30, reason: 'goodwill reversal', operator: 'agent-7', idempotencyKey: 'a1' })).account.balance).to.equal(120)
    await api.Adjust({ supi, amount: -1000, reason: 'x', operator: 'agent-7', idempotencyKey: 'a2' }).then(
      () => expect.fail('FAILED_PRECONDITION expected'),
      (e) => expect(e.code).to.equal(grpc.status.FAILED_PRECONDITION),
    )

    const withBoost = await api.AddBundle({ supi, bundle: { ...bundle('boost', MB), source: 'TOPUP' }, idempotencyKey: 'b1' })
    expect(withBoost.bundles.map((b) => b.id).sort()).to.deep.equal(['boost', 'mini:1:VOLUME'])
    const changed = await api.ChangePlan({ supi, planId: 'maxi', plan: { ...plan, planId: 'maxi' }, bundles: [bundle('maxi:1:VOLUME', 20 * MB)], idempotencyKey: 'p1' })
    expect(changed.planId).to.equal('maxi')
    expect(changed.bundles.map((b) => b.id).sort()).to.deep.equal(['boost', 'maxi:1:VOLUME']) // TOPUP bundle kept, PLAN bundle replaced
    expect((await api.RemoveBundle({ supi, bundleId: 'boost', idempotencyKey: 'r1' })).bundles).to.have.length(1)

    expect((await api.Bar({ supi, reason: 'fraud', idempotencyKey: 'x1' })).state).to.equal('BARRED')
    expect((await api.Unbar({ supi, reason: '', idempotencyKey: 'x2' })).state).to.equal('ACTIVE')
    expect(await api.DeleteAccount({ supi, idempotencyKey: 'd1' })).to.deep.equal({ supi, finalBalance: 120 })
    await api.GetAccount({ supi }).then(
      () => expect.fail('NOT_FOUND expected'),
      (e) => expect(e.code).to.equal(grpc.status.NOT_FOUND),
    )
  })

  it('lists rated usage and re-authorises exhausted sessions after a top-up', async () => {
    await api.CreateAccount({ supi, gpsi: '', planId: 'mini', currency: 'EUR', openingBalance: 10, bundles: [], plan, idempotencyKey: 'c1' })
    const { ref } = await chf.charging.create(f5Create(supi, 'urn:uuid:g1', smf.url) as any)
    await chf.charging.update(ref, f5Update(supi, [{ rg: 1, requested: MB }]) as any)
    const a = await chf.charging.update(ref, f5Update(supi, [{ rg: 1, requested: MB, total: MB, ts: new Date(Date.now() + 10).toISOString() }]) as any)
    expect(a.multipleUnitInformation![0]!.grantedUnit!.totalVolume).to.equal(0)
    const usage = await api.ListRatedUsage({ supi, from: '', to: '', ratingGroup: 0, pageSize: 0, pageToken: '' })
    expect(usage.records.filter((r) => r.totalVolume > 0)).to.have.length(1)
    expect(usage.records.find((r) => r.totalVolume > 0)).to.include({ ratingGroup: 1, chargingDataRef: ref, amount: 10, currency: 'EUR', totalVolume: MB })
    await api.TopUp({ supi, amount: 20, reference: '', idempotencyKey: 't' })
    const n = await smf.waitFor((q) => q.body?.notificationType === 'REAUTHORIZATION', 5000)
    expect(n.body.reauthorizationDetails).to.deep.equal([{ ratingGroup: 1 }])
  })
})
