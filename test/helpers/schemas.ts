/**
 * Validation of values against the 3GPP OpenAPI 3.0 definitions in `../shared/3gpp/` (beside the
 * repo; read its README.md). Tests that use it skip with a clear message when the folder is absent.
 *
 * Each YAML file is added to one ajv instance under its own URI, so the files' relative `$ref`s
 * (`TS29571_CommonData.yaml#/components/schemas/Supi`) resolve to one another; ajv percent-decodes
 * the JSON pointers (`%7BueId%7D`) as RFC 6901 §6 asks. Files are loaded only when a ref needs them.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'

// A CommonJS package seen from ESM: the plugin function is on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const SPECS_DIR = path.resolve(repoRoot, '../shared/3gpp')
const BASE = 'https://3gpp.invalid/'

export function has3gppSpecs(): boolean {
  return existsSync(path.join(SPECS_DIR, 'TS29571_CommonData.yaml'))
}

let ajv: Ajv | undefined
const loaded = new Set<string>()
const validators = new Map<string, ValidateFunction>()

function instance(): Ajv {
  if (ajv) return ajv
  // OpenAPI 3.0 dialect: `nullable` is understood by ajv itself; strict off so examples, x-*,
  // discriminator and other OpenAPI-only keywords are ignored rather than refused.
  ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false })
  addFormats(ajv)
  // OpenAPI's own formats, which JSON Schema does not define: type already says enough.
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(f, true)
  return ajv
}

/** OpenAPI 3.0 allows `nullable: true` without `type` (ajv wants a type): express it with anyOf. */
function openApiToAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiToAjv)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) out[k] = openApiToAjv(v)
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _, ...rest } = out
    return { anyOf: [rest, { type: 'null' }] }
  }
  return out
}

function load(file: string): void {
  if (loaded.has(file)) return
  loaded.add(file)
  const text = readFileSync(path.join(SPECS_DIR, file), 'utf8')
  // Lenient parse: a few files carry duplicate keys, which the strict YAML parser refuses.
  const doc = parseYaml(text, { strict: false, uniqueKeys: false }) as Record<string, unknown>
  instance().addSchema({ ...(openApiToAjv(doc) as object), $id: BASE + file })
}

/** Compiles, loading each file a `$ref` needs when ajv reports it missing (as ajv's compileAsync does). */
function compile(file: string, ref: string): ValidateFunction {
  load(file)
  for (;;) {
    try {
      return instance().compile({ $ref: BASE + file + ref })
    } catch (e) {
      const missing = (e as { missingSchema?: string }).missingSchema
      if (!missing?.startsWith(BASE) || loaded.has(missing.slice(BASE.length))) throw e
      load(missing.slice(BASE.length))
    }
  }
}

/**
 * Errors of `value` against `components.schemas[schemaName]` of `<SPECS_DIR>/<file>` ([] when valid).
 * `schemaName` may also be a JSON pointer into the file (starting with `#/`), e.g. a response schema.
 */
export function validate3gpp(file: string, schemaName: string, value: unknown): string[] {
  const key = `${file}#${schemaName}`
  let v = validators.get(key)
  if (!v) {
    if (!has3gppSpecs()) throw new Error(`3GPP definitions not found in ${SPECS_DIR}`)
    const ref = schemaName.startsWith('#/') ? schemaName : `#/components/schemas/${encodeURIComponent(schemaName)}`
    v = compile(file, ref)
    validators.set(key, v)
  }
  if (v(value)) return []
  return (v.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''
    return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`
  })
}
