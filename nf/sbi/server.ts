/**
 * The SBI server every NF runs: node:http2 with HTTP/2 cleartext by prior knowledge (what free5GC
 * and Open5GS clients speak, INTEROP §0.1) or TLS with ALPN h2, routing by base path to an
 * openapi-backend document, request validation, OAuth2 (optional), problem+json errors (TS 29.500
 * §5.2.7), `/healthz` and Prometheus `/metrics`.
 *
 * The stream API (not the compat req/res API) is used on purpose: it is the cheapest path through
 * node:http2 and the no-op benchmark (bench/) measures the runtime against a bare stream server.
 */
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { mountService, type MountedService } from './openapi.ts'
import { createSbiMetrics, type SbiMetrics } from './metrics.ts'
import { problemFromValidation } from './validation-errors.ts'
import { ProblemError, type ProblemDetails, type SbiRequest, type SbiResponse, type SbiService } from './types.ts'

/** Verifies the `Authorization` header for a service; throws ProblemError (401/403) — nf/sbi/oauth2.ts. */
export type AccessTokenVerifier = (authorization: string | undefined, serviceName: string) => Promise<Record<string, unknown>>

export interface SbiServerOptions {
  nf: string
  host: string
  port: number
  tls?: { cert: string; key: string }
  services: SbiService[]
  log: Logger
  maxBodyBytes?: number
  oauth2?: AccessTokenVerifier
}

export interface SbiServer {
  listen(): Promise<string>
  close(): Promise<void>
  readonly url: string
  readonly metrics: SbiMetrics
}

const PROBLEM_JSON = 'application/problem+json'
const JSON_TYPES = new Set(['application/json', 'application/merge-patch+json', 'application/json-patch+json', 'application/problem+json'])

let requestCounter = 0

export function createSbiServer(opts: SbiServerOptions): SbiServer {
  const log = opts.log
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024
  const metrics = createSbiMetrics(opts.nf)
  const scheme = opts.tls ? 'https' : 'http'
  let mounted: MountedService[] = []
  let url = ''
  const sessions = new Set<Http2Session>()
  let inflight = 0
  let closing = false

  const server = opts.tls
    ? http2.createSecureServer({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key), allowHTTP1: false })
    : http2.createServer()

  server.on('session', (session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
    session.on('error', () => {})
  })
  server.on('stream', (stream, headers) => {
    inflight++
    stream.on('error', () => {})
    handleStream(stream, headers)
      .catch((err) => log.error({ err }, 'SBI stream handling failed'))
      .finally(() => {
        inflight--
      })
  })

  function findMount(path: string): MountedService | undefined {
    for (const m of mounted) {
      if (path.startsWith(m.basePath) && (path.length === m.basePath.length || path[m.basePath.length] === '/')) return m
    }
    return undefined
  }

  async function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const started = process.hrtime.bigint()
    const method = String(headers[':method'])
    const rawPath = String(headers[':path'] ?? '/')
    const q = rawPath.indexOf('?')
    const path = q >= 0 ? rawPath.slice(0, q) : rawPath
    const queryString = q >= 0 ? rawPath.slice(q + 1) : ''
    const requestId = (headers['x-request-id'] as string | undefined) ?? `${opts.nf}-${(++requestCounter).toString(36)}`
    let operation = 'unknown'
    let res: SbiResponse
    try {
      if (path === '/healthz') {
        operation = 'healthz'
        res = { status: 200, body: { status: closing ? 'STOPPING' : 'UP', nf: opts.nf } }
      } else if (path === '/metrics') {
        operation = 'metrics'
        res = { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render() }
      } else {
        const m = findMount(path)
        if (!m) throw new ProblemError(404, 'RESOURCE_URI_STRUCTURE_NOT_FOUND', `no resource at ${path}`)
        const r = await dispatch(m, stream, headers, method, path, queryString, requestId, (id) => (operation = id))
        res = r
      }
    } catch (err) {
      res = errorResponse(err, log, requestId)
    }
    send(stream, res)
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    metrics.observe(operation, res.status, seconds)
    if (res.status >= 500) log.warn({ requestId, method, path, status: res.status, operation }, 'SBI request failed')
    else if (log.isLevelEnabled('debug')) log.debug({ requestId, method, path, status: res.status, operation, ms: seconds * 1000 }, 'SBI request')
  }

  async function dispatch(
    m: MountedService,
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: string,
    path: string,
    queryString: string,
    requestId: string,
    setOperation: (id: string) => void,
  ): Promise<SbiResponse> {
    const relPath = path.slice(m.basePath.length) || '/'
    const route = m.match(method, relPath)
    if (route.kind === 'not-found') throw new ProblemError(404, 'RESOURCE_URI_STRUCTURE_NOT_FOUND', `no resource at ${path}`)
    if (route.kind === 'method-not-allowed') {
      throw new ProblemError(405, undefined, `method ${method} not allowed on ${path}`, { headers: { allow: route.allowed.join(', ') } })
    }
    const { op, params } = route
    const operationId = op.operationId
    setOperation(operationId)

    const declared = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined
    if (declared !== undefined && declared > maxBody) throw new ProblemError(413, undefined, `body larger than ${maxBody} bytes`)
    const raw = await readBody(stream, maxBody)
    const contentType = headers['content-type'] ? String(headers['content-type']).split(';')[0].trim().toLowerCase() : undefined
    let body: unknown
    if (raw.length > 0) {
      // An operation with no request body ignores one (some peers send `{}` on bodiless POSTs).
      if (op.contentTypes.size > 0) {
        if (!contentType || !op.contentTypes.has(contentType)) {
          throw new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${contentType ?? '(none)'} not accepted; expected ${[...op.contentTypes].join(', ')}`)
        }
        body = parseBody(raw, contentType)
      }
    } else if (op.bodyRequired) {
      throw new ProblemError(400, 'MANDATORY_IE_MISSING', 'request body is missing', { invalidParams: [{ param: '/', reason: 'body required' }] })
    }

    let auth: SbiRequest['auth']
    if (opts.oauth2 && !m.service.noAuth) {
      auth = { claims: await opts.oauth2(headers.authorization as string | undefined, m.service.name) }
    }

    const query = parseQuery(queryString)
    for (const name of op.arrayQueryParams) {
      const v = query[name]
      if (typeof v === 'string') query[name] = [v]
    }
    // The validators coerce query/path strings to the declared types in place (ajv coerceTypes).
    const input = { path: params, query, header: contentType ? { 'content-type': contentType } : {}, requestBody: body }
    for (const validate of op.validators()) {
      if (!validate(input) && validate.errors) throw problemFromValidation(validate.errors)
    }

    const handler = m.service.handlers[operationId]
    if (!handler) throw new ProblemError(501, 'NOT_IMPLEMENTED', `${operationId} is not implemented`)
    const authority = (headers[':authority'] as string | undefined) ?? (headers.host as string | undefined) ?? ''
    return handler({
      operationId,
      method,
      path,
      basePath: m.basePath,
      params,
      query,
      headers,
      body,
      contentType,
      apiRoot: `${scheme}://${authority}`,
      requestId,
      auth,
    })
  }

  return {
    metrics,
    get url() {
      return url
    },
    async listen() {
      mounted = (await Promise.all(opts.services.map(mountService))).flat()
      // Longest base path first so `/a/v1/x` never shadows `/a/v1/x/y`.
      mounted.sort((a, b) => b.basePath.length - a.basePath.length)
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          server.off('listening', onListening)
          if (err.code === 'EADDRINUSE') reject(new Error(`${opts.nf}: port ${opts.port} on ${opts.host} is already in use`))
          else reject(new Error(`${opts.nf}: cannot listen on ${opts.host}:${opts.port}: ${err.message}`))
        }
        const onListening = () => {
          server.off('error', onError)
          resolve()
        }
        server.once('error', onError)
        server.once('listening', onListening)
        server.listen(opts.port, opts.host)
      })
      const addr = server.address() as AddressInfo
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      url = `${scheme}://${host}:${addr.port}`
      return url
    },
    async close() {
      closing = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Graceful: GOAWAY, in-flight streams finish; then give up after 5 s.
      for (const s of sessions) s.close()
      const deadline = Date.now() + 5000
      while ((inflight > 0 || sessions.size > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      for (const s of sessions) s.destroy()
      await closed
    },
  }
}

