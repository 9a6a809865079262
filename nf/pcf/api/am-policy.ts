/** Npcf_AMPolicyControl handlers (openapi/npcf-am-policy-control.yaml). */
import { created, noContent, ok, type OperationHandlers } from '../../sbi/types.ts'
import type { AmPolicyService } from '../am-policies.ts'
import type { PolicyAssociationRequest } from '../domain/types.ts'

export function amPolicyHandlers(svc: AmPolicyService): OperationHandlers {
  return {
    CreateIndividualAMPolicyAssociation: async (req) => {
      const { location, policy } = await svc.create(req.body as PolicyAssociationRequest, req.apiRoot)
      return created(location, policy)
    },
    ReadIndividualAMPolicyAssociation: async (req) => {
      const doc = await svc.get(req.params.polAssoId!)
      return ok({ request: doc.request, ...doc.policy })
    },
    ReportObservedEventTriggersForIndividualAMPolicyAssociation: async (req) =>
      ok(await svc.update(req.params.polAssoId!, (req.body ?? {}) as Record<string, unknown>)),
    DeleteIndividualAMPolicyAssociation: async (req) => {
      await svc.delete(req.params.polAssoId!)
      return noContent()
    },
  }
}
