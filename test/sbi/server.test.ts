import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import http2 from 'node:http2'
import pino from 'pino'
import { createSbiServer, type SbiServer } from '../../nf/sbi/server.ts'
import { h2request, h2requestOn } from '../helpers/h2.ts'
import { runtimeTestService } from './runtime-service.ts'

const log = pino({ level: 'silent' })
const BASE = '/ntest-runtime/v1'

function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mvno-tls-'))
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' })
  return { cert, key }
}

for (const transport of ['h2c', 'tls'] as const) {
  describe(`SBI server over ${transport === 'h2c' ? 'HTTP/2 cleartext (prior knowledge)' : 'TLS with ALPN h2'}`, () => {
    let server: SbiServer
    let url: string
    let ca: Buffer | undefined
    const req = (o: Parameters<typeof h2request>[1]) => h2request(url, { ...o, ca })

    before(async () => {
      const tls = transport === 'tls' ? selfSignedCert() : undefined
      ca = tls ? readFileSync(tls.cert) : undefined
      server = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, tls, services: [runtimeTestService()], log, maxBodyBytes: 4096 })
      url = await server.listen()
    })
    after(() => server.close())

    it('answers /healthz with 200', async () => {
      const res = await req({ method: 'GET', path: '/healthz' })
      expect(res.status).to.equal(200)
      expect(res.body).to.deep.include({ status: 'UP' })
    })

    it('routes by operationId and returns 201 with an absolute Location', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: { supi: 'imsi-001010000000001', count: 1 } })
      expect(res.status).to.equal(201)
      expect(res.headers['content-type']).to.equal('application/json')
      expect(String(res.headers.location)).to.match(new RegExp(`^${transport === 'tls' ? 'https' : 'http'}://127\\.0\\.0\\.1:\\d+${BASE}/items/\\d+$`))
      const get = await req({ method: 'GET', path: new URL(String(res.headers.location)).pathname })
      expect(get.status).to.equal(200)
      expect(get.body.supi).to.equal('imsi-001010000000001')
    })

    it('a body larger than the HTTP/2 flow-control window arrives whole (the stream ends after the write)', async () => {
      const big = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, tls: transport === 'tls' ? selfSignedCert() : undefined, services: [runtimeTestService()], log })
      const bigUrl = await big.listen()
      try {
        const tags = Array.from({ length: 20_000 }, (_, i) => `tag-${i}`) // ~230 KB echoed back, > 64 KB window
        const res = await h2request(bigUrl, { method: 'POST', path: `${BASE}/items`, body: { supi: 'imsi-001010000000001', count: 1, tags } })
        expect(res.status).to.equal(201)
        expect(res.body.tags).to.have.length(20_000)
        expect(res.body.tags[19_999]).to.equal('tag-19999')
      } finally {
        await big.close()
      }
    })

    it('unknown path: 404 problem+json RESOURCE_URI_STRUCTURE_NOT_FOUND (also for POST)', async () => {
      for (const method of ['GET', 'POST']) {
        const res = await req({ method, path: '/nothing/here', body: method === 'POST' ? {} : undefined })
        expect(res.status).to.equal(404)
        expect(res.headers['content-type']).to.equal('application/problem+json')
        expect(res.body).to.include({ status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' })
      }
      const inService = await req({ method: 'GET', path: `${BASE}/no-such-resource` })
      expect(inService.status).to.equal(404)
      expect(inService.body.cause).to.equal('RESOURCE_URI_STRUCTURE_NOT_FOUND')
    })

    it('wrong method: 405 problem+json', async () => {
      const res = await req({ method: 'DELETE', path: `${BASE}/items` })
      expect(res.status).to.equal(405)
      expect(res.headers['content-type']).to.equal('application/problem+json')
      expect(res.body.status).to.equal(405)
    })

    it('missing mandatory IE: 400 MANDATORY_IE_MISSING with invalidParams', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: { supi: 'imsi-001010000000001' } })
      expect(res.status).to.equal(400)
      expect(res.headers['content-type']).to.equal('application/problem+json')
      expect(res.body.cause).to.equal('MANDATORY_IE_MISSING')
      expect(res.body.invalidParams).to.deep.include({ param: '/count', reason: 'missing' })
    })

    it('incorrect mandatory IE: 400 MANDATORY_IE_INCORRECT naming the field', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: { supi: 'msisdn-1', count: 1 } })
      expect(res.status).to.equal(400)
      expect(res.body.cause).to.equal('MANDATORY_IE_INCORRECT')
      expect(res.body.invalidParams[0].param).to.equal('/supi')
    })

    it('missing body: 400 MANDATORY_IE_MISSING', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items` })
      expect(res.status).to.equal(400)
      expect(res.body.cause).to.equal('MANDATORY_IE_MISSING')
    })

    it('malformed JSON: 400 INVALID_MSG_FORMAT', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: '{"supi": ' })
      expect(res.status).to.equal(400)
      expect(res.body.cause).to.equal('INVALID_MSG_FORMAT')
    })

    it('bad query parameter: 400 INVALID_QUERY_PARAM', async () => {
      const res = await req({ method: 'GET', path: `${BASE}/items/1?fields=zero` })
      expect(res.status).to.equal(400)
      expect(res.body.cause).to.equal('INVALID_QUERY_PARAM')
    })

    it('wrong content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: 'supi=imsi-001010000000001', contentType: 'text/plain' })
      expect(res.status).to.equal(415)
      expect(res.headers['content-type']).to.equal('application/problem+json')
      expect(res.body.cause).to.equal('UNSUPPORTED_MEDIA_TYPE')
    })

    it('accepts every content type the document lists (merge-patch and plain JSON)', async () => {
      for (const ct of ['application/merge-patch+json', 'application/json']) {
        const res = await req({ method: 'PATCH', path: `${BASE}/items/1`, body: { purgeFlag: true }, contentType: ct })
        expect(res.status).to.equal(200)
        expect(res.body.contentType).to.equal(ct)
      }
    })

    it('body too large: 413 problem+json', async () => {
      const big = { supi: 'imsi-001010000000001', count: 1, tags: Array.from({ length: 500 }, (_, i) => `tag-${i}`) }
      const res = await req({ method: 'POST', path: `${BASE}/items`, body: big })
      expect(res.status).to.equal(413)
      expect(res.headers['content-type']).to.equal('application/problem+json')
    })

    it('handler crash: 500 SYSTEM_FAILURE without a stack trace on the wire', async () => {
      const res = await req({ method: 'POST', path: `${BASE}/crash` })
      expect(res.status).to.equal(500)
      expect(res.headers['content-type']).to.equal('application/problem+json')
      expect(res.body.cause).to.equal('SYSTEM_FAILURE')
      expect(res.text).not.to.match(/secret|\.ts:|at /)
    })

    it('operation without a handler: 501 NOT_IMPLEMENTED', async () => {
      const res = await req({ method: 'GET', path: `${BASE}/unimplemented` })
      expect(res.status).to.equal(501)
      expect(res.body.cause).to.equal('NOT_IMPLEMENTED')
    })

    it('serves Prometheus /metrics with per-operation counts and latency histograms', async () => {
      await req({ method: 'GET', path: `${BASE}/noop` })
      const res = await req({ method: 'GET', path: '/metrics' })
      expect(res.status).to.equal(200)
      expect(res.text).to.match(/sbi_requests_total\{[^}]*operation="Noop"[^}]*status="200"[^}]*\} [1-9]/)
      expect(res.text).to.match(/sbi_request_duration_seconds_bucket\{[^}]*operation="Noop"/)
    })
  })
}

describe('SBI server lifecycle', () => {
  it('names the NF and the port when the port is busy', async () => {
    const a = createSbiServer({ nf: 'udm', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await a.listen()
    const port = Number(new URL(url).port)
    const b = createSbiServer({ nf: 'pcf', host: '127.0.0.1', port, services: [runtimeTestService()], log })
    try {
      await b.listen()
      expect.fail('second listen should fail')
    } catch (err) {
      expect((err as Error).message).to.match(new RegExp(`pcf: port ${port} .*already in use`))
    } finally {
      await a.close()
    }
  })

  it('lets in-flight requests finish on close', async () => {
    const s = createSbiServer({ nf: 'test', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await s.listen()
    const session = http2.connect(url)
    const pending = h2requestOn(session, { method: 'GET', path: `${BASE}/slow` })
    await new Promise((r) => setTimeout(r, 50))
    const closing = s.close()
    const res = await pending
    await closing
    session.destroy()
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({ slow: true })
  })
})
