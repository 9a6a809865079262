/**
 * Nudr_DR subscription-data handlers (TS 29.504 / 29.505), one per operationId of openapi/nudr-dr.yaml,
 * served under /nudr-dr/v1 (Open5GS) and /nudr-dr/v2 (free5GC).
 *
 * Decision on K and OPc: only QueryAuthSubsData (GET …/authentication-subscription, what both UDMs call)
 * returns them, as plain 32-hex `encPermanentKey` / `encOpcKey` exactly like free5GC's UDR does (its UDM
 * reads them as clear values; TS 29.505 leaves the protection to the deployment). They are sealed at rest
 * (domain/secrets.ts) and no other answer, notification or log line carries them.
 */
import { created, noContent, ok, problem, type OperationHandlers, type SbiRequest } from '../../sbi/types.ts'
import { applyPatch, type UdrStore, type Kind } from '../store.ts'
import { opcFromOp, redactAuthSubscription } from '../domain/secrets.ts'
import { checkSmData, type InvalidField } from '../domain/subscription.ts'
import { guard, objectBody, pduSessionIdParam, q, snssaiQuery } from './common.ts'

const HEX32 = /^[0-9a-fA-F]{32}$/
const HEX12 = /^[0-9a-fA-F]{12}$/

function invalid(bad: InvalidField[]): never {
  throw problem(400, 'MANDATORY_IE_INCORRECT', bad.map((b) => `${b.param}: ${b.reason}`).join('; '), bad)
}

/**
 * Provisioning body of an authentication subscription (TS 29.505 AuthenticationSubscription with K and
 * OPc in clear over the provisioning API). An OP (`encOpKey`, our extension) is turned into OPc here, as
 * free5GC's webconsole does, so the UDM only ever sees OPc.
 */
export function normaliseAuthSubscription(body: Record<string, unknown>): Record<string, unknown> {
  const v = { ...body }
  const bad: InvalidField[] = []
  if (typeof v.authenticationMethod !== 'string') bad.push({ param: '/authenticationMethod', reason: 'mandatory' })
  if (typeof v.encPermanentKey !== 'string' || !HEX32.test(v.encPermanentKey))
    bad.push({ param: '/encPermanentKey', reason: '32 hex digits (K)' })
  if (v.encOpcKey === undefined && typeof v.encOpKey === 'string' && HEX32.test(v.encOpKey) && !bad.length) {
    v.encOpcKey = opcFromOp(v.encPermanentKey as string, v.encOpKey)
  }
  delete v.encOpKey
  if (v.encOpcKey !== undefined && (typeof v.encOpcKey !== 'string' || !HEX32.test(v.encOpcKey)))
    bad.push({ param: '/encOpcKey', reason: '32 hex digits (OPc)' })
  const sqn = (v.sequenceNumber ?? { sqnScheme: 'NON_TIME_BASED', sqn: '000000000000' }) as Record<string, unknown>
  if (typeof sqn.sqn !== 'string' || !HEX12.test(sqn.sqn)) bad.push({ param: '/sequenceNumber/sqn', reason: '12 hex digits' })
  v.sequenceNumber = { ...sqn, sqn: typeof sqn.sqn === 'string' ? sqn.sqn.toLowerCase() : sqn.sqn }
  if (v.authenticationManagementField === undefined) v.authenticationManagementField = '8000'
  if (bad.length) invalid(bad)
  if (typeof v.encPermanentKey === 'string') v.encPermanentKey = v.encPermanentKey.toLowerCase()
  if (typeof v.encOpcKey === 'string') v.encOpcKey = v.encOpcKey.toLowerCase()
  return v
}

const plmnOf = (req: SbiRequest) => req.params.servingPlmnId

/** GET/PUT/PATCH/DELETE handlers of one singleton data set. */
function dataSet(
  udr: UdrStore,
  kind: Kind,
  key: (req: SbiRequest) => { ueId: string; servingPlmnId?: string; pduSessionId?: number },
  opts: { notFoundCause?: string; needsUe?: boolean; validate?: (b: Record<string, unknown>) => void } = {},
) {
  return {
    get: async (req: SbiRequest) => {
      const k = key(req)
      const v = await udr.get(kind, k)
      if (!v) {
        const e = await udr.notFound(k.ueId, kind)
        throw problem(404, e.cause3gpp === 'USER_NOT_FOUND' ? e.cause3gpp : opts.notFoundCause ?? e.cause3gpp, e.message)
      }
      return ok(v)
    },
    put: async (req: SbiRequest) => {
      const k = key(req)
      const body = objectBody(req)
      opts.validate?.(body)
      if (opts.needsUe && !(await udr.ueExists(k.ueId))) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      const r = await udr.put(kind, k, body)
      return r.created ? created(req.apiRoot + req.path, r.after) : noContent()
    },
    patch: async (req: SbiRequest) => {
      const k = key(req)
      await guard(() => udr.patch(kind, k, req.body), opts.notFoundCause)
      return noContent()
    },
    del: async (req: SbiRequest) => {
      await guard(() => udr.delete(kind, key(req)), opts.notFoundCause)
      return noContent()
    },
  }
}

