/** Query parsing shared by the SDM and UECM handlers. */
import type { SbiRequest } from '../../sbi/types.ts'
import type { MvnoConfig } from '../../../config/schema.ts'
import { plmnIdString, type PlmnId } from '../domain/sdm.ts'
import { q, jsonQuery, snssaiQuery, objectBody } from '../../sbi/query.ts'

export { q, jsonQuery, snssaiQuery, objectBody }

/** servingPlmnId for Nudr_DR paths: the `plmn-id` query when given, else our home PLMN. */
export function servingPlmn(req: SbiRequest, config: MvnoConfig): string {
  const p = jsonQuery<PlmnId>(req, 'plmn-id')
  if (p && typeof p.mcc === 'string' && typeof p.mnc === 'string' && /^\d{3}$/.test(p.mcc) && /^\d{2,3}$/.test(p.mnc)) return plmnIdString(p)
  return plmnIdString(config.plmn)
}

