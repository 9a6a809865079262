/** Query parsing shared by the SDM and UECM handlers. */
import { problem, type SbiRequest } from '../../sbi/types.ts'
import type { MvnoConfig } from '../../../config/schema.ts'
import { plmnIdString, type PlmnId, type Snssai } from '../domain/sdm.ts'
import { q, jsonQuery } from '../../sbi/query.ts'

export { q, jsonQuery }

/** servingPlmnId for Nudr_DR paths: the `plmn-id` query when given, else our home PLMN. */
export function servingPlmn(req: SbiRequest, config: MvnoConfig): string {
  const p = jsonQuery<PlmnId>(req, 'plmn-id')
  if (p && typeof p.mcc === 'string' && typeof p.mnc === 'string' && /^\d{3}$/.test(p.mcc) && /^\d{2,3}$/.test(p.mnc)) return plmnIdString(p)
  return plmnIdString(config.plmn)
}

export function snssaiQuery(req: SbiRequest, name: string): Snssai | undefined {
  const s = jsonQuery<Snssai>(req, name)
  if (s === undefined) return undefined
  if (!s || typeof s !== 'object' || typeof s.sst !== 'number')
    throw problem(400, 'MANDATORY_IE_INCORRECT', `${name} needs sst`, [{ param: name, reason: 'Snssai expected' }])
  return s
}

export function objectBody(req: SbiRequest): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
    throw problem(400, 'MANDATORY_IE_MISSING', 'a JSON object body is required')
  return req.body as Record<string, unknown>
}
