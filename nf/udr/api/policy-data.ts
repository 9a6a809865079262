/** Nudr_DR policy-data handlers (TS 29.519): ues/{ueId} am-data, sm-data, ue-policy-set. */
import { created, noContent, ok, problem, type OperationHandlers, type SbiRequest } from '../../sbi/types.ts'
import type { Kind, UdrStore } from '../store.ts'
import { snssaiKeyF5, parseSnssaiKey, snssaiEquals } from '../domain/subscription.ts'
import { guard, objectBody, q, snssaiQuery } from './common.ts'

function crud(udr: UdrStore, kind: Kind) {
  const key = (req: SbiRequest) => ({ ueId: req.params.ueId })
  return {
    get: async (req: SbiRequest) => {
      const v = await udr.get(kind, key(req))
      if (!v) {
        const e = await udr.notFound(req.params.ueId, kind)
        throw problem(404, e.cause3gpp, e.message)
      }
      return ok(v)
    },
    put: async (req: SbiRequest) => {
      const r = await udr.put(kind, key(req), objectBody(req))
      return r.created ? created(req.apiRoot + req.path, r.after) : ok(r.after)
    },
    patch: async (req: SbiRequest) => {
      const r = await guard(() => udr.patch(kind, key(req), req.body))
      return ok(r.after)
    },
    del: async (req: SbiRequest) => {
      await guard(() => udr.delete(kind, key(req)))
      return noContent()
    },
  }
}

/** SmPolicyData narrowed to one slice and/or DNN, as the `snssai` and `dnn` query parameters ask. */
export function filterSmPolicyData(
  d: Record<string, unknown>,
  snssai?: { sst: number; sd?: string },
  dnn?: string,
): Record<string, unknown> {
  const all = (d.smPolicySnssaiData ?? {}) as Record<string, Record<string, unknown>>
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(all)) {
    const s = (v?.snssai as { sst: number; sd?: string } | undefined) ?? parseSnssaiKey(k)
    if (snssai && !(snssai.sd ? snssaiEquals(s, snssai) : Number(s?.sst) === snssai.sst)) continue
    let entry = v
    if (dnn) {
      const dnnData = (v?.smPolicyDnnData ?? {}) as Record<string, unknown>
      const hit = Object.entries(dnnData).filter(([name]) => name.toLowerCase() === dnn.toLowerCase())
      if (hit.length === 0) continue
      entry = { ...v, smPolicyDnnData: Object.fromEntries(hit) }
    }
    out[s ? snssaiKeyF5(s) : k] = entry
  }
  return { ...d, smPolicySnssaiData: out }
}

export function policyDataHandlers(udr: UdrStore): OperationHandlers {
  const am = crud(udr, 'policyAmData')
  const sm = crud(udr, 'policySmData')
  const ups = crud(udr, 'uePolicySet')
  return {
    ReadAccessAndMobilityPolicyData: am.get,
    CreateOrReplaceAccessAndMobilityPolicyData: am.put,
    UpdateAccessAndMobilityPolicyData: am.patch,
    DeleteAccessAndMobilityPolicyData: am.del,
    ReadSessionManagementPolicyData: async (req) => {
      const v = await udr.get('policySmData', { ueId: req.params.ueId })
      if (!v) {
        const e = await udr.notFound(req.params.ueId, 'policy sm-data')
        throw problem(404, e.cause3gpp, e.message)
      }
      return ok(filterSmPolicyData(v, snssaiQuery(req, 'snssai'), q(req, 'dnn')))
    },
    CreateOrReplaceSessionManagementPolicyData: sm.put,
    UpdateSessionManagementPolicyData: sm.patch,
    DeleteSessionManagementPolicyData: sm.del,
    ReadUEPolicySet: ups.get,
    CreateOrReplaceUEPolicySet: ups.put,
    UpdateUEPolicySet: ups.patch,
    DeleteUEPolicySet: ups.del,
  }
}