export function subscriptionDataHandlers(udr: UdrStore): OperationHandlers {
  const ue = (req: SbiRequest) => ({ ueId: req.params.ueId })
  const uePlmn = (req: SbiRequest) => ({ ueId: req.params.ueId, servingPlmnId: plmnOf(req) })
  const authStatus = dataSet(udr, 'authStatus', ue)
  const amData = dataSet(udr, 'amData', uePlmn)
  const smfSel = dataSet(udr, 'smfSelData', uePlmn)
  const amf3gpp = dataSet(udr, 'amf3gpp', ue, { notFoundCause: 'CONTEXT_NOT_FOUND', needsUe: true })
  const smfReg = dataSet(udr, 'smfRegistration', (req) => ({ ueId: req.params.ueId, pduSessionId: pduSessionIdParam(req) }), {
    notFoundCause: 'CONTEXT_NOT_FOUND',
    needsUe: true,
  })

  return {
    // authentication-subscription
    QueryAuthSubsData: async (req) => {
      const v = await udr.getAuthSubscription(req.params.ueId)
      if (!v) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      return ok(v)
    },
    ModifyAuthenticationSubscription: async (req) => {
      await guard(() => udr.patchAuthSubscription(req.params.ueId, req.body))
      return noContent()
    },
    CreateOrReplaceAuthenticationSubscription: async (req) => {
      const v = normaliseAuthSubscription(objectBody(req))
      const r = await udr.putAuthSubscription(req.params.ueId, v)
      return r.created ? created(req.apiRoot + req.path, redactAuthSubscription(v)) : noContent()
    },
    DeleteAuthenticationSubscription: async (req) => {
      await guard(() => udr.deleteAuthSubscription(req.params.ueId))
      return noContent()
    },

    // authentication-status (Open5GS: PUT on success, DELETE on auth removal)
    CreateAuthenticationStatus: async (req) => {
      const body = objectBody(req)
      if (!(await udr.ueExists(req.params.ueId))) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      await udr.put('authStatus', ue(req), body)
      return noContent()
    },
    QueryAuthenticationStatus: authStatus.get,
    DeleteAuthenticationStatus: async (req) => {
      try {
        await udr.delete('authStatus', ue(req))
      } catch {
        /* idempotent: nothing stored is fine */
      }
      return noContent()
    },

    // provisioned data
    QueryProvisionedData: async (req) => {
      const k = uePlmn(req)
      const names = (q(req, 'dataset-names') ?? 'AM,SMF_SEL,SM').split(',').map((s) => s.trim().toUpperCase())
      const out: Record<string, unknown> = {}
      if (names.includes('AM')) {
        const v = await udr.get('amData', k)
        if (v) out.amData = v
      }
      if (names.includes('SMF_SEL')) {
        const v = await udr.get('smfSelData', k)
        if (v) out.smfSelData = v
      }
      if (names.includes('SM')) {
        const v = await udr.querySmData(k.ueId, k.servingPlmnId)
        if (v.length) out.smData = v
      }
      if (Object.keys(out).length === 0) {
        const e = await udr.notFound(k.ueId, 'provisioned data')
        throw problem(404, e.cause3gpp, e.message)
      }
      return ok(out)
    },
    QueryAmData: amData.get,
    CreateOrReplaceAmData: amData.put,
    ModifyAmData: amData.patch,
    DeleteAmData: amData.del,
    QuerySmfSelectData: smfSel.get,
    CreateOrReplaceSmfSelectData: smfSel.put,
    ModifySmfSelectData: smfSel.patch,
    DeleteSmfSelectData: smfSel.del,
    QuerySmData: async (req) => {
      const k = uePlmn(req)
      const list = await udr.querySmData(k.ueId, k.servingPlmnId, {
        singleNssai: snssaiQuery(req, 'single-nssai'),
        dnn: q(req, 'dnn'),
      })
      if (list.length === 0 && !(await udr.ueExists(k.ueId))) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      return ok(list)
    },
    CreateOrReplaceSmData: async (req) => {
      const k = uePlmn(req)
      const list = Array.isArray(req.body) ? (req.body as Record<string, unknown>[]) : [objectBody(req)]
      const bad = list.flatMap((d, i) => checkSmData(d, `/${i}`))
      if (bad.length) invalid(bad)
      const r = await udr.putSmData(k.ueId, k.servingPlmnId, list)
      return r.created ? created(req.apiRoot + req.path, list) : noContent()
    },
    /**
     * Provisioning PATCH of sm-data: an RFC 6902 patch whose root is the list (`/0/dnnConfigurations/internet/
     * sessionAmbr/uplink`), or a merge patch `{ "<slice index>": … }` is not offered since lists do not merge.
     */
    ModifySmData: async (req) => {
      const k = uePlmn(req)
      if (!Array.isArray(req.body)) throw problem(400, 'MANDATORY_IE_INCORRECT', 'sm-data takes a JSON patch (array) whose root is the list')
      const list = await udr.querySmData(k.ueId, k.servingPlmnId)
      if (list.length === 0) {
        const e = await udr.notFound(k.ueId, 'sm-data')
        throw problem(404, e.cause3gpp, e.message)
      }
      const wrapped = (req.body as Record<string, unknown>[]).map((op) => ({
        ...op,
        path: `/l${String(op?.path ?? '')}`,
        ...(typeof op?.from === 'string' ? { from: `/l${op.from}` } : {}),
      }))
      const patched = await guard(async () => applyPatch({ l: list }, wrapped).doc.l as Record<string, unknown>[])
      if (!Array.isArray(patched)) throw problem(400, 'MANDATORY_IE_INCORRECT', 'the patch must leave a list')
      const bad = patched.flatMap((d, i) => checkSmData(d, `/${i}`))
      if (bad.length) invalid(bad)
      await udr.putSmData(k.ueId, k.servingPlmnId, patched)
      return noContent()
    },
    DeleteSmData: async (req) => {
      const k = uePlmn(req)
      await guard(() => udr.deleteSmData(k.ueId, k.servingPlmnId))
      return noContent()
    },

    // context data
    CreateAmfContext3gpp: amf3gpp.put,
    AmfContext3gpp: amf3gpp.patch,
    QueryAmfContext3gpp: amf3gpp.get,
    DeleteAmfContext3gpp: amf3gpp.del,
    QuerySmfRegList: async (req) => {
      const list = await udr.list('smfRegistration', req.params.ueId)
      if (list.length === 0 && !(await udr.ueExists(req.params.ueId))) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      return ok(list)
    },
    /** TS 29.505: 201 when created, 204 when an existing registration was replaced. */
    CreateOrUpdateSmfRegistration: smfReg.put,
    QuerySmfRegistration: smfReg.get,
    DeleteSmfRegistration: smfReg.del,

    // SDM subscriptions kept for the UDM (context-data/sdm-subscriptions)
    CreateSdmSubscriptions: async (req) => {
      const ueId = req.params.ueId
      if (!(await udr.ueExists(ueId))) throw problem(404, 'USER_NOT_FOUND', 'unknown subscriber')
      const v = await udr.createSdmSubscription(ueId, objectBody(req))
      return created(`${req.apiRoot}${req.path}/${encodeURIComponent(String(v.subscriptionId))}`, v)
    },
    Querysdmsubscriptions: async (req) => {
      const list = await udr.listSdmSubscriptions(req.params.ueId)
      return ok(list)
    },
    QuerySdmSubscription: async (req) => {
      const v = await udr.getSdmSubscription(req.params.ueId, req.params.subsId)
      if (!v) throw problem(404, 'SUBSCRIPTION_NOT_FOUND', 'no such SDM subscription')
      return ok(v)
    },
    Updatesdmsubscriptions: async (req) => {
      await guard(() => udr.replaceSdmSubscription(req.params.ueId, req.params.subsId, objectBody(req)))
      return noContent()
    },
    RemovesdmSubscriptions: async (req) => {
      await guard(() => udr.deleteSdmSubscription(req.params.ueId, req.params.subsId))
      return noContent()
    },
  }
}
