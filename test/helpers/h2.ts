/**
 * HTTP/2 test tools: a one-shot h2c/h2 request, and a fake peer (h2c server) that records every
 * request, for playing free5GC/Open5GS SMF, AMF, NRF or CHF callbacks in protocol tests.
 */
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import type { AddressInfo } from 'node:net'

export interface H2Response<T = any> {
  status: number
  headers: IncomingHttpHeaders
  body: T
  text: string
}

export interface H2RequestOptions {
  method: string
  path: string
  body?: unknown
  headers?: Record<string, string>
  contentType?: string
  /** Trust this CA / accept self-signed for https. */
  ca?: string | Buffer
}

/** One request on a fresh connection (so tests do not depend on pooling). */
export async function h2request<T = any>(baseUrl: string, o: H2RequestOptions): Promise<H2Response<T>> {
  const session = http2.connect(baseUrl, baseUrl.startsWith('https') ? { ca: o.ca, rejectUnauthorized: !!o.ca } : {})
  try {
    return await h2requestOn<T>(session, o)
  } finally {
    session.close()
  }
}

export function h2requestOn<T = any>(session: http2.ClientHttp2Session, o: H2RequestOptions): Promise<H2Response<T>> {
  return new Promise((resolve, reject) => {
    session.once('error', reject)
    const headers: OutgoingHttpHeaders = { ':method': o.method, ':path': o.path, ...o.headers }
    let payload: Buffer | undefined
    if (o.body !== undefined) {
      payload = Buffer.isBuffer(o.body) ? o.body : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body))
      headers['content-type'] = o.contentType ?? 'application/json'
    }
    const req = session.request(headers, { endStream: payload === undefined })
    let status = 0
    let resHeaders: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    req.on('response', (h) => {
      status = Number(h[':status'])
      resHeaders = h
    })
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown = text
      const ct = String(resHeaders['content-type'] ?? '')
      if (text && ct.includes('json')) {
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
      } else if (!text) body = undefined
      resolve({ status, headers: resHeaders, body: body as T, text })
    })
    req.on('error', reject)
    if (payload) req.end(payload)
  })
}

export interface RecordedRequest {
  method: string
  /** Path with query string, as received. */
  path: string
  headers: IncomingHttpHeaders
  /** Parsed JSON when the body was JSON, else the raw text (undefined when empty). */
  body: any
  contentType: string | undefined
  receivedAt: number
}

export interface FakeReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type FakeHandler = (req: RecordedRequest) => FakeReply | undefined | void | Promise<FakeReply | undefined | void>

export interface FakePeer {
  url: string
  requests: RecordedRequest[]
  /** Resolves with the first recorded request (past or future) matching pred. */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>
  setHandler(h: FakeHandler): void
  close(): Promise<void>
}

/** An h2c server on 127.0.0.1 and an ephemeral port that records requests; default answer 204. */
export async function startFakePeer(handler?: FakeHandler, port = 0): Promise<FakePeer> {
  let current: FakeHandler | undefined = handler
  const requests: RecordedRequest[] = []
  const waiters: Array<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = []
  const server = http2.createServer()
  const sessions = new Set<http2.ServerHttp2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
  })
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('error', () => {})
    stream.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const contentType = headers['content-type'] ? String(headers['content-type']) : undefined
      let body: unknown = text || undefined
      if (text && contentType?.includes('json')) {
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
      }
      const rec: RecordedRequest = { method: String(headers[':method']), path: String(headers[':path']), headers, body, contentType, receivedAt: Date.now() }
      requests.push(rec)
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].pred(rec)) {
          waiters[i].resolve(rec)
          waiters.splice(i, 1)
        }
      }
      let reply: FakeReply | undefined
      try {
        reply = (await current?.(rec)) ?? undefined
      } catch {
        reply = { status: 500 }
      }
      reply ??= { status: 204 }
      if (stream.destroyed) return
      const h: OutgoingHttpHeaders = { ':status': reply.status, ...reply.headers }
      if (reply.body !== undefined) {
        h['content-type'] ??= reply.status >= 400 ? 'application/problem+json' : 'application/json'
        stream.respond(h)
        stream.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
      } else {
        stream.respond(h, { endStream: true })
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const addr = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    setHandler(h) {
      current = h
    },
    waitFor(pred, timeoutMs = 3000) {
      const found = requests.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (r: RecordedRequest) => (clearTimeout(t), resolve(r)) }
        const t = setTimeout(() => {
          const i = waiters.indexOf(w)
          if (i >= 0) waiters.splice(i, 1)
          reject(new Error(`fake peer: no matching request within ${timeoutMs} ms (got ${requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'none'})`))
        }, timeoutMs)
        waiters.push(w)
      })
    },
    async close() {
      for (const s of sessions) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
