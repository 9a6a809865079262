/** Npcf_SMPolicyControl handlers (openapi/npcf-smpolicycontrol.yaml): parse → service → SbiResponse. */
import { created, noContent, ok, type OperationHandlers } from '../../sbi/types.ts'
import type { SmPolicyContextData } from '../domain/types.ts'
import type { SmPolicyService } from '../sm-policies.ts'

function objectOrEmpty(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
}

export function smPolicyHandlers(svc: SmPolicyService): OperationHandlers {
  return {
    CreateSMPolicy: async (req) => {
      const { location, decision } = await svc.create(req.body as SmPolicyContextData, req.apiRoot)
      return created(location, decision)
    },
    GetSMPolicy: async (req) => {
      const doc = await svc.get(req.params.smPolicyId!)
      return ok({ context: doc.context, policy: doc.decision })
    },
    UpdateSMPolicy: async (req) => ok(await svc.update(req.params.smPolicyId!, objectOrEmpty(req.body))),
    DeleteSMPolicy: async (req) => {
      await svc.delete(req.params.smPolicyId!, objectOrEmpty(req.body))
      return noContent()
    },
  }
}
