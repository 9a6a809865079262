/**
 * Where and what to POST when the PCF pushes a change (TS 29.512 §4.2.3 UpdateNotify / §4.2.4 terminate,
 * TS 29.507 §4.2.4), shaped for what each SMF/AMF really does (INTEROP §1.1, §1.2, §1.7, §7.2).
 * Pure: the caller hands the result to the outbox.
 */
import { clone } from '../../../store/doc.ts'
import type { PolicyAssociation, SmPolicyDecision } from './types.ts'

export type PeerFlavour = 'open5gs' | 'free5gc' | 'generic'

/** Open5GS: `…/nsmf-callback/v1/sm-policy-notify/{ref}`; free5GC: `…/nsmf-callback/sm-policies/{urn:uuid:…}`. */
export function smfFlavour(notificationUri: string): PeerFlavour {
  if (/\/nsmf-callback\/v1\/sm-policy-notify\//.test(notificationUri)) return 'open5gs'
  if (/\/nsmf-callback\/sm-policies\//.test(notificationUri)) return 'free5gc'
  return 'generic'
}

/** Open5GS: `…/namf-callback/v1/{supi}/am-policy-notify`; free5GC: `…/namf-callback/v1/am-policy/`. */
export function amfFlavour(notificationUri: string): PeerFlavour {
  if (/\/am-policy-notify\/?$/.test(notificationUri)) return 'open5gs'
  if (/\/namf-callback\/v1\/am-policy\/?$/.test(notificationUri)) return 'free5gc'
  return 'generic'
}

/** Joins a callback URI and a suffix exactly as received (free5GC refs contain ':', never re-encode). */
export function joinUri(base: string, suffix: string): string {
  return base.endsWith('/') && suffix.startsWith('/') ? base + suffix.slice(1) : base + suffix
}

export interface CallbackRequest {
  uri: string
  /** undefined: a POST without a body. */
  body?: unknown
  kind: string
  terminalStatuses?: number[]
}

const MAPS = ['pccRules', 'qosDecs', 'chgDecs', 'traffContDecs'] as const

/**
 * The SmPolicyDecision of an update-notify: always the FULL rule set and sessRules (Open5GS replaces
 * all PCC rules with those of the notify, free5GC applies them as modifications). Rules the previous
 * decision had and the new one drops are removed with `null` (TS 29.512 §5.6.2.4 PccRuleRm), except
 * towards Open5GS, whose full replacement removes them and whose parser does not take null entries.
 */
export function smNotifyDecision(prev: SmPolicyDecision | undefined, next: SmPolicyDecision, flavour: PeerFlavour): SmPolicyDecision {
  const out: SmPolicyDecision = clone(next)
  delete out.suppFeat
  if (flavour === 'open5gs' || !prev) return out
  for (const m of MAPS) {
    const before = (prev[m] ?? {}) as Record<string, unknown>
    const after = ((out as unknown as Record<string, Record<string, unknown> | undefined>)[m] ??= {})
    for (const id of Object.keys(before)) if (!(id in after) && before[id] !== null) after[id] = null
    if (Object.keys(after).length === 0) delete (out as unknown as Record<string, unknown>)[m]
  }
  return out
}

/** `POST {notificationUri}/update` SmPolicyNotification. */
export function smUpdateNotify(notificationUri: string, resourceUri: string, decision: SmPolicyDecision): CallbackRequest {
  return {
    uri: joinUri(notificationUri, '/update'),
    body: { resourceUri, smPolicyDecision: decision },
    kind: 'SmPolicyUpdateNotify',
  }
}

/** `POST {notificationUri}/terminate` TerminationNotification; free5GC answers 501: delivered, unsupported. */
export function smTerminateNotify(notificationUri: string, resourceUri: string, cause = 'UE_SUBSCRIPTION'): CallbackRequest {
  return {
    uri: joinUri(notificationUri, '/terminate'),
    body: { resourceUri, cause },
    kind: 'SmPolicyTerminateNotify',
    terminalStatuses: [501],
  }
}

/** TS 29.507 PolicyUpdate from a PolicyAssociation. */
export function policyUpdate(resourceUri: string, policy: PolicyAssociation): Record<string, unknown> {
  const u: Record<string, unknown> = { resourceUri }
  if (policy.triggers?.length) u.triggers = policy.triggers
  if (policy.servAreaRes) u.servAreaRes = policy.servAreaRes
  if (policy.rfsp !== undefined) u.rfsp = policy.rfsp
  if (policy.ueAmbr) u.ueAmbr = policy.ueAmbr
  return u
}

/**
 * AM policy update-notify:
 * - free5GC's AMF routes `/namf-callback/v1/am-policy/:polAssoId/update`: POST `{notificationUri}{polAssoId}/update`;
 * - Open5GS's AMF answers 400 to any body on `…/am-policy-notify` and 204 to a bodyless POST (INTEROP §7.2);
 * - anything else: the TS 29.507 callback `{notificationUri}/update` with a PolicyUpdate.
 */
export function amUpdateNotify(notificationUri: string, polAssoId: string, resourceUri: string, policy: PolicyAssociation): CallbackRequest {
  switch (amfFlavour(notificationUri)) {
    case 'open5gs':
      return { uri: notificationUri, kind: 'AmPolicyUpdateNotify' }
    case 'free5gc':
      return {
        uri: joinUri(notificationUri.endsWith('/') ? notificationUri : notificationUri + '/', `${encodeURIComponent(polAssoId)}/update`),
        body: policyUpdate(resourceUri, policy),
        kind: 'AmPolicyUpdateNotify',
      }
    default:
      return { uri: joinUri(notificationUri, '/update'), body: policyUpdate(resourceUri, policy), kind: 'AmPolicyUpdateNotify' }
  }
}
