/**
 * On MongoDB the UDR keeps free5GC's layout (INTEROP §3.1, §0.13): collection names, `ueId`/`servingPlmnId`
 * fields, DNN keys escaped, and numbers as BSON doubles (free5GC's PCF asserts float64). Runs when
 * MONGODB_URI is set (CI starts FerretDB).
 */
import { expect } from 'chai'
import { MongoClient } from 'mongodb'
import { createUdr } from '../../nf/udr/index.ts'
import { COLLECTIONS } from '../../nf/udr/store.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { mongoAvailable, openTestStore } from '../helpers/store.ts'
import { PLMN, SUPI, provision } from './fixtures.ts'

describe('UDR on MongoDB: free5GC document shapes and BSON types', function () {
  let udr: TestNf
  let client: MongoClient
  before(async function () {
    if (!mongoAvailable()) {
      console.log('      skipped: MONGODB_URI is not set (CI starts FerretDB for this)')
      return this.skip()
    }
    this.timeout(300_000)
    const store = await openTestStore('mongodb')
    udr = await startTestNf(createUdr, { store })
    await provision(udr)
    client = new MongoClient(process.env.MONGODB_URI!)
    await client.connect()
  })
  after(async () => {
    await client?.close()
    if (udr) {
      await udr.close()
      await udr.store.close()
    }
  })

  /** The raw BSON document as free5GC's UDR or webconsole would read it (types kept). */
  async function raw(coll: string, filter: Record<string, unknown>) {
    const names = await client.db().admin().listDatabases()
    for (const d of names.databases) {
      if (!d.name.startsWith('test_')) continue
      const doc = await client.db(d.name).collection(coll).findOne(filter, { promoteValues: false })
      if (doc) return doc as Record<string, any>
    }
    return null
  }

  it('writes numbers as doubles and keys documents by ueId/servingPlmnId, DNN keys escaped', async () => {
    const sm = await raw(COLLECTIONS.smData, { ueId: SUPI, servingPlmnId: PLMN, 'singleNssai.sd': '010203' })
    expect(sm, 'smData document').to.not.equal(null)
    expect(sm!.singleNssai.sst._bsontype).to.equal('Double')
    expect(sm!.dnnConfigurations.internet['5gQosProfile']['5qi']._bsontype).to.equal('Double')
    const other = await raw(COLLECTIONS.smData, { ueId: SUPI, servingPlmnId: PLMN, 'singleNssai.sd': { $exists: false } })
    expect(Object.keys(other!.dnnConfigurations)).to.include('web_apn')
    const am = await raw(COLLECTIONS.amData, { ueId: SUPI, servingPlmnId: PLMN })
    expect(am!.nssai.defaultSingleNssais[0].sst._bsontype).to.equal('Double')
  })
})