function readBody(stream: ServerHttp2Stream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded) return resolve(Buffer.alloc(0))
    const chunks: Buffer[] = []
    let size = 0
    stream.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        stream.removeAllListeners('data')
        reject(new ProblemError(413, undefined, `body larger than ${max} bytes`))
        return
      }
      chunks.push(c)
    })
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

function parseBody(raw: Buffer, contentType: string): unknown {
  if (JSON_TYPES.has(contentType) || contentType.endsWith('+json')) {
    try {
      return JSON.parse(raw.toString('utf8'))
    } catch (err) {
      throw new ProblemError(400, 'INVALID_MSG_FORMAT', `body is not valid JSON: ${(err as Error).message}`)
    }
  }
  if (contentType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw.toString('utf8')))
  return raw
}

function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  if (!qs) return out
  for (const [k, v] of new URLSearchParams(qs)) {
    const prev = out[k]
    if (prev === undefined) out[k] = v
    else if (Array.isArray(prev)) prev.push(v)
    else out[k] = [prev, v]
  }
  return out
}

function errorResponse(err: unknown, log: Logger, requestId: string): SbiResponse {
  if (err instanceof ProblemError) {
    return { status: err.status, headers: { 'content-type': PROBLEM_JSON, ...err.headers }, body: err.toProblem() }
  }
  // Never a stack trace on the wire: log it, answer SYSTEM_FAILURE.
  log.error({ err, requestId }, 'SBI handler crashed')
  const p: ProblemDetails = { status: 500, cause: 'SYSTEM_FAILURE', detail: 'internal error' }
  return { status: 500, headers: { 'content-type': PROBLEM_JSON }, body: p }
}

function send(stream: ServerHttp2Stream, res: SbiResponse): void {
  if (stream.destroyed || stream.closed) return
  const h: Record<string, string | number> = { ':status': res.status }
  let payload: string | Buffer | undefined
  if (res.body !== undefined && res.status !== 204) {
    if (typeof res.body === 'string' || Buffer.isBuffer(res.body)) {
      payload = res.body
      h['content-type'] = 'text/plain; charset=utf-8'
    } else {
      payload = JSON.stringify(res.body)
      h['content-type'] = res.status >= 400 ? PROBLEM_JSON : 'application/json'
    }
  }
  if (res.headers) for (const k in res.headers) h[k.toLowerCase()] = res.headers[k]
  try {
    if (payload === undefined) {
      stream.respond(h, { endStream: true })
    } else {
      stream.respond(h)
      // The stream is ended once the body is written, not in the same call: with end(payload) the stream
      // closes while that write is still in flight, and node 20 then builds an ERR_STREAM_DESTROYED (with
      // its stack trace) for every response, ~6 µs of CPU (README "Benchmarks"). Costs one empty DATA frame
      // carrying END_STREAM.
      stream.write(payload, (err) => {
        if (!err && !stream.destroyed) stream.end()
      })
    }
  } catch {
    // the peer reset the stream meanwhile
  }
}
