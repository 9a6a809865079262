/**
 * The contract between the SBI runtime (nf/sbi) and every NF's api/ handlers.
 *
 * A service is one 3GPP SBI service (e.g. `npcf-smpolicycontrol`) described by one of our own
 * OpenAPI documents in openapi/. The runtime routes a request to the handler named by the
 * operation's operationId, after it has validated the request against that document.
 * Handlers return an {@link SbiResponse}; they never touch the HTTP/2 stream.
 */
import type { IncomingHttpHeaders } from 'node:http2'

/** TS 29.571 InvalidParam. */
export interface InvalidParam {
  param: string
  reason?: string
}

/** TS 29.571 ProblemDetails (the subset we emit). */
export interface ProblemDetails {
  type?: string
  title?: string
  status: number
  detail?: string
  instance?: string
  cause?: string
  invalidParams?: InvalidParam[]
  supportedFeatures?: string
}

/**
 * The one typed error of the SBI layer. Domain code may throw it (or return a typed result that
 * the api layer maps to it); the runtime turns it into `application/problem+json`.
 */
const PROBLEM_BRAND = Symbol.for('open-mvno.ProblemError')

export class ProblemError extends Error {
  /**
   * `instanceof` by brand, not by prototype: under mocha + tsx a module can be loaded twice (once
   * through require, once through import()), and an error thrown by one copy must still be ours.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[PROBLEM_BRAND] === true
  }
  readonly [PROBLEM_BRAND] = true
  readonly status: number
  readonly cause3gpp: string | undefined
  readonly invalidParams: InvalidParam[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    status: number,
    cause: string | undefined,
    detail: string,
    opts: { invalidParams?: InvalidParam[]; headers?: Record<string, string> } = {},
  ) {
    super(detail)
    this.name = 'ProblemError'
    this.status = status
    this.cause3gpp = cause
    this.invalidParams = opts.invalidParams
    this.headers = opts.headers
  }

  toProblem(): ProblemDetails {
    const p: ProblemDetails = { status: this.status, detail: this.message }
    if (this.cause3gpp) p.cause = this.cause3gpp
    if (this.invalidParams?.length) p.invalidParams = this.invalidParams
    return p
  }
}

/** What a handler receives: the validated request. */
export interface SbiRequest {
  /** operationId from the OpenAPI document. */
  operationId: string
  method: string
  /** Full path as received, without the query string (e.g. `/nudm-sdm/v2/imsi-.../am-data`). */
  path: string
  /** API base path the request matched (e.g. `/nudr-dr/v2`), useful to build `Location` headers. */
  basePath: string
  /** Path parameters, URI-decoded. */
  params: Record<string, string>
  /** Query parameters, URI-decoded; repeated keys give arrays. */
  query: Record<string, string | string[]>
  headers: IncomingHttpHeaders
  /** Parsed JSON body (undefined when there is none). */
  body: unknown
  /** Content type of the body without parameters (e.g. `application/merge-patch+json`). */
  contentType: string | undefined
  /** Absolute apiRoot the request came in on, e.g. `http://127.0.0.1:29503` (scheme://authority). */
  apiRoot: string
  /** Request id used in logs (from `3gpp-Sbi-Message-Id`/`x-request-id` or generated). */
  requestId: string
  /** Claims of the verified OAuth2 access token, when OAuth2 is enabled. */
  auth?: { claims: Record<string, unknown> }
}

/** What a handler returns. */
export interface SbiResponse {
  status: number
  headers?: Record<string, string>
  /** JSON-serialised unless it is a Buffer/string with an explicit content-type header. */
  body?: unknown
}

export type OperationHandler = (req: SbiRequest) => Promise<SbiResponse> | SbiResponse
export type OperationHandlers = Record<string, OperationHandler>

/** One SBI service served by an NF. */
export interface SbiService {
  /** 3GPP service name, also the OAuth2 scope (e.g. `nudm-sdm`). */
  name: string
  /** Our OpenAPI document, relative to the repository's openapi/ folder (e.g. `nudm-sdm.yaml`). */
  spec: string
  /**
   * Base paths this service is served under. Defaults to the path of the document's `servers[0].url`
   * after `{apiRoot}`. Nudr_DR, for example, is served under both `/nudr-dr/v1` and `/nudr-dr/v2`.
   */
  basePaths?: string[]
  handlers: OperationHandlers
  /** Skip OAuth2 checks for this service (callbacks that peers call without tokens). */
  noAuth?: boolean
}

export function ok(body?: unknown, headers?: Record<string, string>): SbiResponse {
  return { status: 200, body, headers }
}

/** 201 with an absolute `Location` (build it with `req.apiRoot + req.basePath + ...`). */
export function created(location: string, body?: unknown, headers?: Record<string, string>): SbiResponse {
  return { status: 201, body, headers: { location, ...headers } }
}

export function noContent(headers?: Record<string, string>): SbiResponse {
  return { status: 204, headers }
}

/** Throwable helper: `throw problem(404, 'USER_NOT_FOUND', 'no such subscriber')`. */
export function problem(status: number, cause: string | undefined, detail: string, invalidParams?: InvalidParam[]): ProblemError {
  return new ProblemError(status, cause, detail, { invalidParams })
}
