import { expect } from 'chai'
import pino from 'pino'
import { createOutbox } from '../../nf/sbi/outbox.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import { startFakePeer } from '../helpers/h2.ts'
import { openTestStore } from '../helpers/store.ts'

const log = pino({ level: 'silent' })
const fast = { pollMs: 20, baseBackoffMs: 20, maxBackoffMs: 100 }

describe('notification outbox', () => {
  it('persists before sending and delivers the exact URI, method and body', async () => {
    const store = await openTestStore()
    const smf = await startFakePeer()
    const client = createSbiClient({ log })
    const outbox = createOutbox({ store, client, log, ...fast })
    try {
      outbox.start()
      // free5GC's SMF callback refs contain ':' (urn:uuid:…): the URI is used exactly as given.
      const uri = `${smf.url}/nsmf-callback/sm-policies/urn:uuid:6b3f-11/update`
      const id = await outbox.enqueue({ kind: 'SmPolicyUpdateNotify', uri, body: { resourceUri: 'x', smPolicyDecision: {} } })
      const got = await smf.waitFor((r) => r.path.endsWith('/update'))
      expect(got.method).to.equal('POST')
      expect(got.path).to.equal('/nsmf-callback/sm-policies/urn:uuid:6b3f-11/update')
      expect(got.body).to.deep.equal({ resourceUri: 'x', smPolicyDecision: {} })
      await outbox.drain()
      const rec = await store.collection('outbox').findOne({ _id: id })
      expect(rec?.state).to.equal('delivered')
    } finally {
      await outbox.stop()
      await client.close()
      await smf.close()
      await store.close()
    }
  })

  it('retries with backoff until the peer answers, and a restart loses none', async () => {
    const store = await openTestStore()
    const client = createSbiClient({ log, timeoutMs: 500 })
    // The peer is down when the notification is enqueued.
    const placeholder = await startFakePeer()
    const url = placeholder.url
    await placeholder.close()
    const first = createOutbox({ store, client, log, ...fast })
    first.start()
    await first.enqueue({ kind: 'ChargingNotify', uri: `${url}/nsmf-callback/notify_1`, body: { notificationType: 'REAUTHORIZATION' } })
    await new Promise((r) => setTimeout(r, 200))
    await first.stop() // "crash": the process goes away with the notification undelivered
    const pending = await store.collection('outbox').findOne({ kind: 'ChargingNotify' })
    expect(pending?.state).to.equal('pending')
    expect(pending?.attempts as number).to.be.greaterThan(0)

    const port = Number(new URL(url).port)
    const smf = await startFakePeer(undefined, port)
    const second = createOutbox({ store, client, log, ...fast })
    try {
      second.start()
      const got = await smf.waitFor((r) => r.path === '/nsmf-callback/notify_1', 3000)
      expect(got.body).to.deep.equal({ notificationType: 'REAUTHORIZATION' })
    } finally {
      await second.stop()
      await client.close()
      await smf.close()
      await store.close()
    }
  })

  it('treats terminal statuses (free5GC /terminate → 501) as delivered-unsupported, without retrying', async () => {
    const store = await openTestStore()
    const smf = await startFakePeer(() => ({ status: 501, body: { status: 501, cause: 'NOT_IMPLEMENTED' } }))
    const client = createSbiClient({ log })
    const outbox = createOutbox({ store, client, log, ...fast })
    try {
      outbox.start()
      const id = await outbox.enqueue({ kind: 'SmPolicyTerminate', uri: `${smf.url}/cb/terminate`, body: {}, terminalStatuses: [501] })
      await smf.waitFor(() => true)
      await new Promise((r) => setTimeout(r, 200))
      await outbox.drain()
      expect(smf.requests).to.have.length(1)
      expect((await store.collection('outbox').findOne({ _id: id }))?.state).to.equal('rejected')
    } finally {
      await outbox.stop()
      await client.close()
      await smf.close()
      await store.close()
    }
  })

  it('gives up when the notification expires', async () => {
    const store = await openTestStore()
    const client = createSbiClient({ log, timeoutMs: 200 })
    const gone = await startFakePeer()
    await gone.close()
    const outbox = createOutbox({ store, client, log, ...fast })
    try {
      outbox.start()
      const id = await outbox.enqueue({ kind: 'SdmChange', uri: `${gone.url}/x`, body: {}, expiresInMs: 150 })
      const deadline = Date.now() + 3000
      let state: unknown
      while (Date.now() < deadline) {
        state = (await store.collection('outbox').findOne({ _id: id }))?.state
        if (state === 'expired') break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(state).to.equal('expired')
    } finally {
      await outbox.stop()
      await client.close()
      await store.close()
    }
  })

  it('two outboxes on one store send each notification once', async () => {
    const store = await openTestStore()
    const peer = await startFakePeer()
    const client = createSbiClient({ log })
    const a = createOutbox({ store, client, log, ...fast })
    const b = createOutbox({ store, client, log, ...fast })
    try {
      for (let i = 0; i < 40; i++) await a.enqueue({ kind: 'n', uri: `${peer.url}/n/${i}`, body: { i } })
      await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()])
      const paths = peer.requests.map((r) => r.path)
      expect(paths).to.have.length(40)
      expect(new Set(paths).size).to.equal(40)
    } finally {
      await client.close()
      await peer.close()
      await store.close()
    }
  })

  it('a peer that does not answer holds back no notification to other peers', async () => {
    const store = await openTestStore()
    const deadSmf = await startFakePeer(() => new Promise((r) => setTimeout(() => r({ status: 204 }), 1500)))
    const smf = await startFakePeer()
    const client = createSbiClient({ log, timeoutMs: 1000 })
    const outbox = createOutbox({ store, client, log, ...fast })
    try {
      outbox.start()
      await outbox.enqueue({ kind: 'SmPolicyUpdateNotify', uri: `${deadSmf.url}/cb/update`, body: { to: 'dead' } })
      await deadSmf.waitFor(() => true)
      const t = Date.now()
      await outbox.enqueue({ kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { to: 'live' } })
      await smf.waitFor(() => true, 3000)
      expect(Date.now() - t).to.be.lessThan(500) // not after the dead peer's 1 s timeout
    } finally {
      await outbox.stop()
      await client.close()
      await smf.close()
      await deadSmf.close()
      await store.close()
    }
  })

  describe('ordering key (one resource, whole state per notification)', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
    const key = 'sm-policy:0190a1b2'

    it('a newer state supersedes an older one whose delivery failed: the SMF ends with the newest, never the old one after it', async () => {
      const store = await openTestStore()
      let up = false
      const smf = await startFakePeer(() => (up ? { status: 204 } : { status: 503, body: { status: 503, cause: 'NF_CONGESTION' } }))
      const client = createSbiClient({ log, timeoutMs: 500 })
      const outbox = createOutbox({ store, client, log, ...fast })
      try {
        outbox.start()
        const throttle = await outbox.enqueue({ key, kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { mode: 'THROTTLED' } })
        await smf.waitFor((r) => (r.body as { mode?: string })?.mode === 'THROTTLED')
        await sleep(50)
        const restore = await outbox.enqueue({ key, kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { mode: 'NORMAL' } })
        up = true
        await smf.waitFor((r) => (r.body as { mode?: string })?.mode === 'NORMAL', 3000)
        await sleep(300)
        await outbox.drain()
        const modes = smf.requests.map((r) => (r.body as { mode: string }).mode)
        expect(modes.at(-1)).to.equal('NORMAL')
        expect(modes.lastIndexOf('THROTTLED')).to.be.lessThan(modes.indexOf('NORMAL'))
        const recs = store.collection('outbox')
        expect((await recs.findOne({ _id: throttle }))?.state).to.equal('superseded')
        expect((await recs.findOne({ _id: throttle }))?.supersededBy).to.equal(restore)
        expect((await recs.findOne({ _id: restore }))?.state).to.equal('delivered')
      } finally {
        await outbox.stop()
        await client.close()
        await smf.close()
        await store.close()
      }
    })

    it('one delivery per key at a time across processes, in enqueue order; an in-flight one that then fails is not retried', async () => {
      const store = await openTestStore()
      const seen: Array<{ mode: string; at: number; done?: number }> = []
      const smf = await startFakePeer(async (r) => {
        const e: { mode: string; at: number; done?: number } = { mode: (r.body as { mode: string }).mode, at: Date.now() }
        seen.push(e)
        if (e.mode === 'A') await sleep(300) // the SMF is slow on the first one, and then fails it
        e.done = Date.now()
        return { status: e.mode === 'A' ? 503 : 204 }
      })
      const client = createSbiClient({ log, timeoutMs: 2000 })
      // two PCF instances sharing the store: the second must not send B while the first is sending A
      const first = createOutbox({ store, client, log, ...fast })
      const second = createOutbox({ store, client, log, ...fast })
      try {
        first.start()
        const a = await first.enqueue({ key, kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { mode: 'A' } })
        await smf.waitFor((r) => (r.body as { mode: string }).mode === 'A')
        second.start()
        const b = await second.enqueue({ key, kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { mode: 'B' } })
        const x = await second.enqueue({ key: 'sm-policy:other', kind: 'SmPolicyUpdateNotify', uri: `${smf.url}/cb/update`, body: { mode: 'X' } })
        await smf.waitFor((r) => (r.body as { mode: string }).mode === 'B', 3000)
        await sleep(300)
        await first.drain()
        await second.drain()
        const A = seen.filter((e) => e.mode === 'A')
        const B = seen.filter((e) => e.mode === 'B')
        expect(A).to.have.length(1) // failed while B was queued: superseded, not retried
        expect(B).to.have.length(1)
        expect(B[0]!.at).to.be.at.least(A[0]!.done!) // B went out only after A's answer
        const X = seen.find((e) => e.mode === 'X')!
        expect(X.at).to.be.lessThan(A[0]!.done!) // another resource's notification was not held back
        const recs = store.collection('outbox')
        expect((await recs.findOne({ _id: a }))?.state).to.equal('superseded')
        expect((await recs.findOne({ _id: b }))?.state).to.equal('delivered')
        expect((await recs.findOne({ _id: x }))?.state).to.equal('delivered')
      } finally {
        await first.stop()
        await second.stop()
        await client.close()
        await smf.close()
        await store.close()
      }
    })
  })
})
