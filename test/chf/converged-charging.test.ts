/**
 * Nchf_ConvergedCharging over real HTTP/2 (h2c) with the bodies free5GC's SMF sends (INTEROP §1.3,
 * smf internal/sbi/processor/charging_trigger.go), checking what it reads back, and validating our
 * answers against TS 32.291's schemas in ../shared/3gpp when present.
 */
import { expect } from 'chai'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { startFakePeer, type FakePeer } from '../helpers/h2.ts'
import { has3gppSpecs, validate3gpp } from '../helpers/schemas.ts'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import { f5Create, f5Update, MB, PLAN, UPF_ID } from './fixtures.ts'

const BASE = '/nchf-convergedcharging/v3'
const CC = 'TS32291_Nchf_ConvergedCharging.yaml'

describe('Nchf_ConvergedCharging over HTTP/2 (free5GC SMF bodies)', function () {
  let nf: TestNf
  let chf: ChfModule
  let smf: FakePeer
  let cdrDir: string
  const supi = 'imsi-001010000000001'

  beforeEach(async () => {
    cdrDir = mkdtempSync(join(tmpdir(), 'chf-cdr-'))
    smf = await startFakePeer()
    nf = await startTestNf(createChf, { name: 'chf', config: { chf: { cdrDir, defaultGrantVolume: 2 * MB, quotaValidityTime: 600, nfInstanceId: 'chf1' } as any } })
    chf = nf.module as ChfModule
    await chf.accounts.create({ supi, plan: PLAN, openingBalance: 50, bundles: [{ id: 'data-1', ratingGroup: 1, unit: 'VOLUME', total: 3 * MB }] })
  })
  afterEach(async () => {
    await nf.close()
    await smf.close()
    rmSync(cdrDir, { recursive: true, force: true })
  })

  const schemaCheck = (ctx: Mocha.Context, name: string, v: unknown) => {
    if (!has3gppSpecs()) return ctx.test?.title && console.log('      (../shared/3gpp absent: 3GPP schema validation skipped)')
    expect(validate3gpp(CC, name, v)).to.deep.equal([])
  }

  async function open(): Promise<string> {
    const r = await nf.request('POST', `${BASE}/chargingdata`, f5Create(supi, 'urn:uuid:11111111-2222-4333-8444-555555555555', smf.url))
    expect(r.status).to.equal(201)
    return String(r.headers.location).split('/').pop()!
  }

  it('create answers 201, an absolute Location whose last segment is the ChargingDataRef, and a JSON body', async function () {
    const r = await nf.request('POST', `${BASE}/chargingdata`, f5Create(supi, 'urn:uuid:1', smf.url))
    expect(r.status).to.equal(201)
    expect(String(r.headers.location)).to.match(new RegExp(`^${nf.url}${BASE}/chargingdata/[0-9a-f-]{36}$`))
    expect(String(r.headers['content-type'])).to.match(/^application\/json/)
    expect(r.body.invocationSequenceNumber).to.equal(0)
    schemaCheck(this, 'ChargingDataResponse', r.body)
  })

  it('update grants per (ratingGroup, uPFID), echoes uPFID and arms the triggers free5GC reads; bundle first, then money', async function () {
    const ref = await open()
    const first = f5Update(supi, [{ rg: 1, requested: 1000 }, { rg: 2, requested: 1000 }])
    const r = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, first)
    expect(r.status).to.equal(200)
    schemaCheck(this, 'ChargingDataResponse', r.body)
    const byRg = Object.fromEntries(r.body.multipleUnitInformation.map((m: any) => [m.ratingGroup, m]))
    for (const rg of [1, 2]) {
      const m = byRg[rg]
      expect(m.uPFID).to.equal(UPF_ID)
      expect(m.resultCode).to.equal('SUCCESS')
      expect(m.triggers.map((t: any) => t.triggerType)).to.include.members(['QUOTA_THRESHOLD', 'QUOTA_EXHAUSTED', 'VALIDITY_TIME'])
      expect(m.grantedUnit.totalVolume).to.be.a('number').and.to.be.at.most(2 ** 31 - 1)
      expect(m.validityTime).to.equal(600)
      expect(m.volumeQuotaThreshold).to.equal(Math.floor(m.grantedUnit.totalVolume * 0.8))
    }
    // requested 1000 bytes (free5GC's cfg.requestedUnit) < default: we grant the default 2 MB
    expect(byRg[1].grantedUnit.totalVolume).to.equal(2 * MB)
    const acct = await chf.chfStore.getAccount(supi)
    expect(acct!.bundles['b_data-1']!.reserved).to.equal(2 * MB) // RG 1 from the bundle
    expect(acct!.reserved).to.equal(10) // RG 2: two MB steps at 5
  })

  it('commits used units exactly once: a replayed update returns the stored answer and charges nothing (invocationSequenceNumber stays 0)', async function () {
    const ref = await open()
    await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, requested: 2 * MB }]))
    const report = f5Update(supi, [{ rg: 2, requested: 2 * MB, total: 2 * MB, ts: '2026-11-29T09:10:00.123456789Z' }])
    const a = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, report)
    const afterFirst = (await chf.chfStore.getAccount(supi))!
    const b = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, report)
    expect(b.status).to.equal(200)
    expect(b.body).to.deep.equal(a.body)
    // same report inside a new envelope (new invocationTimeStamp): still not charged twice
    const c = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, { ...report, invocationTimeStamp: '2026-11-29T09:10:05Z' })
    expect(c.status).to.equal(200)
    const acct = (await chf.chfStore.getAccount(supi))!
    expect(acct.balance).to.equal(afterFirst.balance)
    expect(acct.balance).to.equal(50 - 10) // 2 MB at 5/MB
    const rated = await chf.chfStore.rated.find({ supi })
    expect(rated.filter((x) => x.units > 0)).to.have.length(1)
  })

  it('answers a zero grant with QUOTA_EXHAUSTED (and a final unit indication) when money and bundle are gone', async function () {
    const ref = await open()
    // RG 2 at 5/MB with 50 → 10 MB at most
    const r1 = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, requested: 100 * MB }]))
    const m1 = r1.body.multipleUnitInformation[0]
    expect(m1.grantedUnit.totalVolume).to.equal(10 * MB)
    expect(m1.finalUnitIndication).to.deep.equal({ finalUnitAction: 'TERMINATE' })
    const r2 = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, requested: 100 * MB, total: 10 * MB }]))
    const m2 = r2.body.multipleUnitInformation[0]
    expect(m2.grantedUnit.totalVolume).to.equal(0)
    expect(m2.resultCode).to.equal('QUOTA_LIMIT_REACHED')
    expect(m2.triggers.map((t: any) => t.triggerType)).to.include('QUOTA_EXHAUSTED')
    expect(m2.uPFID).to.equal(UPF_ID)
    schemaCheck(this, 'ChargingDataResponse', r2.body)
    expect((await chf.chfStore.getAccount(supi))!.balance).to.equal(0)

    // a top-up makes quota available again: REAUTHORIZATION to the SMF's notifyUri, exactly as given
    await chf.accounts.credit(supi, 100, { kind: 'topup', idempotencyKey: 't1' })
    const n = await smf.waitFor((q) => q.path.startsWith('/nsmf-callback/notify_'), 5000)
    expect(n.path).to.equal('/nsmf-callback/notify_urn:uuid:11111111-2222-4333-8444-555555555555')
    expect(n.body).to.deep.equal({ notificationType: 'REAUTHORIZATION', reauthorizationDetails: [{ ratingGroup: 2 }] })
    if (has3gppSpecs()) expect(validate3gpp(CC, 'ChargingNotifyRequest', n.body)).to.deep.equal([])
    const r3 = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, requested: MB }]))
    expect(r3.body.multipleUnitInformation[0].grantedUnit.totalVolume).to.equal(MB)
  })

  it('release answers 204, releases reservations and writes a CHF-CDR line to a TS 32.297-named file', async function () {
    const ref = await open()
    await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 1, requested: MB }, { rg: 2, requested: MB }]))
    const rel = await nf.request('POST', `${BASE}/chargingdata/${ref}/release`, f5Update(supi, [{ rg: 1, total: 500_000, offline: false }, { rg: 2, total: 300_000 }]))
    expect(rel.status).to.equal(204)
    const acct = (await chf.chfStore.getAccount(supi))!
    expect(acct.reserved).to.equal(0)
    expect(acct.balance).to.equal(45) // RG 2: 300 kB → one MB step at 5; RG 1 from the bundle
    expect(acct.bundles['b_data-1']!.remaining).to.equal(3 * MB - 500_000)
    const files = readdirSync(cdrDir)
    expect(files).to.have.length(1)
    expect(files[0]).to.match(/^chf1_-_0001\.\d{8}_-_\d{4}\+0000$/)
    const lines = readFileSync(join(cdrDir, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).to.have.length(1)
    const cdr = lines[0]
    expect(cdr).to.include({ recordType: 'chargingFunctionRecord', chargingSessionIdentifier: ref, causeForRecordClosing: 'normalRelease', chargingID: 1, totalRatedAmount: 5 })
    expect(cdr.subscriberIdentifier).to.deep.equal({ subscriptionIDType: 'END_USER_IMSI', subscriptionIDData: supi })
    expect(cdr.recordOpeningTime).to.be.a('string')
    expect(cdr.duration).to.be.a('number')
    expect(cdr.listOfMultipleUnitUsage.map((u: any) => u.ratingGroup).sort()).to.deep.equal([1, 2])
    // release replayed: 204 again, nothing charged, no second CDR
    expect((await nf.request('POST', `${BASE}/chargingdata/${ref}/release`, f5Update(supi, [{ rg: 2, total: 300_000 }]))).status).to.equal(204)
    expect((await chf.chfStore.getAccount(supi))!.balance).to.equal(45)
    expect(readFileSync(join(cdrDir, files[0]!), 'utf8').trim().split('\n')).to.have.length(1)
  })

  it('offline charging records and debits usage without quota', async () => {
    const ref = await open()
    const r = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, total: 3 * MB, offline: true }]))
    expect(r.status).to.equal(200)
    const m = r.body.multipleUnitInformation[0]
    expect(m.grantedUnit).to.equal(undefined)
    expect(m.triggers.map((t: any) => t.triggerType)).to.deep.equal(['QUOTA_THRESHOLD'])
    expect((await chf.chfStore.getAccount(supi))!.balance).to.equal(35)
  })

  it('one-time event (IEC) debits at once, or refuses with QUOTA_LIMIT_REACHED', async () => {
    const body = (n: number) => ({ ...f5Create(supi), oneTimeEvent: true, oneTimeEventType: 'IEC', nfConsumerIdentification: { nodeFunctionality: 'SMSF' }, multipleUnitUsage: [{ ratingGroup: 3, requestedUnit: { serviceSpecificUnits: n } }] })
    const ok = await nf.request('POST', `${BASE}/chargingdata`, body(2))
    expect(ok.status).to.equal(201)
    expect(ok.body.multipleUnitInformation[0]).to.include({ resultCode: 'SUCCESS' })
    expect((await chf.chfStore.getAccount(supi))!.balance).to.equal(36)
    const no = await nf.request('POST', `${BASE}/chargingdata`, body(6))
    expect(no.body.multipleUnitInformation[0]).to.include({ resultCode: 'QUOTA_LIMIT_REACHED' })
    expect((await chf.chfStore.getAccount(supi))!.balance).to.equal(36)
  })

  it('free5GC webconsole recharging: PUT /recharging/{ueId}?ratingGroup= re-authorises the open sessions', async () => {
    await open()
    const r = await nf.request('PUT', `${BASE}/recharging/${supi}`, undefined, { query: { ratingGroup: '1' } })
    expect(r.status).to.equal(204)
    const n = await smf.waitFor((q) => q.path.startsWith('/nsmf-callback/'), 5000)
    expect(n.body).to.deep.equal({ notificationType: 'REAUTHORIZATION', reauthorizationDetails: [{ ratingGroup: 1 }] })
  })

  it('barring sends ABORT_CHARGING and later grants are zero with END_USER_SERVICE_DENIED; create is 403', async () => {
    const ref = await open()
    await chf.accounts.setBarred(supi, true, 'fraud')
    const n = await smf.waitFor((q) => q.body?.notificationType === 'ABORT_CHARGING', 5000)
    expect(n.path).to.match(/^\/nsmf-callback\/notify_/)
    const r = await nf.request('POST', `${BASE}/chargingdata/${ref}/update`, f5Update(supi, [{ rg: 2, requested: MB }]))
    expect(r.body.multipleUnitInformation[0]).to.deep.include({ resultCode: 'END_USER_SERVICE_DENIED', grantedUnit: { totalVolume: 0 } })
    const c = await nf.request('POST', `${BASE}/chargingdata`, f5Create(supi))
    expect(c.status).to.equal(403)
    expect(c.body.cause).to.equal('END_USER_REQUEST_DENIED')
  })

  it('errors: unknown ref 404 CONTEXT_NOT_FOUND, unknown subscriber 404 USER_UNKNOWN, missing nfConsumerIdentification 400', async () => {
    const a = await nf.request('POST', `${BASE}/chargingdata/nope/update`, f5Update(supi, []))
    expect(a.status).to.equal(404)
    expect(a.body.cause).to.equal('CONTEXT_NOT_FOUND')
    const b = await nf.request('POST', `${BASE}/chargingdata`, f5Create('imsi-999990000000000'))
    expect(b.status).to.equal(404)
    expect(b.body.cause).to.equal('USER_UNKNOWN')
    const { nfConsumerIdentification: _, ...bad } = f5Create(supi)
    const c = await nf.request('POST', `${BASE}/chargingdata`, bad)
    expect(c.status).to.equal(400)
    expect(c.body.cause).to.equal('MANDATORY_IE_MISSING')
  })
})
