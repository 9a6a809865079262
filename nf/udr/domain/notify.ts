/**
 * Change subscriptions (TS 29.504 §5.2.2.x subs-to-notify, TS 29.519 policy-data subs-to-notify):
 * which subscription a write matches, and the notification bodies. Pure: the api layer persists and
 * hands the result to the outbox.
 */
import { diffChanges, type ChangeItem } from './json-patch.ts'

/**
 * Resource URI (absolute or relative, any Nudr_DR version) → path relative to the Nudr_DR base, with the
 * servingPlmnId of provisioned data replaced by `*` (the UDM may subscribe with the home PLMN while a
 * provisioning tool wrote under another serving PLMN).
 */
export function normaliseResource(uri: string): string {
  let p = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '').split('?')[0]
  const m = /\/nudr-dr\/v\d+(\/.*)?$/.exec(p)
  if (m) p = m[1] ?? '/'
  if (!p.startsWith('/')) p = '/' + p
  p = p.replace(/\/+$/, '')
  const seg = p.split('/')
  if (seg[1] === 'subscription-data' && seg[4] === 'provisioned-data') seg[3] = '*'
  return seg.join('/')
}

/** `imsi-…` the resources are about, or `*` when they are about several UEs or none in particular. */
export function ueKeyOf(monitored: string[], ueId?: string): string {
  if (ueId) return ueId
  const ues = new Set(
    monitored.map((u) => {
      const s = normaliseResource(u).split('/')
      if (s[1] === 'subscription-data' && s[2] && s[2] !== 'subs-to-notify' && s[2] !== 'shared-data') return decodeURIComponent(s[2])
      if (s[1] === 'policy-data' && s[2] === 'ues' && s[3]) return decodeURIComponent(s[3])
      return '*'
    }),
  )
  return ues.size === 1 ? [...ues][0] : '*'
}

/** Does a write to `resource` fall under one of the monitored URIs (same resource or below it)? */
export function matchesMonitored(resource: string, monitored: string[]): boolean {
  const r = normaliseResource(resource)
  return monitored.some((m) => {
    const n = normaliseResource(m)
    return r === n || r.startsWith(n + '/') || n === '/'
  })
}

export function isExpired(expiry: unknown, now: Date): boolean {
  return typeof expiry === 'string' && !Number.isNaN(Date.parse(expiry)) && Date.parse(expiry) <= now.getTime()
}

export function changesOf(before: Record<string, unknown> | null, after: Record<string, unknown> | null): ChangeItem[] {
  return diffChanges(before ?? {}, after ?? {})
}

/** TS 29.505 DataChangeNotify for one subscription-data subscriber. */
export function dataChangeNotify(
  sub: Record<string, unknown>,
  ueId: string,
  resourceUri: string,
  changes: ChangeItem[],
): Record<string, unknown> {
  const body: Record<string, unknown> = { ueId, notifyItems: [{ resourceId: resourceUri, changes }] }
  if (typeof sub.originalCallbackReference === 'string') body.originalCallbackReference = [sub.originalCallbackReference]
  if (sub.sdmSubscription && typeof sub.sdmSubscription === 'object') body.sdmSubscription = sub.sdmSubscription
  return body
}

/** TS 29.519 PolicyDataChangeNotification list (one element) for one policy-data subscriber. */
export function policyDataChangeNotification(
  sub: Record<string, unknown>,
  ueId: string,
  resource: string,
  resourceUri: string,
  after: Record<string, unknown> | null,
): Record<string, unknown>[] {
  const n: Record<string, unknown> = { ueId }
  if (typeof sub.notifId === 'string') n.notifId = sub.notifId
  if (after === null) n.delResources = [resourceUri]
  else if (resource.endsWith('/am-data')) n.amPolicyData = after
  else if (resource.endsWith('/sm-data')) n.smPolicyData = after
  else if (resource.endsWith('/ue-policy-set')) n.uePolicySet = after
  return [n]
}
