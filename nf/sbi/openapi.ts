/**
 * Loads our own OpenAPI documents (openapi/*.yaml) into openapi-backend instances: one per
 * served base path, so `/nudr-dr/v1` and `/nudr-dr/v2` share one document and one handler set.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { OpenAPIBackend, type Document } from 'openapi-backend'
import addFormats from 'ajv-formats'
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

export interface MountedService {
  service: SbiService
  basePath: string
  api: OpenAPIBackend
  /** operationId → request content types the document accepts (lower case). */
  contentTypes: Map<string, Set<string>>
  /** operationId → whether the request body is required. */
  bodyRequired: Map<string, boolean>
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
      quick: false,
      coerceTypes: true,
      ajvOpts: { strict: false, allErrors: false },
      customizeAjv: (ajv) => {
        addFormats.default(ajv)
        return ajv
      },
    })
    await api.init()
    const contentTypes = new Map<string, Set<string>>()
    const bodyRequired = new Map<string, boolean>()
    for (const op of api.getOperations()) {
      if (!op.operationId) continue
      const rb = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined
      contentTypes.set(op.operationId, new Set(Object.keys(rb?.content ?? {}).map((c) => c.toLowerCase())))
      bodyRequired.set(op.operationId, Boolean(rb?.required))
    }
    mounted.push({ service, basePath, api, contentTypes, bodyRequired })
  }
  return mounted
}
