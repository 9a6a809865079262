/**
 * Loads our own OpenAPI documents (openapi/*.yaml) into openapi-backend instances: one per
 * served base path, so `/nudr-dr/v1` and `/nudr-dr/v2` share one document and one handler set.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { OpenAPIBackend, type Document } from 'openapi-backend'
import addFormats from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import { parse as parseYaml } from 'yaml'
import type { SbiService } from './types.ts'

export const OPENAPI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi')

const docCache = new Map<string, Document>()

export function loadOpenApiDocument(spec: string): Document {
  let doc = docCache.get(spec)
  if (!doc) {
    const file = path.isAbsolute(spec) ? spec : path.join(OPENAPI_DIR, spec)
    doc = parseYaml(readFileSync(file, 'utf8')) as Document
    docCache.set(spec, doc)
  }
  // openapi-backend mutates (dereferences) the definition: hand each backend its own copy.
  return structuredClone(doc)
}

/** Base path from `servers[0].url` after `{apiRoot}` (TS 29.501 §4.4.1). */
export function basePathOf(doc: Document): string {
  const url = (doc as { servers?: Array<{ url: string }> }).servers?.[0]?.url ?? ''
  const p = url.replace(/^\{apiRoot\}/, '').replace(/^[a-z]+:\/\/[^/]+/i, '')
  return p.replace(/\/$/, '')
}

/** One operation, ready to serve: what the hot path needs, precomputed at mount time. */
export interface MountedOperation {
  operationId: string
  method: string
  /** Request content types the document accepts (lower case); empty when there is no body. */
  contentTypes: Set<string>
  bodyRequired: boolean
  /** Query parameters declared as arrays (a single value is wrapped, as openapi-backend does). */
  arrayQueryParams: string[]
  /** openapi-backend's ajv validators for `{ path, query, header, requestBody }`, compiled on first use. */
  validators(): ValidateFunction[]
}

interface PathRoute {
  template: string
  regex: RegExp
  paramNames: string[]
  byMethod: Map<string, MountedOperation>
}

export type RouteMatch =
  | { kind: 'found'; op: MountedOperation; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' }

export interface MountedService {
  service: SbiService
  basePath: string
  api: OpenAPIBackend
  match(method: string, relPath: string): RouteMatch
}

/**
 * Our own path matcher over the document's operations. openapi-backend loads, dereferences and
 * compiles the document (its ajv validators are what we run), but its per-request router and
 * validateRequest wrapper cost ~200 µs per request (lodash, re-parsing), most of a no-op request's
 * budget; matching precompiled regexes and calling the validators directly costs a few µs.
 * Literal paths are tried before templated ones, so `/subs-to-notify` is never taken for `/{ueId}`.
 */
function buildRouter(api: OpenAPIBackend): (method: string, relPath: string) => RouteMatch {
  const routes = new Map<string, PathRoute>()
  const validatorsFor = (id: string): ValidateFunction[] =>
    (api.validator as unknown as { getRequestValidatorsForOperation(id: string): ValidateFunction[] }).getRequestValidatorsForOperation(id) ?? []
  for (const op of api.getOperations()) {
    if (!op.operationId) continue
    let route = routes.get(op.path)
    if (!route) {
      const paramNames: string[] = []
      const source = op.path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part)
          if (m) {
            paramNames.push(m[1])
            return '([^/]+)'
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        })
        .join('')
      route = { template: op.path, regex: new RegExp(`^${source}/?$`), paramNames, byMethod: new Map() }
      routes.set(op.path, route)
    }
    const rb = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined
    const arrayQueryParams = ((op.parameters ?? []) as Array<{ in?: string; name?: string; schema?: { type?: string } }>)
      .filter((p) => p.in === 'query' && p.schema?.type === 'array')
      .map((p) => p.name as string)
    const operationId = op.operationId
    let compiled: ValidateFunction[] | undefined
    route.byMethod.set(op.method.toUpperCase(), {
      operationId,
      method: op.method.toUpperCase(),
      contentTypes: new Set(Object.keys(rb?.content ?? {}).map((c) => c.toLowerCase())),
      bodyRequired: Boolean(rb?.required),
      arrayQueryParams,
      validators: () => (compiled ??= validatorsFor(operationId)),
    })
  }
  const ordered = [...routes.values()].sort((a, b) => a.paramNames.length - b.paramNames.length || b.template.length - a.template.length)
  return (method, relPath) => {
    let allowed: string[] | undefined
    for (const r of ordered) {
      const m = r.regex.exec(relPath)
      if (!m) continue
      const op = r.byMethod.get(method)
      if (op) {
        const params: Record<string, string> = {}
        for (let i = 0; i < r.paramNames.length; i++) params[r.paramNames[i]] = safeDecode(m[i + 1])
        return { kind: 'found', op, params }
      }
      allowed ??= [...r.byMethod.keys()]
    }
    return allowed ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' }
  }
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s // nothing to decode (a SUPI, an id): skip decodeURIComponent's scan and copy
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export async function mountService(service: SbiService): Promise<MountedService[]> {
  const first = loadOpenApiDocument(service.spec)
  const basePaths = service.basePaths ?? [basePathOf(first)]
  const mounted: MountedService[] = []
  for (const basePath of basePaths) {
    const definition = loadOpenApiDocument(service.spec)
    const api = new OpenAPIBackend({
      definition,
      apiRoot: '/',
      validate: true,
      strict: false,
      // Quick: no whole-document validation at start (test/openapi checks our documents instead),
      // synchronous dereference, and ajv validators compiled per operation on its first request.
      // The large Nudr_DR document otherwise takes seconds to start.
      quick: true,
      coerceTypes: true,
      ajvOpts: { strict: false, allErrors: false },
      customizeAjv: (ajv) => {
        addFormats.default(ajv)
        return ajv
      },
    })
    await api.init()
    mounted.push({ service, basePath, api, match: buildRouter(api) })
  }
  return mounted
}
