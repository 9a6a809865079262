/** bss/webhooks.ts: the BSS's HTTP/1.1 webhook outbox, shared by several BSS processes through the store. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import pino from 'pino'
import { BssStore } from '../../bss/store.ts'
import { WebhookOutbox } from '../../bss/webhooks.ts'
import { openTestStore } from '../helpers/store.ts'

describe('BSS webhook outbox', () => {
  it('two BSS processes sharing the store send a notification once (lease), with its idempotency key', async () => {
    const hits: Array<{ key: string | undefined; body: string }> = []
    const hook = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        hits.push({ key: req.headers['x-idempotency-key'] as string | undefined, body })
        setTimeout(() => res.writeHead(204).end(), 200) // a slow receiver: both processes see the message due meanwhile
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/notify`
    const store = await openTestStore()
    const s = new BssStore(store)
    const log = pino({ level: 'silent' })
    const clock = () => new Date()
    const a = new WebhookOutbox({ s, url, log, clock })
    const b = new WebhookOutbox({ s, url, log, clock })
    try {
      await s.webhooks.insertOne({ _id: 'msg-1', body: { id: 'msg-1', content: 'Hello' }, state: 'pending', attempts: 0, createdAt: 0, nextAttemptAt: 0, expiresAt: Date.now() + 60_000, leaseUntil: 0 })
      await Promise.all([a.drain(), b.drain(), a.drain(), b.drain()])
      await new Promise((r) => setTimeout(r, 100))
      expect(hits).to.have.length(1)
      expect(hits[0]!.key).to.equal('msg-1')
      expect((await s.webhooks.findOne({ _id: 'msg-1' }))?.state).to.equal('delivered')
    } finally {
      await new Promise<void>((r) => hook.close(() => r()))
      await store.close()
    }
  })
})
