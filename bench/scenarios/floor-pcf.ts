/**
 * The floor under pcf-sm-create (bench/floor.ts): the same create + replace with nothing but node:http2
 * and better-sqlite3. Per request, as the PCF does it: parse the SMF's SmPolicyContextData; insert the
 * association (the context, the decision nf/pcf/domain decides for the bench plan, its summary: the same
 * ~2.1 KB row, indexed by SUPI and sparse `terminated`) and, after its COMMIT, its `created` event
 * (indexed by SUPI); then the replace pass, shared by the creates queued behind it exactly as the PCF
 * shares it (nf/pcf/sm-policies.ts coalescedPasses): read the ids and DNNs of the session's associations
 * newest first, delete all but the newest, write their `deleted` events; answer 201 with the Location and
 * the decision, as the PCF answers it (test/bench/floors.test.ts compares them). No routing, validation,
 * metrics, UDR or CHF subscription bookkeeping, or store adapter.
 */
import { defaultConfig } from '../../config/defaults.ts'
import { decideSmPolicy, withNegotiatedFeatures } from '../../nf/pcf/domain/sm-policy.ts'
import type { SmPolicyContextData, SmPolicyData } from '../../nf/pcf/domain/types.ts'
import { coalescedPasses } from '../../nf/pcf/sm-policies.ts'
import { eventId } from '../../nf/sbi/events.ts'
import { newId } from '../../store/doc.ts'
import { f5SmCreate as createBody } from '../../test/pcf/fixtures.ts'
import { openFloorDb, serveFloor } from '../floor.ts'
import type { Scenario } from '../scenario.ts'
import { POLICY_DATA } from './pcf-sm-create.ts'

export const scenario: Scenario = {
  name: 'floor-pcf',
  description: 'floor under pcf-sm-create: the same rows, events, replace pass and answer with only node:http2 + better-sqlite3 (no runtime, no adapter, no PCF bookkeeping)',
  async start() {
    const f = openFloorDb('mvno-bench-floor-pcf-')
    f.table('sm', ['supi', 'terminated'])
    f.table('events', ['supi'])
    const insertSm = f.db.prepare('INSERT INTO sm (_id, doc, "@supi", "@terminated") VALUES (?, ?, ?, NULL)')
    const insertEvent = f.db.prepare('INSERT INTO events (_id, doc, "@supi") VALUES (?, ?, ?)')
    const ofSession = f.db.prepare(`SELECT _id, doc -> '$.dnn' FROM sm WHERE "@supi" = ? AND json_extract(doc, '$.pduSessionId') = ? ORDER BY _id DESC`).raw()
    const deleteSm = f.db.prepare('DELETE FROM sm WHERE _id = ?')
    const defaults = defaultConfig().pcf.defaults
    const emit = (type: string, supi: string, data: Record<string, unknown>) => {
      const now = new Date()
      const doc = { _id: eventId(now.getTime()), ts: now.toISOString(), nf: 'pcf', type, supi, data }
      return f.write(() => insertEvent.run(doc._id, JSON.stringify(doc), supi))
    }
    const replacing = coalescedPasses()
    const keepNewest = async (supi: string, pduSessionId: number) => {
      const [newest, ...older] = ofSession.all(supi, pduSessionId) as Array<[string, string]>
      if (!older.length) return
      await Promise.all(older.map(([id]) => f.write(() => deleteSm.run(id))))
      await Promise.all(older.map(([id, dnn]) => emit('pcf.sm-policy.deleted', supi, { smPolicyId: id, dnn: JSON.parse(dnn), pduSessionId, reason: 'REPLACED', replacedBy: newest![0] })))
    }
    const server = await serveFloor(async (body, headers) => {
      const context = body as SmPolicyContextData
      const outcome = decideSmPolicy({ context, policyData: POLICY_DATA as SmPolicyData, counterStatuses: {}, defaults })
      if (outcome.kind === 'denied') throw new Error(outcome.detail)
      const id = newId()
      const location = `http://${headers[':authority']}/npcf-smpolicycontrol/v1/sm-policies/${id}`
      const now = new Date().toISOString()
      const doc = { _id: id, supi: context.supi, pduSessionId: context.pduSessionId, dnn: context.dnn, resourceUri: location, context, decision: outcome.decision, summary: outcome.summary, createdAt: now, updatedAt: now }
      await f.write(() => insertSm.run(id, JSON.stringify(doc), context.supi))
      const { mode, profileId, sessAmbr, fiveQi, exhaustedCounters } = outcome.summary
      await emit('pcf.sm-policy.created', context.supi, { smPolicyId: id, dnn: context.dnn, mode, profileId, sessAmbr, fiveQi, exhaustedCounters })
      await replacing(`${context.supi} ${context.pduSessionId}`, () => keepNewest(context.supi, context.pduSessionId))
      return { status: 201, headers: { location }, body: withNegotiatedFeatures(outcome.decision, context.suppFeat) }
    })
    return {
      url: server.url,
      paths: ['/npcf-smpolicycontrol/v1/sm-policies'],
      method: 'POST',
      body: createBody('http://127.0.0.1:9'),
      async stop() {
        await server.close()
        f.close()
      },
    }
  },
}
