/**
 * Nudm_UECM (TS 29.503 §5.3, §6.2) at `{apiRoot}/nudm-uecm/v1` (openapi/nudm-uecm.yaml): the AMF's 3GPP-access
 * registration and the SMF's per-PDU-session registrations, kept at the UDR (context-data).
 *
 * When another AMF registers, the previous one gets a DeregistrationData on its deregCallbackUri through
 * the outbox (with `accessType`, which Open5GS's AMF requires, INTEROP §7.8).
 */
import type { NfContext } from '../../sbi/ports.ts'
import { created, noContent, ok, problem, type OperationHandlers, type SbiService } from '../../sbi/types.ts'
import type { UdrSdmClient } from '../clients/udr-sdm.ts'
import { deregistrationFor, sameGuami } from '../domain/sdm.ts'
import { objectBody } from './common.ts'
import { watchWithdrawal } from './withdrawal.ts'

export interface UecmDeps {
  ctx: NfContext
  udr: UdrSdmClient
}

const contextNotFound = () => problem(404, 'CONTEXT_NOT_FOUND', 'no registration stored')

export function uecmHandlers({ ctx, udr }: UecmDeps): OperationHandlers {
  /**
   * TS 29.503 §5.3.2.2.2 / §5.3.2.4.2: SDM subscriptions an AMF made with `implicitUnsubscribe` end when
   * that AMF loses the registration (another AMF registers, or it purges).
   */
  async function implicitUnsubscribe(supi: string, nfInstanceId: unknown): Promise<void> {
    try {
      for (const s of await udr.listSdmSubscriptions(supi)) {
        if (s.implicitUnsubscribe === true && s.nfInstanceId === nfInstanceId && typeof s.subscriptionId === 'string')
          await udr.deleteSdmSubscription(supi, s.subscriptionId)
      }
    } catch (err) {
      ctx.log.warn({ supi, err: (err as Error).message }, 'implicit SDM unsubscribe failed')
    }
  }

  return {
    /** PUT amf-3gpp-access: 201 + Location the first time, 200 on re-registration (Open5GS re-PUTs, INTEROP §7.11). */
    '3GppRegistration': async (req) => {
      const supi = req.params.ueId
      const reg = objectBody(req)
      const previous = await udr.getAmf3gpp(supi)
      const r = await udr.putAmf3gpp(supi, reg)
      if (
        previous &&
        typeof previous.deregCallbackUri === 'string' &&
        previous.amfInstanceId !== reg.amfInstanceId &&
        previous.purgeFlag !== true
      ) {
        await ctx.outbox.enqueue({
          uri: previous.deregCallbackUri,
          method: 'POST',
          body: deregistrationFor(reg),
          kind: 'UecmDeregistrationNotification',
        })
      }
      if (previous && previous.amfInstanceId !== reg.amfInstanceId) await implicitUnsubscribe(supi, previous.amfInstanceId)
      await watchWithdrawal(ctx, udr, supi)
      await ctx.events.emit('udm', { type: 'udm.uecm.amf.registered', supi, data: { amfInstanceId: reg.amfInstanceId, ratType: reg.ratType } })
      const location = `${req.apiRoot}${req.basePath}/${encodeURIComponent(supi)}/registrations/amf-3gpp-access`
      return r.created || !previous ? created(location, reg) : ok(reg)
    },

    /** PATCH amf-3gpp-access (merge-patch from free5GC, plain JSON from Open5GS): `{guami, purgeFlag?, pei? …}`. */
    Update3GppRegistration: async (req) => {
      const supi = req.params.ueId
      const mod = objectBody(req)
      const current = await udr.getAmf3gpp(supi)
      if (!current) throw contextNotFound()
      if (!sameGuami(current.guami, mod.guami)) throw problem(403, 'INVALID_GUAMI', 'the GUAMI does not match the registered AMF')
      const ops: Record<string, unknown>[] = []
      for (const [k, v] of Object.entries(mod)) {
        if (k === 'guami') continue
        if (v === null) {
          if (k in current) ops.push({ op: 'remove', path: `/${k}` })
        } else ops.push({ op: 'add', path: `/${k}`, value: v })
      }
      if (ops.length) await udr.patchAmf3gpp(supi, ops)
      if (mod.purgeFlag === true) await implicitUnsubscribe(supi, current.amfInstanceId)
      if (mod.purgeFlag === true) await ctx.events.emit('udm', { type: 'udm.uecm.amf.purged', supi, data: { amfInstanceId: current.amfInstanceId } })
      return noContent()
    },

    Get3GppRegistration: async (req) => {
      const reg = await udr.getAmf3gpp(req.params.ueId)
      if (!reg) throw contextNotFound()
      return ok(reg)
    },

    /** PUT smf-registrations/{pduSessionId} (Open5GS's SMF after N2 setup). */
    Registration: async (req) => {
      const supi = req.params.ueId
      const psi = Number(req.params.pduSessionId)
      const reg: Record<string, unknown> = { ...objectBody(req), pduSessionId: psi }
      const r = await udr.putSmfRegistration(supi, psi, reg)
      await ctx.events.emit('udm', { type: 'udm.uecm.smf.registered', supi, data: { pduSessionId: psi, dnn: reg.dnn, smfInstanceId: reg.smfInstanceId } })
      return r.created
        ? created(`${req.apiRoot}${req.basePath}/${encodeURIComponent(supi)}/registrations/smf-registrations/${psi}`, reg)
        : ok(reg)
    },

    /** DELETE smf-registrations/{pduSessionId} (both SMFs on release). */
    SmfDeregistration: async (req) => {
      const supi = req.params.ueId
      const psi = Number(req.params.pduSessionId)
      if (!(await udr.deleteSmfRegistration(supi, psi))) throw contextNotFound()
      await ctx.events.emit('udm', { type: 'udm.uecm.smf.deregistered', supi, data: { pduSessionId: psi } })
      return noContent()
    },

    RetrieveSmfRegistration: async (req) => {
      const reg = await udr.getSmfRegistration(req.params.ueId, Number(req.params.pduSessionId))
      if (!reg) throw contextNotFound()
      return ok(reg)
    },

    /** GET smf-registrations → SmfRegistrationInfo. */
    GetSmfRegistration: async (req) => {
      const list = await udr.smfRegistrations(req.params.ueId)
      if (list.length === 0) throw contextNotFound()
      return ok({ smfRegistrationList: list })
    },
  }
}

export function uecmService(deps: UecmDeps): SbiService {
  return { name: 'nudm-uecm', spec: 'nudm-uecm.yaml', handlers: uecmHandlers(deps) }
}
