/**
 * The AM policy decision (TS 29.507 §4.2.2, TS 23.503 §6.1.2.1): pure, from the AMF's request and the
 * subscriber's AmPolicyData (vendor extension `mvnoAmPolicy`, see nf/pcf/README.md).
 */
import { AM_POLICY_FEATURES, negotiateFeatures } from './features.ts'
import { sanitizeAmbr } from './sm-policy.ts'
import type { AmPolicyData, PolicyAssociation, PolicyAssociationRequest } from './types.ts'

const AM_TRIGGERS = ['LOC_CH', 'PRA_CH', 'SERV_AREA_CH', 'RFSP_CH', 'ALLOWED_NSSAI_CH', 'UE_AMBR_CH', 'UE_SLICE_MBR_CH', 'SMF_SELECT_CH', 'ACCESS_TYPE_CH']

/**
 * rfsp, servAreaRes and ueAmbr come from policy-data only (nothing is sent when the BSS wrote none:
 * the AMF then keeps the subscribed values from the UDM). `UE_AMBR_CH` is added whenever a ueAmbr is
 * decided, since Open5GS's AMF applies ueAmbr only with that trigger.
 */
export function decideAmPolicy(req: Pick<PolicyAssociationRequest, 'suppFeat'>, amData: AmPolicyData | undefined): PolicyAssociation {
  const p = amData?.mvnoAmPolicy && typeof amData.mvnoAmPolicy === 'object' ? amData.mvnoAmPolicy : {}
  const out: PolicyAssociation = { suppFeat: negotiateFeatures(req.suppFeat, AM_POLICY_FEATURES) }
  const rfsp = Number(p.rfsp)
  if (p.rfsp !== undefined && Number.isInteger(rfsp) && rfsp >= 1 && rfsp <= 256) out.rfsp = rfsp
  if (p.servAreaRes && typeof p.servAreaRes === 'object') out.servAreaRes = p.servAreaRes
  const ueAmbr = sanitizeAmbr(p.ueAmbr)
  if (ueAmbr) out.ueAmbr = ueAmbr
  const triggers = new Set((p.triggers ?? []).filter((t) => AM_TRIGGERS.includes(t)))
  if (ueAmbr) triggers.add('UE_AMBR_CH')
  if (triggers.size) out.triggers = [...triggers]
  return out
}

/** True when the AMF must be told: anything it applies differs. */
export function amPolicyChanged(a: PolicyAssociation, b: PolicyAssociation): boolean {
  const pick = (x: PolicyAssociation) => JSON.stringify([x.rfsp ?? null, x.servAreaRes ?? null, x.ueAmbr ?? null, [...(x.triggers ?? [])].sort()])
  return pick(a) !== pick(b)
}
