/** Nchf_SpendingLimitControl handlers (TS 29.594). */
import { created, noContent, ok, type OperationHandlers } from '../../sbi/types.ts'
import type { SpendingLimitContext, SpendingLimitService } from '../spending-limit.ts'

export function spendingLimitHandlers(slc: SpendingLimitService): OperationHandlers {
  return {
    PostSpendingLimitSubscription: async (req) => {
      const { id, status } = await slc.subscribe(req.body as SpendingLimitContext)
      return created(`${req.apiRoot}${req.basePath}/subscriptions/${id}`, status)
    },
    PutSpendingLimitSubscription: async (req) => ok(await slc.modify(req.params.subscriptionId!, req.body as SpendingLimitContext)),
    DeleteSpendingLimitSubscription: async (req) => {
      await slc.unsubscribe(req.params.subscriptionId!)
      return noContent()
    },
  }
}
