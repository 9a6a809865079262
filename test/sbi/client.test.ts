import { expect } from 'chai'
import pino from 'pino'
import { createSbiClient } from '../../nf/sbi/client.ts'
import { createSbiServer } from '../../nf/sbi/server.ts'
import { SbiClientError } from '../../nf/sbi/ports.ts'
import { startFakePeer } from '../helpers/h2.ts'
import { runtimeTestService } from './runtime-service.ts'

const log = pino({ level: 'silent' })
const BASE = '/ntest-runtime/v1'

describe('SBI client', () => {
  it('reuses one HTTP/2 session for many requests to one authority', async () => {
    const server = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await server.listen()
    const client = createSbiClient({ log })
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.request({ method: 'GET', uri: `${url}${BASE}/noop` })))
      for (let i = 0; i < 50; i++) await client.request({ method: 'GET', uri: `${url}${BASE}/noop` })
      expect(answers.every((a) => a.status === 200)).to.equal(true)
      expect(client.connectCount()).to.equal(1)
      expect(client.sessionCount()).to.equal(1)
    } finally {
      await client.close()
      await server.close()
    }
  })

  it('decodes JSON bodies and problem+json into typed results', async () => {
    const server = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await server.listen()
    const client = createSbiClient({ log })
    try {
      const made = await client.request<{ id: string; supi: string }>({ method: 'POST', uri: `${url}${BASE}/items`, body: { supi: 'imsi-001010000000001', count: 2 } })
      expect(made.status).to.equal(201)
      expect(made.body?.supi).to.equal('imsi-001010000000001')
      expect(made.headers.location).to.be.a('string')
      const missing = await client.request({ method: 'GET', uri: `${url}${BASE}/items/999` })
      expect(missing.status).to.equal(404)
      expect(missing.problem).to.include({ status: 404, cause: 'CONTEXT_NOT_FOUND' })
    } finally {
      await client.close()
      await server.close()
    }
  })

  it('moves to the next instance on connection failure and on 503', async () => {
    const unavailable = await startFakePeer(() => ({ status: 503, body: { status: 503, cause: 'NF_CONGESTION' } }))
    const healthy = await startFakePeer(() => ({ status: 200, body: { from: 'healthy' } }))
    const dead = await startFakePeer()
    const deadUrl = dead.url
    await dead.close()
    const client = createSbiClient({ log })
    try {
      const res = await client.request<{ from: string }>({ method: 'GET', uri: [`${deadUrl}/x`, `${unavailable.url}/x`, `${healthy.url}/x`] })
      expect(res.status).to.equal(200)
      expect(res.body?.from).to.equal('healthy')
      expect(unavailable.requests).to.have.length(1)
      // The last candidate's 503 is returned as is.
      const only503 = await client.request({ method: 'GET', uri: [`${unavailable.url}/x`] })
      expect(only503.status).to.equal(503)
    } finally {
      await client.close()
      await unavailable.close()
      await healthy.close()
    }
  })

  it('fails with SBI_CONNECT_FAILED when no instance answers', async () => {
    const dead = await startFakePeer()
    await dead.close()
    const client = createSbiClient({ log })
    try {
      await client.request({ method: 'GET', uri: `${dead.url}/x` })
      expect.fail('should throw')
    } catch (err) {
      expect(err).to.be.instanceOf(SbiClientError)
      expect((err as SbiClientError).code).to.equal('SBI_CONNECT_FAILED')
    } finally {
      await client.close()
    }
  })

  it('times out with SBI_TIMEOUT', async () => {
    const slow = await startFakePeer(async () => {
      await new Promise((r) => setTimeout(r, 500))
      return { status: 200 }
    })
    const client = createSbiClient({ log })
    try {
      await client.request({ method: 'GET', uri: `${slow.url}/x`, timeoutMs: 100 })
      expect.fail('should time out')
    } catch (err) {
      expect((err as SbiClientError).code).to.equal('SBI_TIMEOUT')
    } finally {
      await client.close()
      await slow.close()
    }
  })

  it('reconnects after the server went away (GOAWAY / restart on the same port)', async () => {
    const first = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await first.listen()
    const port = Number(new URL(url).port)
    const client = createSbiClient({ log })
    try {
      expect((await client.request({ method: 'GET', uri: `${url}${BASE}/noop` })).status).to.equal(200)
      await first.close()
      const second = createSbiServer({ nf: 'test', host: '127.0.0.1', port, services: [runtimeTestService()], log })
      await second.listen()
      try {
        expect((await client.request({ method: 'GET', uri: `${url}${BASE}/noop` })).status).to.equal(200)
        expect(client.connectCount()).to.equal(2)
      } finally {
        await second.close()
      }
    } finally {
      await client.close()
    }
  })

  it('attaches an OAuth2 bearer token from the token provider when a scope is given', async () => {
    const peer = await startFakePeer(() => ({ status: 200, body: {} }))
    const scopes: string[] = []
    const client = createSbiClient({ log, tokens: { token: async (scope) => (scopes.push(scope), 'tok-123') } })
    try {
      await client.request({ method: 'GET', uri: `${peer.url}/x`, scope: 'nudr-dr', targetNfType: 'UDR' })
      await client.request({ method: 'GET', uri: `${peer.url}/y` })
      expect(peer.requests[0].headers.authorization).to.equal('Bearer tok-123')
      expect(peer.requests[1].headers.authorization).to.equal(undefined)
      expect(scopes).to.deep.equal(['nudr-dr'])
    } finally {
      await client.close()
      await peer.close()
    }
  })
})
