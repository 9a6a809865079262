import { expect } from 'chai'
import { Int32, Long } from 'mongodb'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseBulkFile, runBulkProvision } from '../../bss/bulk.ts'
import { databaseInUri } from '../../store/index.ts'
import { createAccountClient } from '../../bss/clients/chf.ts'
import { free5gcDocuments, o5Bitrate, open5gsSubscriber } from '../../bss/targets.ts'
import { defaultConfig } from '../../config/defaults.ts'
import { K, OPC, seed, startBssTest, PREPAID_PLAN, type BssTest } from './harness.ts'

describe('BSS bulk provisioning and lab targets', function () {
  this.timeout(60000)
  let t: BssTest
  const dir = mkdtempSync(join(tmpdir(), 'bss-bulk-'))
  before(async () => {
    t = await startBssTest()
    await seed(t, 5)
  })
  after(async () => t.close())

  it('takes the lab database from the MongoDB URI when it names one', () => {
    expect(databaseInUri('mongodb://127.0.0.1:27017/open5gs')).to.equal('open5gs')
    expect(databaseInUri('mongodb://h1:27017,h2:27017/lab%2D2?replicaSet=rs0')).to.equal('lab-2')
    expect(databaseInUri('mongodb+srv://user:pw@cluster.example.com/free5gc?retryWrites=true')).to.equal('free5gc')
    expect(databaseInUri('mongodb://127.0.0.1:27017/')).to.equal(undefined)
    expect(databaseInUri('mongodb://127.0.0.1:27017/?w=1')).to.equal(undefined)
    expect(databaseInUri('mongodb://127.0.0.1:27017')).to.equal(undefined)
  })

  it('parses CSV, JSON arrays and JSON lines', () => {
    expect(parseBulkFile('planId,customerName\np,Ada\n\np,Bob')).to.deep.equal([{ planId: 'p', customerName: 'Ada' }, { planId: 'p', customerName: 'Bob' }])
    expect(parseBulkFile('[{"planId":"p"}]')).to.deep.equal([{ planId: 'p' }])
    expect(parseBulkFile('{"rows":[{"planId":"p"}]}')).to.deep.equal([{ planId: 'p' }])
    expect(parseBulkFile('{"planId":"a"}\n{"planId":"b"}\n')).to.deep.equal([{ planId: 'a' }, { planId: 'b' }])
  })

  it('runs one order per row with per-row results; a re-run resumes (nothing done twice)', async () => {
    const lines = ['planId,customerName,imsi,k,opc,msisdn']
    for (let i = 1; i <= 12; i++) lines.push(`prepaid-10,Cust ${i},9997001000000${String(i).padStart(2, '0')},${K},${OPC},`)
    lines.push('nope,Bad Plan,,,,')
    lines.push('prepaid-10,,,,,')
    lines.push('prepaid-10,Too Many SIMs,,,,') // stock SIMs: 5 from seed → fine
    const file = join(dir, 'batch.csv')
    writeFileSync(file, lines.join('\n'))
    const chf = createAccountClient(t.chf.address)
    const progress: number[] = []
    const r = await runBulkProvision({ file, store: t.store, config: t.ctx.config, ctx: t.ctx, chf, concurrency: 4, onProgress: (d) => progress.push(d) })
    expect(r.total).to.equal(15)
    expect(r.completed, JSON.stringify(r.errors)).to.equal(13)
    expect(r.failed).to.equal(2)
    expect(r.errors.map((e) => e.row).sort((a, b) => a - b)).to.deep.equal([13, 14])
    expect(r.errors.find((e) => e.row === 13)!.error).to.match(/nope not found/)
    expect(progress[progress.length - 1]).to.equal(15)
    expect(t.chf.accounts.size).to.equal(13)
    const csv = readFileSync(r.resultsFile!, 'utf8').trim().split('\n')
    expect(csv[0]).to.equal('row,status,orderId,productId,msisdn,error')
    expect(csv).to.have.length(16)
    expect(csv[1]).to.match(/^1,completed,[0-9a-f-]{36},[0-9a-f-]{36},4917000000\d\d,$/)

    // crash simulation: forget three rows' results; the re-run redoes only those, through the order idempotency keys
    await t.store.collection('bss.bulkRow').deleteMany({ row: { $in: [2, 3, 14] } })
    const creates = t.chf.calls.filter((c) => c.method === 'CreateAccount').length
    const again = await runBulkProvision({ file, store: t.store, config: t.ctx.config, ctx: t.ctx, chf })
    chf.close?.()
    expect(again.jobId).to.equal(r.jobId)
    expect(again.skipped).to.equal(11)
    expect(again.completed).to.equal(13)
    expect(again.failed).to.equal(2) // rows 13 and 14 tried again, still failing
    expect(t.chf.calls.filter((c) => c.method === 'CreateAccount').length).to.equal(creates)
    expect((await t.req('GET', '/productInventory/v4/product?limit=1')).headers.get('x-total-count')).to.equal('13')
  })

  it('Open5GS subscriber documents carry the exact BSON types', () => {
    const cfg = defaultConfig()
    const doc: any = open5gsSubscriber(cfg, { imsi: '999700000000001', msisdn: '491700000001', k: K.toUpperCase(), opc: OPC, plan: { ...PREPAID_PLAN, version: 1 } as any })
    expect(doc.imsi).to.equal('999700000000001')
    expect(doc.schema_version).to.be.instanceOf(Int32)
    expect(doc.security.sqn).to.be.instanceOf(Long)
    expect(doc.security.k).to.equal(K)
    expect(doc.ambr.downlink.value).to.be.instanceOf(Int32)
    expect(doc.ambr.downlink.value.value).to.equal(100)
    expect(doc.ambr.downlink.unit.value).to.equal(2)
    expect(doc.slice[0].sst).to.be.instanceOf(Int32)
    expect(doc.slice[0].sd).to.equal('010203')
    expect(doc.slice[0].default_indicator).to.equal(true)
    expect(doc.slice[0].session[0].qos.index.value).to.equal(9)
    expect(doc.slice[0].session[0].qos.arp.priority_level).to.be.instanceOf(Int32)
    expect(doc.slice[0].session[0].type.value).to.equal(3)
    expect(o5Bitrate('1.5 Gbps')).to.deep.equal({ value: new Int32(1500), unit: new Int32(2) })
    expect(() => open5gsSubscriber(cfg, { imsi: 'imsi-999700000000001', k: K, opc: OPC, plan: PREPAID_PLAN as any })).to.throw(/digits only/)
  })

  it('writes Open5GS subscribers to MongoDB with int32/int64 types (needs MONGODB_URI)', async function () {
    if (!process.env.MONGODB_URI) return this.skip() // no MongoDB-wire server here: set MONGODB_URI to run
    const { Open5gsWriter } = await import('../../bss/targets.ts')
    const db = `o5test_${Date.now()}`
    const w = await Open5gsWriter.open(process.env.MONGODB_URI, db)
    try {
      await w.write(defaultConfig(), { imsi: '999700000000009', k: K, opc: OPC, plan: { ...PREPAID_PLAN, version: 1 } as any })
      const raw: any = await w.db.collection('subscribers').findOne({ imsi: '999700000000009' }, { promoteLongs: false, promoteValues: false })
      expect(raw.security.sqn).to.be.instanceOf(Long)
      expect(raw.schema_version).to.be.instanceOf(Int32)
    } finally {
      await w.db.dropDatabase()
      await w.close()
    }
  })

  it('a CSV provisioned straight into a lab core (targets open5gs and free5gc) lands in its database; a re-run changes nothing (needs MONGODB_URI)', async function () {
    if (!process.env.MONGODB_URI) return this.skip() // no MongoDB-wire server here: set MONGODB_URI to run
    const { MongoClient } = await import('mongodb')
    const file = join(dir, 'lab.csv')
    writeFileSync(file, ['planId,imsi,k,opc,msisdn', `prepaid-10,999700000000101,${K},${OPC},491700000101`, `prepaid-10,999700000000102,${K},${OPC},`, 'prepaid-10,999700000000103,,,'].join('\n'))
    const mongo = await MongoClient.connect(process.env.MONGODB_URI)
    const stamp = Date.now().toString(36)
    try {
      const o5db = `o5lab_${stamp}`
      // the database named in the URI, as `mvno provision --target open5gs --target-uri mongodb://HOST/DB` gives it
      const o5uri = `${process.env.MONGODB_URI.replace(/\/?(\?.*)?$/, '')}/${o5db}`
      const r = await runBulkProvision({ file, store: t.store, config: t.ctx.config, target: 'open5gs', targetUri: o5uri, batchId: `lab-o5-${stamp}` })
      expect([r.completed, r.failed]).to.deep.equal([2, 1])
      expect(r.errors[0]).to.deep.include({ row: 3, error: 'imsi, k and opc are required for this target' })
      const subs = await mongo.db(o5db).collection('subscribers').find({}, { promoteLongs: false, promoteValues: false }).sort({ imsi: 1 }).toArray()
      expect(subs.map((x) => String(x.imsi))).to.deep.equal(['999700000000101', '999700000000102'])
      expect(subs[0]!.msisdn.map(String)).to.deep.equal(['491700000101'])
      expect(subs[0]!.security.sqn).to.be.instanceOf(Long)
      // the same file again (a new batch id): the same two documents, replaced, not duplicated
      await runBulkProvision({ file, store: t.store, config: t.ctx.config, target: 'open5gs', targetUri: o5uri, batchId: `lab-o5b-${stamp}` })
      expect(await mongo.db(o5db).collection('subscribers').countDocuments()).to.equal(2)
      await mongo.db(o5db).dropDatabase()

      const f5db = `f5lab_${stamp}`
      const f = await runBulkProvision({ file, store: t.store, config: t.ctx.config, target: 'free5gc', targetUri: process.env.MONGODB_URI, targetDb: f5db, batchId: `lab-f5-${stamp}` })
      expect([f.completed, f.failed]).to.deep.equal([2, 1])
      const auth = await mongo.db(f5db).collection('subscriptionData.authenticationData.authenticationSubscription').find({}).sort({ ueId: 1 }).toArray()
      expect(auth.map((a) => [a.ueId, a.encPermanentKey, a.encOpcKey])).to.deep.equal([['imsi-999700000000101', K, OPC], ['imsi-999700000000102', K, OPC]])
      expect(await mongo.db(f5db).collection('subscriptionData.identityData').findOne({ ueId: 'imsi-999700000000101' })).to.deep.include({ gpsi: 'msisdn-491700000101' })
      expect(await mongo.db(f5db).collection('policyData.ues.smData').countDocuments()).to.equal(2)
      await mongo.db(f5db).dropDatabase()
    } finally {
      await mongo.close()
    }
  })

  it('free5GC documents use the webconsole collections and keys', () => {
    const docs = free5gcDocuments(defaultConfig(), { imsi: '999700000000001', msisdn: '491700000001', k: K, opc: OPC, plan: { ...PREPAID_PLAN, version: 1 } as any })
    const by = (c: string) => docs.filter((d) => d.collection === c)
    expect(by('subscriptionData.authenticationData.authenticationSubscription')[0]!.doc).to.include({ ueId: 'imsi-999700000000001', encPermanentKey: K, encOpcKey: OPC })
    expect(by('subscriptionData.provisionedData.amData')[0]!.doc).to.include({ servingPlmnId: '99970' })
    expect(by('subscriptionData.provisionedData.smData')).to.have.length(2)
    expect(Object.keys((by('subscriptionData.provisionedData.smfSelectionSubscriptionData')[0]!.doc as any).subscribedSnssaiInfos)).to.deep.equal(['01010203', '01'])
    expect(by('subscriptionData.identityData')[0]!.doc).to.deep.equal({ ueId: 'imsi-999700000000001', gpsi: 'msisdn-491700000001' })
    expect(Object.keys((by('policyData.ues.smData')[0]!.doc as any).smPolicySnssaiData)).to.deep.equal(['01010203', '01'])
  })
})
