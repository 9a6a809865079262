/**
 * Npcf_AMPolicyControl as a service (TS 29.507 §4.2.2–§4.2.5): create/read/update/delete an AM policy
 * association from policy-data am-data, replace stale ones on re-registration (Open5GS's AMF creates a
 * second association without deleting the first, INTEROP §7.11), and notify the AMF when am-data changes.
 */
import { newId } from '../../store/doc.ts'
import type { NfContext } from '../sbi/ports.ts'
import { problem } from '../sbi/types.ts'
import type { NudrDrClient } from './clients/nudr-dr.ts'
import { amPolicyChanged, decideAmPolicy } from './domain/am-policy.ts'
import { amUpdateNotify, policyUpdate } from './domain/notify.ts'
import type { AmPolicyData, PolicyAssociation, PolicyAssociationRequest } from './domain/types.ts'
import type { PeerSubscriptions } from './peer-subscriptions.ts'
import type { AmPolicyDoc, PcfStore } from './store.ts'

export const AM_BASE = '/npcf-am-policy-control/v1'

export class AmPolicyService {
  constructor(
    private readonly ctx: NfContext,
    private readonly store: PcfStore,
    private readonly udr: NudrDrClient,
    private readonly subs: PeerSubscriptions,
  ) {}

  private async readAmData(supi: string): Promise<AmPolicyData | undefined> {
    try {
      return await this.udr.amData(supi)
    } catch (err) {
      this.ctx.log.warn({ supi, err: (err as Error).message }, 'am policy-data unavailable; deciding without it')
      return undefined
    }
  }

  async create(request: PolicyAssociationRequest, apiRoot: string): Promise<{ id: string; location: string; policy: PolicyAssociation }> {
    const supi = request.supi
    // One association per SUPI and access type: a new create means the AMF forgot the old one.
    for (const old of await this.store.amOfSupi(supi)) {
      if ((old.accessType ?? '') === (request.accessType ?? '')) {
        await this.store.deleteAm(old._id)
        this.ctx.log.info({ supi, polAssoId: old._id }, 'stale AM policy association replaced')
      }
    }
    await this.subs.ensureUdr(supi)
    const amData = await this.readAmData(supi)
    const policy = decideAmPolicy(request, amData)
    const id = newId()
    const location = `${apiRoot}${AM_BASE}/policies/${id}`
    const now = this.ctx.clock().toISOString()
    await this.store.insertAm({
      _id: id,
      supi,
      ...(request.accessType ? { accessType: request.accessType } : {}),
      resourceUri: location,
      request,
      policy,
      createdAt: now,
      updatedAt: now,
    })
    await this.ctx.events.emit('pcf', { type: 'pcf.am-policy.created', supi, data: { polAssoId: id, rfsp: policy.rfsp, ueAmbr: policy.ueAmbr } })
    return { id, location, policy }
  }

  async get(id: string): Promise<AmPolicyDoc> {
    const doc = await this.store.getAm(id)
    if (!doc) throw problem(404, 'CONTEXT_NOT_FOUND', `no AM policy association ${id}`)
    return doc
  }

  /** ReportObservedEventTriggers: records what the AMF reports and answers the current PolicyUpdate. */
  async update(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const doc = await this.get(id)
    const request: PolicyAssociationRequest = { ...doc.request }
    if (typeof body.notificationUri === 'string') request.notificationUri = body.notificationUri
    for (const k of ['userLoc', 'allowedSnssais', 'ueAmbr', 'guami']) if (body[k] !== undefined) (request as Record<string, unknown>)[k] = body[k]
    const policy = decideAmPolicy(request, await this.readAmData(doc.supi))
    await this.store.saveAm(id, { request, policy, updatedAt: this.ctx.clock().toISOString() })
    return policyUpdate((doc.resourceUri as string | undefined) ?? `${this.ctx.apiRoot}${AM_BASE}/policies/${id}`, policy)
  }

  async delete(id: string): Promise<void> {
    const doc = await this.store.deleteAm(id)
    if (!doc) throw problem(404, 'CONTEXT_NOT_FOUND', `no AM policy association ${id}`)
    await this.ctx.events.emit('pcf', { type: 'pcf.am-policy.deleted', supi: doc.supi, data: { polAssoId: id } })
    await this.subs.releaseUnused(doc.supi)
  }

  /** am-data changed: re-decide and notify each AMF whose policy changed, in the form it accepts. */
  async reevaluate(supi: string, amData?: AmPolicyData | null): Promise<number> {
    const assocs = await this.store.amOfSupi(supi)
    if (assocs.length === 0) return 0
    const data = amData === null ? undefined : (amData ?? (await this.readAmData(supi)))
    let pushed = 0
    for (const a of assocs) {
      const policy = decideAmPolicy(a.request, data)
      if (!amPolicyChanged(a.policy, policy)) continue
      const resourceUri = (a.resourceUri as string | undefined) ?? `${this.ctx.apiRoot}${AM_BASE}/policies/${a._id}`
      const n = amUpdateNotify(a.request.notificationUri, a._id, resourceUri, policy)
      await this.ctx.outbox.enqueue({
        key: `am-policy:${a._id}`, // the whole PolicyAssociation each time: newest wins, in order
        uri: n.uri,
        method: 'POST',
        ...(n.body !== undefined ? { body: n.body } : {}),
        kind: n.kind,
        scope: 'namf-callback',
        targetNfType: 'AMF',
      })
      await this.store.saveAm(a._id, { policy, updatedAt: this.ctx.clock().toISOString() })
      await this.ctx.events.emit('pcf', { type: 'pcf.am-policy.updated', supi, data: { polAssoId: a._id, rfsp: policy.rfsp, ueAmbr: policy.ueAmbr } })
      pushed++
    }
    return pushed
  }
}
