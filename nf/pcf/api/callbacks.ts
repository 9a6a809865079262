/**
 * Callbacks the PCF serves (openapi/npcf-callbacks.yaml): UDR policy-data change notifications
 * (TS 29.519) and CHF spending-limit status notifications (TS 29.594). Each is handled before the
 * answer, so the peer's own outbox retries when we fail.
 */
import { noContent, type OperationHandlers, type SbiRequest } from '../../sbi/types.ts'
import type { AmPolicyService } from '../am-policies.ts'
import type { AmPolicyData, SmPolicyData, SpendingLimitStatus } from '../domain/types.ts'
import type { PeerSubscriptions } from '../peer-subscriptions.ts'
import type { SmPolicyService } from '../sm-policies.ts'

interface PolicyDataChangeNotification {
  ueId?: string
  smPolicyData?: SmPolicyData
  amPolicyData?: AmPolicyData
  delResources?: string[]
}

export function callbackHandlers(deps: { sm: SmPolicyService; am: AmPolicyService; subs: PeerSubscriptions }): OperationHandlers {
  const spendingLimit = async (req: SbiRequest) => {
    const status = (req.body ?? {}) as SpendingLimitStatus
    const supi = req.params.supi ?? status.supi!
    if (await deps.subs.recordStatuses(supi, status)) await deps.sm.reevaluate(supi, 'spending-limit')
    return noContent()
  }
  return {
    PolicyDataChangeNotify: async (req) => {
      const items = (Array.isArray(req.body) ? req.body : [req.body]) as PolicyDataChangeNotification[]
      for (const n of items) {
        const supi = n?.ueId ?? req.params.supi!
        const deleted = n?.delResources ?? []
        const smDeleted = deleted.some((r) => /\/sm-data\/?$/.test(r))
        const amDeleted = deleted.some((r) => /\/am-data\/?$/.test(r))
        const sm = n?.smPolicyData !== undefined || smDeleted
        const am = n?.amPolicyData !== undefined || amDeleted
        // The cached sm-data is stale from here on, in every instance (before anything is re-decided).
        if (sm || !am) await deps.subs.policyDataChanged(supi, smDeleted ? null : n?.smPolicyData)
        // An item that says nothing recognisable: re-read both.
        if (sm || !am) await deps.sm.reevaluate(supi, 'policy-data', smDeleted ? null : n?.smPolicyData)
        if (am || !sm) await deps.am.reevaluate(supi, amDeleted ? null : n?.amPolicyData)
      }
      return noContent()
    },
    SpendingLimitNotify: spendingLimit,
    SpendingLimitNotifyTs: spendingLimit,
    SpendingLimitTerminate: async (req) => {
      await deps.subs.spendingLimitsTerminated(req.params.supi!)
      return noContent()
    },
  }
}
