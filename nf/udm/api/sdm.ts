/**
 * Nudm_SDM (TS 29.503 §5.2, §6.1) at `{apiRoot}/nudm-sdm/v2` (openapi/nudm-sdm.yaml): what free5GC's and
 * Open5GS's AMF and SMF read (INTEROP §1.4, §7). Data comes from the UDR over Nudr_DR on every request;
 * the UDM keeps nothing.
 *
 * Change notifications: an SDM subscription with a callbackReference makes the UDM subscribe at the UDR's
 * `subscription-data/subs-to-notify`, carrying the SDM subscription along; the UDR's DataChangeNotify comes
 * back to the UDM's callback (api/udr-callback.ts), which forwards a ModificationNotification.
 */
import type { NfContext } from '../../sbi/ports.ts'
import { created, noContent, ok, problem, type OperationHandlers, type SbiRequest, type SbiService } from '../../sbi/types.ts'
import type { UdrSdmClient } from '../clients/udr-sdm.ts'
import {
  plmnIdString,
  isSameSubscription,
  nssaiOf,
  orderSmData,
  parseDatasetNames,
  smfSelectDataBothKeys,
  udrResourcesFor,
  ueContextInSmfData,
} from '../domain/sdm.ts'
import { objectBody, q, servingPlmn, snssaiQuery } from './common.ts'
import { UDR_CALLBACK_PATH } from './udr-callback.ts'

export interface SdmDeps {
  ctx: NfContext
  udr: UdrSdmClient
}

const dataNotFound = (what: string) => problem(404, 'DATA_NOT_FOUND', `no ${what} for this subscriber`)

export function sdmHandlers({ ctx, udr }: SdmDeps): OperationHandlers {
  const amData = async (supi: string, plmn: string) => {
    const am = await udr.amData(supi, plmn)
    if (!am) throw dataNotFound('am-data')
    return am
  }
  const smfSel = async (supi: string, plmn: string) => {
    const d = await udr.smfSelectData(supi, plmn)
    if (!d) throw dataNotFound('smf-select-data')
    return smfSelectDataBothKeys(d)
  }
  const smData = async (req: SbiRequest, supi: string, plmn: string) => {
    const f = { singleNssai: snssaiQuery(req, 'single-nssai'), dnn: q(req, 'dnn') }
    const list = orderSmData(await udr.smData(supi, plmn, f), f)
    if (list.length === 0) throw dataNotFound('sm-data')
    return list
  }

  return {
    GetAmData: async (req) => ok(await amData(req.params.supi, servingPlmn(req, ctx.config))),
    GetSmfSelData: async (req) => ok(await smfSel(req.params.supi, servingPlmn(req, ctx.config))),
    GetSmData: async (req) => ok(await smData(req, req.params.supi, servingPlmn(req, ctx.config))),
    GetNSSAI: async (req) => {
      const n = nssaiOf(await amData(req.params.supi, servingPlmn(req, ctx.config)))
      if (!n) throw dataNotFound('nssai')
      return ok(n)
    },
    GetUeCtxInSmfData: async (req) => ok(ueContextInSmfData(await udr.smfRegistrations(req.params.supi))),

    /** Open5GS main: `GET /{supi}?dataset-names=AM,SMF_SEL` → SubscriptionDataSets {amData, smfSelData}. */
    GetDataSets: async (req) => {
      const supi = req.params.supi
      const plmn = servingPlmn(req, ctx.config)
      const names = parseDatasetNames(req.query['dataset-names'])
      if (names.length === 0)
        throw problem(400, 'MANDATORY_IE_MISSING', 'dataset-names', [{ param: 'dataset-names', reason: 'at least one data set name' }])
      const out: Record<string, unknown> = {}
      for (const n of names) {
        if (n === 'AM') out.amData = await amData(supi, plmn)
        else if (n === 'SMF_SEL') {
          const d = await udr.smfSelectData(supi, plmn)
          if (d) out.smfSelData = smfSelectDataBothKeys(d)
        } else if (n === 'UEC_SMF') out.uecSmfData = ueContextInSmfData(await udr.smfRegistrations(supi))
        else if (n === 'SM') {
          const f = { singleNssai: snssaiQuery(req, 'single-nssai'), dnn: q(req, 'dnn') }
          const list = orderSmData(await udr.smData(supi, plmn, f), f)
          if (list.length) out.smData = list
        }
        // Other data sets (TRACE, SMS_SUB, LCS_* …) are not provisioned here: they are left out.
      }
      if (Object.keys(out).length === 0) throw dataNotFound('requested data set')
      return ok(out)
    },

    /**
     * Subscribe: free5GC's AMF/SMF send only `{nfInstanceId, plmnId}` and read `subscriptionId` from the
     * body; Open5GS's take the id from `Location` (path component [2]). Both get both.
     */
    Subscribe: async (req) => {
      const supi = req.params.ueId
      const body = objectBody(req)
      if (body.uniqueSubscription === true) {
        for (const old of await udr.listSdmSubscriptions(supi)) {
          if (isSameSubscription(old, body) && typeof old.subscriptionId === 'string') await udr.deleteSdmSubscription(supi, old.subscriptionId)
        }
      }
      const stored = await udr.createSdmSubscription(supi, body)
      const id = String(stored.subscriptionId)
      const cb = body.callbackReference
      if (typeof cb === 'string' && /^https?:\/\//.test(cb)) {
        const plmnId = body.plmnId as { mcc?: string; mnc?: string } | undefined
        const plmn = plmnId?.mcc && plmnId?.mnc ? `${plmnId.mcc}${plmnId.mnc}` : plmnIdString(ctx.config.plmn)
        const monitored = Array.isArray(body.monitoredResourceUris) ? (body.monitoredResourceUris as string[]) : [supi]
        const resources = udrResourcesFor(monitored, supi, plmn)
        if (resources.length) {
          try {
            await udr.subscribeToChanges({
              ueId: supi,
              callbackReference: `${ctx.apiRoot}${UDR_CALLBACK_PATH}`,
              monitoredResourceUris: resources,
              sdmSubscription: { ...body, subscriptionId: id },
              ...(typeof body.expires === 'string' ? { expiry: body.expires } : {}),
            })
          } catch (err) {
            // The subscription stands; only change notifications will be missing.
            ctx.log.warn({ supi, subscriptionId: id, err: (err as Error).message }, 'UDR change subscription failed')
          }
        }
      }
      return created(`${req.apiRoot}${req.basePath}/${encodeURIComponent(supi)}/sdm-subscriptions/${encodeURIComponent(id)}`, {
        ...body,
        subscriptionId: id,
      })
    },
    Unsubscribe: async (req) => {
      if (!(await udr.deleteSdmSubscription(req.params.ueId, req.params.subscriptionId)))
        throw problem(404, 'SUBSCRIPTION_NOT_FOUND', 'no such SDM subscription')
      return noContent()
    },
  }
}

export function sdmService(deps: SdmDeps): SbiService {
  return { name: 'nudm-sdm', spec: 'nudm-sdm.yaml', handlers: sdmHandlers(deps) }
}
