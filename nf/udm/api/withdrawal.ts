/**
 * Subscription withdrawal (TS 23.502 §4.2.2.3.3 UDM-initiated deregistration; TS 29.503 DeregistrationData
 * `deregReason: SUBSCRIPTION_WITHDRAWN`): when the operator terminates a subscriber, the BSS deletes its data
 * at the UDR, and the UDM must (1) stop generating vectors for it at once, although its credentials are
 * cached for `udm.authSubscriptionCacheSeconds`, and (2) tell the AMF that holds the UE's 3GPP-access
 * registration, so the AMF deregisters the UE instead of keeping it attached.
 *
 * How the UDM learns it: on every UECM amf-3gpp-access registration it subscribes at the UDR
 * (subscription-data/subs-to-notify, one subscription per UE: our UDR returns the existing one for an
 * identical body) to the UE's am-data, with callbackReference `{udm}/nudm-callback/v1/subscription-withdrawn`.
 * am-data is what the AMF registered with, and the UDM never writes it (the UDM's own SQN writes to the
 * authentication subscription would otherwise notify it on every block reservation). A notification for it
 * is checked against the UDR: am-data gone = withdrawn. A change that leaves am-data in place (a plan
 * change) is the SDM subscription's business and is ignored here.
 */
import type { NfContext } from '../../sbi/ports.ts'
import { noContent, type OperationHandlers } from '../../sbi/types.ts'
import type { UdrSdmClient } from '../clients/udr-sdm.ts'
import { plmnIdString, udrResourcesFor } from '../domain/sdm.ts'
import { objectBody } from './common.ts'

export const WITHDRAWAL_CALLBACK_PATH = '/nudm-callback/v1/subscription-withdrawn'

/** How long a withdrawal watch lives at the UDR without a re-registration renewing it. */
const WATCH_DAYS = 7

/**
 * Filled in by the UEAU service: drops what it keeps in memory for a SUPI (credentials, SQN block) and
 * stops caching its credentials for a while (the BSS deletes the authentication subscription just after
 * am-data: a vector asked for in between must not put the credentials back in the cache).
 */
export interface CredentialCacheHandle {
  forget(supi: string): void
}

export function credentialCacheHandle(): CredentialCacheHandle {
  return { forget: () => undefined }
}

/** Subscribes (or renews) the UDM's withdrawal watch for a registered UE. A failure only loses the watch. */
export async function watchWithdrawal(ctx: NfContext, udr: UdrSdmClient, supi: string): Promise<void> {
  try {
    await udr.subscribeToChanges({
      ueId: supi,
      callbackReference: `${ctx.apiRoot}${WITHDRAWAL_CALLBACK_PATH}`,
      monitoredResourceUris: udrResourcesFor([`${supi}/am-data`], supi, plmnIdString(ctx.config.plmn)),
      expiry: new Date(ctx.clock().getTime() + WATCH_DAYS * 86_400_000).toISOString(),
    })
  } catch (err) {
    ctx.log.warn({ supi, err: (err as Error).message }, 'UDR withdrawal watch not subscribed')
  }
}

export function withdrawalHandlers(ctx: NfContext, udr: UdrSdmClient, credentials: CredentialCacheHandle): OperationHandlers {
  return {
    UdrSubscriptionWithdrawnNotify: async (req) => {
      const body = objectBody(req)
      const supi = typeof body.ueId === 'string' ? body.ueId : ''
      if (!/^(imsi|nai)-/.test(supi)) return noContent()
      // The notification says something changed; the UDR says what is left.
      if (await udr.amData(supi, plmnIdString(ctx.config.plmn))) return noContent()
      credentials.forget(supi)
      const reg = await udr.getAmf3gpp(supi)
      let notified = false
      if (reg && reg.purgeFlag !== true && typeof reg.deregCallbackUri === 'string') {
        await ctx.outbox.enqueue({
          uri: reg.deregCallbackUri,
          method: 'POST',
          body: { deregReason: 'SUBSCRIPTION_WITHDRAWN', accessType: '3GPP_ACCESS' },
          kind: 'UecmDeregistrationNotification',
          scope: 'namf-callback',
          targetNfType: 'AMF',
        })
        // The AMF answers by deregistering the UE and purging its registration (UECM PATCH purgeFlag).
        notified = true
      }
      await ctx.events.emit('udm', { type: 'udm.subscription.withdrawn', supi, data: { amfInstanceId: reg?.amfInstanceId, amfNotified: notified } })
      return noContent()
    },
  }
}
