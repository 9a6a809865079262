/** Query-parameter helpers for handlers (TS 29.500 §6.2: structured parameters are JSON-encoded). */
import { problem, type SbiRequest } from './types.ts'

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
