/** Query-parameter and body helpers for handlers (TS 29.500 §6.2: structured parameters are JSON-encoded). */
import { problem, type SbiRequest } from './types.ts'
import type { Snssai } from '../../config/schema.ts'

/** First value of a query parameter. */
export function q(req: SbiRequest, name: string): string | undefined {
  const v = req.query[name]
  return Array.isArray(v) ? v[0] : v
}

/** A JSON-encoded query parameter, e.g. `single-nssai={"sst":1,"sd":"010203"}` or `plmn-id={"mcc":"999","mnc":"70"}`. */
export function jsonQuery<T>(req: SbiRequest, name: string): T | undefined {
  const raw = q(req, name)
  if (raw === undefined || raw === '') return undefined
  try {
    return JSON.parse(raw) as T
  } catch {
    throw problem(400, 'MANDATORY_IE_INCORRECT', `${name} is not valid JSON`, [{ param: name, reason: 'JSON expected' }])
  }
}

/** A JSON-encoded S-NSSAI query parameter (`single-nssai={"sst":1,"sd":"010203"}`); 400 without `sst`. */
export function snssaiQuery(req: SbiRequest, name: string): Snssai | undefined {
  const s = jsonQuery<Snssai>(req, name)
  if (s === undefined) return undefined
  if (!s || typeof s !== 'object' || typeof s.sst !== 'number')
    throw problem(400, 'MANDATORY_IE_INCORRECT', `${name} needs sst`, [{ param: name, reason: 'Snssai expected' }])
  return s
}

/** The request body as a JSON object; 400 MANDATORY_IE_MISSING otherwise. */
export function objectBody(req: SbiRequest): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
    throw problem(400, 'MANDATORY_IE_MISSING', 'a JSON object body is required')
  return req.body as Record<string, unknown>
}
