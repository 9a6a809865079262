/**
 * The UDM's callback for the UDR's DataChangeNotify (openapi/nudm-callback.yaml). Each notification carries
 * the SDM subscription it was made for (the UDM put it in `sdmSubscription` when it subscribed), so the UDM
 * needs no state to forward a TS 29.503 ModificationNotification to the consumer's callbackReference, with
 * `resourceId` relative (`"{supi}/am-data"`) as Open5GS's AMF requires (INTEROP §7.6).
 */
import type { NfContext } from '../../sbi/ports.ts'
import { noContent, type OperationHandlers, type SbiService } from '../../sbi/types.ts'
import { resourceIdFor, sdmResourceOf } from '../domain/sdm.ts'
import { objectBody } from './common.ts'
import type { UdrSdmClient } from '../clients/udr-sdm.ts'
import { withdrawalHandlers, type CredentialCacheHandle } from './withdrawal.ts'

export const UDR_CALLBACK_PATH = '/nudm-callback/v1/udr-data-change'

interface NotifyItem {
  resourceId?: string
  changes?: unknown[]
}

export function udrCallbackHandlers(ctx: NfContext): OperationHandlers {
  return {
    UdrDataChangeNotify: async (req) => {
      const body = objectBody(req)
      const sub = body.sdmSubscription as Record<string, unknown> | undefined
      const supi = String(body.ueId ?? sub?.ueId ?? '')
      if (!sub || typeof sub.callbackReference !== 'string' || !supi) return noContent()
      if (typeof sub.expires === 'string' && Date.parse(sub.expires) <= ctx.clock().getTime()) return noContent()
      const monitored = Array.isArray(sub.monitoredResourceUris) ? (sub.monitoredResourceUris as string[]) : undefined
      const notifyItems = ((body.notifyItems ?? []) as NotifyItem[]).flatMap((it) => {
        const res = typeof it.resourceId === 'string' ? sdmResourceOf(it.resourceId, supi) : undefined
        if (!res || !Array.isArray(it.changes) || it.changes.length === 0) return []
        return [{ resourceId: resourceIdFor(monitored, res), changes: it.changes }]
      })
      if (notifyItems.length === 0) return noContent()
      await ctx.outbox.enqueue({
        uri: sub.callbackReference,
        method: 'POST',
        body: { notifyItems },
        kind: 'SdmModificationNotification',
      })
      await ctx.events.emit('udm', { type: 'udm.sdm.change.notified', supi, data: { subscriptionId: sub.subscriptionId, resources: notifyItems.map((n) => n.resourceId) } })
      return noContent()
    },
  }
}

export function udrCallbackService(ctx: NfContext, udr: UdrSdmClient, credentials: CredentialCacheHandle): SbiService {
  return {
    name: 'nudm-callback',
    spec: 'nudm-callback.yaml',
    handlers: { ...udrCallbackHandlers(ctx), ...withdrawalHandlers(ctx, udr, credentials) },
    noAuth: true,
  }
}
