/**
 * The SBI client: one pooled HTTP/2 session per authority, h2c by prior knowledge for `http://`
 * (free5GC and Open5GS servers speak HTTP/2 only, INTEROP §0.1) and h2 over TLS/ALPN for `https://`.
 *
 * Why node:http2 sessions and not http2-wrapper: http2-wrapper's value is ALPN negotiation with
 * HTTP/1.1 fallback behind an `http.request`-shaped API, and its agent only speaks TLS; every peer
 * we call speaks HTTP/2 (cleartext by prior knowledge, or TLS), so we keep one `ClientHttp2Session`
 * per authority ourselves: it multiplexes all requests on one connection, and we notice GOAWAY and
 * dropped connections through the session's own events and reconnect on the next request.
 *
 * Retry: a connection failure, a timeout, 503 or 504 moves on to the next candidate URI (another
 * instance of the same producer) when the caller gives several.
 */
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import {
  SbiClientError,
  type SbiClient,
  type SbiClientRequest,
  type SbiClientResponse,
  type TokenProvider,
} from './ports.ts'
import type { ProblemDetails } from './types.ts'

export interface SbiClientOptions {
  log?: Logger
  timeoutMs?: number
  /** CA bundle (PEM file) to trust for https peers; default the system store. */
  caFile?: string
  /** Accept self-signed peers (labs); default false. */
  insecureTls?: boolean
  tokens?: TokenProvider
}

const RETRY_STATUSES = new Set([503, 504])

export function createSbiClient(opts: SbiClientOptions = {}): SbiClient & { sessionCount(): number; connectCount(): number } {
  const sessions = new Map<string, ClientHttp2Session>()
  const timeoutMs = opts.timeoutMs ?? 5000
  const ca = opts.caFile ? readFileSync(opts.caFile) : undefined
  let connects = 0

  function session(origin: string): ClientHttp2Session {
    const existing = sessions.get(origin)
    if (existing && !existing.closed && !existing.destroyed) return existing
    connects++
    const s = http2.connect(origin, origin.startsWith('https:') ? { ca, rejectUnauthorized: !opts.insecureTls } : {})
    sessions.set(origin, s)
    const drop = () => {
      if (sessions.get(origin) === s) sessions.delete(origin)
    }
    // After GOAWAY the session takes no new streams: forget it so the next request reconnects.
    s.on('goaway', drop)
    s.on('close', drop)
    s.on('error', (err) => {
      drop()
      opts.log?.debug({ err, origin }, 'SBI client session error')
    })
    // Idle sessions must not keep the process alive.
    s.unref()
    return s
  }

  async function once<T>(uri: string, req: SbiClientRequest): Promise<SbiClientResponse<T>> {
    const u = new URL(uri)
    if (req.query) {
      for (const [k, v] of Object.entries(req.query)) {
        if (v === undefined) continue
        if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, x)
        else u.searchParams.set(k, String(v))
      }
    }
    const headers: OutgoingHttpHeaders = {
      ':method': req.method,
      ':path': u.pathname + u.search,
      accept: 'application/json, application/problem+json',
      ...req.headers,
    }
    let payload: Buffer | undefined
    if (req.body !== undefined) {
      const ct = req.contentType ?? 'application/json'
      headers['content-type'] = ct
      payload = Buffer.isBuffer(req.body)
        ? req.body
        : Buffer.from(
            typeof req.body === 'string'
              ? req.body
              : ct === 'application/x-www-form-urlencoded'
                ? new URLSearchParams(req.body as Record<string, string>).toString()
                : JSON.stringify(req.body),
          )
      headers['content-length'] = payload.length
    }
    if (req.scope && opts.tokens && !headers.authorization) {
      const token = await opts.tokens.token(req.scope, req.targetNfType)
      if (token) headers.authorization = `Bearer ${token}`
    }
    const s = session(u.origin)
    return new Promise<SbiClientResponse<T>>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream
      try {
        stream = s.request(headers, { endStream: payload === undefined })
      } catch (err) {
        sessions.delete(u.origin)
        return reject(new SbiClientError('SBI_CONNECT_FAILED', (err as Error).message, uri))
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL)
        reject(new SbiClientError('SBI_TIMEOUT', `no answer from ${uri} within ${req.timeoutMs ?? timeoutMs} ms`, uri))
      }, req.timeoutMs ?? timeoutMs)
      let status = 0
      let resHeaders: Record<string, string | string[] | undefined> = {}
      const chunks: Buffer[] = []
      stream.on('response', (h) => {
        status = Number(h[':status'])
        resHeaders = h as Record<string, string | string[] | undefined>
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        clearTimeout(timer)
        const text = Buffer.concat(chunks).toString('utf8')
        const ct = String(resHeaders['content-type'] ?? '').split(';')[0].trim()
        let body: unknown
        if (text && (ct === 'application/json' || ct.endsWith('+json'))) {
          try {
            body = JSON.parse(text)
          } catch {
            body = undefined
          }
        } else if (text) {
          body = text
        }
        const res: SbiClientResponse<T> = { status, headers: resHeaders, body: body as T, uri }
        if (ct === 'application/problem+json' && body && typeof body === 'object') res.problem = body as ProblemDetails
        resolve(res)
      })
      stream.on('error', (err) => {
        clearTimeout(timer)
        const code = (err as NodeJS.ErrnoException).code ?? ''
        const connect = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|ERR_HTTP2_GOAWAY_SESSION|ERR_HTTP2_SESSION_ERROR|ERR_HTTP2_STREAM_CANCEL|ERR_HTTP2_INVALID_SESSION/.test(code)
        reject(new SbiClientError(connect ? 'SBI_CONNECT_FAILED' : 'SBI_STREAM_ERROR', `${code || 'error'}: ${(err as Error).message}`, uri))
      })
      if (payload !== undefined) stream.end(payload)
    })
  }

  return {
    async request<T>(req: SbiClientRequest): Promise<SbiClientResponse<T>> {
      const uris = Array.isArray(req.uri) ? [...req.uri] : [req.uri]
      if (uris.length === 0) throw new SbiClientError('SBI_CONNECT_FAILED', 'no candidate URI for the request', '')
      // A lone URI gets one more try after a connection failure: the pooled session may have been
      // dropped by the peer (idle timeout, restart) between two requests.
      if (uris.length === 1) uris.push(uris[0])
      let lastErr: unknown
      for (let i = 0; i < uris.length; i++) {
        const last = i === uris.length - 1
        try {
          const res = await once<T>(uris[i], req)
          if (RETRY_STATUSES.has(res.status) && !last && uris[i] !== uris[i + 1]) {
            opts.log?.debug({ uri: uris[i], status: res.status }, 'SBI retry on another instance')
            continue
          }
          return res
        } catch (err) {
          lastErr = err
          if (last) break
          if (uris[i] === uris[i + 1] && (err as SbiClientError).code !== 'SBI_CONNECT_FAILED') break
          opts.log?.debug({ err, uri: uris[i] }, 'SBI retry on another instance')
        }
      }
      throw lastErr
    },
    async close() {
      const all = [...sessions.values()]
      sessions.clear()
      await Promise.all(all.map((s) => new Promise<void>((r) => (s.closed ? r() : s.close(() => r())))))
    },
    sessionCount: () => sessions.size,
    connectCount: () => connects,
  }
}
