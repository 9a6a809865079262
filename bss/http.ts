/** Request validation against openapi/bss.yaml (ajv), TMF list conventions, small helpers. */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import YAML from 'yaml'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsImport from 'ajv-formats'
import { badRequest, BssError } from './errors.ts'

const here = dirname(fileURLToPath(import.meta.url))
export const BSS_OPENAPI_PATH = join(here, '..', 'openapi', 'bss.yaml')

let doc: any
export function openapiDoc(): any {
  return (doc ??= YAML.parse(readFileSync(BSS_OPENAPI_PATH, 'utf8')))
}

let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

function getAjv(): Ajv {
  if (ajv) return ajv
  ajv = new Ajv({ strict: false, allErrors: false })
  const addFormats = addFormatsImport as unknown as (a: Ajv) => void
  addFormats(ajv)
  ajv.addSchema({ $id: 'bss', components: { schemas: openapiDoc().components.schemas } })
  return ajv
}

/** `/tariffs/0/price` + missing `x` → `tariffs[0].price.x` */
export function fieldOf(e: ErrorObject): string {
  let path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '')
  if (e.keyword === 'required') path = path ? `${path}.${(e.params as any).missingProperty}` : (e.params as any).missingProperty
  if (e.keyword === 'additionalProperties') path = path ? `${path}.${(e.params as any).additionalProperty}` : (e.params as any).additionalProperty
  return path || '(body)'
}

/** Validates `value` against components.schemas[name]; throws 400 naming the field. */
export function validateSchema(name: string, value: unknown): void {
  let v = validators.get(name)
  if (!v) {
    v = getAjv().getSchema(`bss#/components/schemas/${name}`)
    if (!v) throw new Error(`no schema ${name} in openapi/bss.yaml`)
    validators.set(name, v)
  }
  if (!v(value)) {
    const e = v.errors![0]!
    const field = fieldOf(e)
    const code = e.keyword === 'required' ? 'MISSING_FIELD' : 'INVALID_FIELD'
    const msg = e.keyword === 'required' ? `${field} is required` : `${field} ${e.message}${e.keyword === 'enum' ? `: ${(e.params as any).allowedValues.join(', ')}` : ''}`
    throw new BssError(400, code, msg, field)
  }
}

export function body(schema: string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    try {
      if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
        throw new BssError(400, 'INVALID_BODY', 'a JSON object body (Content-Type: application/json) is required', '(body)')
      }
      validateSchema(schema, req.body)
      next()
    } catch (e) {
      next(e)
    }
  }
}

/** Wraps an async handler so thrown errors reach the error middleware. */
export function h(fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res).catch(next)
  }
}

export interface Page {
  offset: number
  limit: number
  fields?: string[]
}

export function pageOf(req: Request): Page {
  const q = req.query
  const num = (name: string, def: number, min: number, max: number) => {
    const raw = q[name]
    if (raw === undefined) return def
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) throw badRequest(name, `${name} must be an integer from ${min} to ${max}`)
    return n
  }
  const fields = typeof q.fields === 'string' && q.fields ? q.fields.split(',').map((s) => s.trim()).filter(Boolean) : undefined
  return { offset: num('offset', 0, 0, Number.MAX_SAFE_INTEGER), limit: num('limit', 100, 1, 1000), ...(fields ? { fields } : {}) }
}

/** Keeps only the requested top-level fields (plus id, href, @type). */
export function project<T extends Record<string, unknown>>(o: T, fields?: string[]): Record<string, unknown> {
  if (!fields) return o
  const keep = new Set(['id', 'href', '@type', ...fields])
  return Object.fromEntries(Object.entries(o).filter(([k]) => keep.has(k)))
}

export function sendList(res: Response, items: Record<string, unknown>[], total: number, page: Page): void {
  res.set('X-Total-Count', String(total))
  res.set('X-Result-Count', String(items.length))
  res.json(items.map((i) => project(i, page.fields)))
}

export function sendOne(req: Request, res: Response, item: Record<string, unknown>, status = 200): void {
  const fields = typeof req.query.fields === 'string' && req.query.fields ? req.query.fields.split(',') : undefined
  res.status(status).json(project(item, fields))
}

/** Strips `_id` and internal fields starting with `_`. */
export function publicView<T extends Record<string, unknown>>(doc: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('_')))
}
