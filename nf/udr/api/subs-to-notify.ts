/**
 * Change subscriptions: `POST /subscription-data/subs-to-notify` (TS 29.504 SubscriptionDataSubscriptions)
 * and `POST /policy-data/subs-to-notify` (TS 29.519 PolicyDataSubscription), DELETE by id; and the
 * notifier that turns every repository write into notifications through the outbox.
 */
import { created, noContent, ok, problem, type OperationHandlers, type SbiRequest } from '../../sbi/types.ts'
import type { Logger } from 'pino'
import type { Outbox } from '../../sbi/ports.ts'
import type { Area, DataChange, UdrStore } from '../store.ts'
import {
  changesOf,
  dataChangeNotify,
  isExpired,
  matchesMonitored,
  policyDataChangeNotification,
  ueKeyOf,
} from '../domain/notify.ts'
import { objectBody } from './common.ts'

function create(udr: UdrStore, area: Area) {
  return async (req: SbiRequest) => {
    const body = objectBody(req)
    const cbField = area === 'subscription-data' ? 'callbackReference' : 'notificationUri'
    const cb = body[cbField]
    const monitored = body.monitoredResourceUris
    if (typeof cb !== 'string' || !/^https?:\/\//.test(cb))
      throw problem(400, 'MANDATORY_IE_INCORRECT', `${cbField} must be an absolute URI`, [{ param: `/${cbField}`, reason: 'absolute URI' }])
    if (!Array.isArray(monitored) || monitored.length === 0 || monitored.some((m) => typeof m !== 'string'))
      throw problem(400, 'MANDATORY_IE_MISSING', 'monitoredResourceUris', [{ param: '/monitoredResourceUris', reason: 'non-empty array of URIs' }])
    const ueKey = ueKeyOf(monitored as string[], typeof body.ueId === 'string' ? body.ueId : undefined)
    const id = await udr.createChangeSubscription(area, { ...body, ueKey, basePath: req.basePath })
    const answer = { ...body, subscriptionId: id }
    return created(`${req.apiRoot}${req.basePath}/${area}/subs-to-notify/${encodeURIComponent(id)}`, answer)
  }
}

function strip(doc: Record<string, unknown>) {
  const { _id, ueKey, basePath, ...rest } = doc
  void _id, void ueKey, void basePath
  return rest
}

export function subsToNotifyHandlers(udr: UdrStore): OperationHandlers {
  return {
    SubscriptionDataSubscriptions: create(udr, 'subscription-data'),
    QuerySubscriptionDataSubscription: async (req) => {
      const d = await udr.getChangeSubscription('subscription-data', req.params.subsId)
      if (!d) throw problem(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription')
      return ok(strip(d))
    },
    RemovesubscriptionDataSubscriptions: async (req) => {
      if (!(await udr.deleteChangeSubscription('subscription-data', req.params.subsId)))
        throw problem(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription')
      return noContent()
    },
    CreateIndividualPolicyDataSubscription: create(udr, 'policy-data'),
    DeleteIndividualPolicyDataSubscription: async (req) => {
      if (!(await udr.deleteChangeSubscription('policy-data', req.params.subsId)))
        throw problem(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription')
      return noContent()
    },
  }
}

/**
 * The notifier hooked on UdrStore: one notification per matching subscription, persisted in the outbox
 * before the write's answer goes out. A failure here is logged and never fails the write.
 */
export function changeNotifier(deps: { udr: UdrStore; outbox: Outbox; log: Logger; clock: () => Date; apiRoot: string }) {
  return async (c: DataChange): Promise<void> => {
    try {
      const subs = await deps.udr.candidateSubscriptions(c.area, c.ueId)
      if (subs.length === 0) return
      const changes = changesOf(c.before, c.after)
      if (changes.length === 0) return
      for (const sub of subs) {
        if (isExpired(sub.expiry, deps.clock())) {
          await deps.udr.deleteChangeSubscription(c.area, String(sub._id))
          continue
        }
        if (!matchesMonitored(c.resource, (sub.monitoredResourceUris as string[]) ?? [])) continue
        const resourceUri = `${deps.apiRoot}${(sub.basePath as string) ?? '/nudr-dr/v2'}${c.resource}`
        if (c.area === 'subscription-data') {
          await deps.outbox.enqueue({
            uri: sub.callbackReference as string,
            method: 'POST',
            body: dataChangeNotify(sub, c.ueId, resourceUri, changes),
            kind: 'DataChangeNotify',
          })
        } else {
          await deps.outbox.enqueue({
            uri: sub.notificationUri as string,
            method: 'POST',
            body: policyDataChangeNotification(sub, c.ueId, c.resource, resourceUri, c.after),
            kind: 'PolicyDataChangeNotification',
          })
        }
      }
    } catch (err) {
      deps.log.error({ err: (err as Error).message, resource: c.resource }, 'change notification not queued')
    }
  }
}
