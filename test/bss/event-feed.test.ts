import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { registerEventFeed } from '../../nf/sbi/event-feed.ts'
import { eventFeedDef } from '../../proto/load.ts'
import { createEventSink } from '../../nf/sbi/events.ts'
import type { DocumentStore } from '../../store/port.ts'
import { openTestStore } from '../helpers/store.ts'

describe('EventFeed (gRPC, nf/sbi/event-feed.ts)', () => {
  let store: DocumentStore
  let server: grpc.Server
  let client: any
  const add = (id: string, type: string, supi?: string) =>
    store.collection('events').insertOne({ _id: id, ts: '2026-11-29T09:00:00.000Z', nf: 'chf', type, ...(supi ? { supi } : {}), data: { n: id } })

  before(async () => {
    store = await openTestStore()
    await add('0001', 'chf.quota.granted', 'imsi-1')
    await add('0002', 'pcf.policy.updated', 'imsi-2')
    await add('0003', 'chf.quota.exhausted', 'imsi-1')
    server = new grpc.Server()
    registerEventFeed(server, store, { pollMs: 20 })
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    )
    const Ctor = eventFeedDef()
    client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  })
  after(async () => {
    client.close()
    server.forceShutdown()
    await store.close()
  })

  function collect(req: object, n: number): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const got: any[] = []
      const call = client.Subscribe(req)
      call.on('data', (e: any) => {
        got.push(e)
        if (got.length === n) {
          call.cancel()
          resolve(got)
        }
      })
      call.on('end', () => resolve(got))
      call.on('error', (e: any) => (e.code === grpc.status.CANCELLED ? resolve(got) : reject(e)))
    })
  }

  it('replays in id order and ends with replayOnly', async () => {
    const got = await collect({ replayOnly: true }, 99)
    expect(got.map((e) => e.id)).to.deep.equal(['0001', '0002', '0003'])
    expect(JSON.parse(got[0].dataJson)).to.deep.equal({ n: '0001' })
    expect(got[0].nf).to.equal('chf')
  })
  it('resumes after afterId and filters by supi and type prefix', async () => {
    expect((await collect({ afterId: '0001', replayOnly: true }, 99)).map((e) => e.id)).to.deep.equal(['0002', '0003'])
    expect((await collect({ supi: 'imsi-1', types: ['chf.*'], replayOnly: true }, 99)).map((e) => e.id)).to.deep.equal(['0001', '0003'])
    expect((await collect({ types: ['pcf.policy.updated'], replayOnly: true }, 99)).map((e) => e.id)).to.deep.equal(['0002'])
  })
  it('streams what ctx.events.emit writes (time-ordered ids), resuming after the last id seen', async () => {
    const sink = createEventSink(store)
    await sink.emit('pcf', { type: 'pcf.policy.updated', supi: 'imsi-9', data: { a: 1 } })
    await sink.emit('chf', { type: 'chf.quota.granted', supi: 'imsi-9' })
    const got = await collect({ supi: 'imsi-9', replayOnly: true }, 99)
    expect(got.map((e) => e.type)).to.deep.equal(['pcf.policy.updated', 'chf.quota.granted'])
    expect(got[0].nf).to.equal('pcf')
    expect((await collect({ supi: 'imsi-9', afterId: got[0].id, replayOnly: true }, 99)).map((e) => e.type)).to.deep.equal(['chf.quota.granted'])
  })

  it('tails new events after the replay', async () => {
    const p = collect({ afterId: '9999999999999' }, 1)
    await new Promise((r) => setTimeout(r, 50))
    await add('9999999999999-0004', 'bss.order.completed', 'imsi-3')
    const got = await p
    expect(got.map((e) => e.id)).to.deep.equal(['9999999999999-0004'])
  })
})
