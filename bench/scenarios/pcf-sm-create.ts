/**
 * Npcf_SMPolicyControl_Create as free5GC's SMF sends it, through the whole PCF: routing + validation,
 * a Nudr_DR policy-data read (a fake UDR in the same process answering a plan profile), the per-SUPI
 * subscription check, the decision, the association write (SQLite) and the domain event.
 * Phase `update`: POST /sm-policies/{id}/update on associations created beforehand (re-read + re-decide).
 *
 * Every create is two durable SQLite commits (association + event), `synchronous=FULL` as `mvno start`
 * runs it; `MVNO_BENCH_SQLITE_SYNC=NORMAL` measures the same with WAL commits that do not fsync.
 *
 * Deletes are not measured here: h2load restarts its URI list for every client (and the runner's
 * warm-up shares the list), so a one-shot resource such as POST {id}/delete would be hit twice.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPcf } from '../../nf/pcf/index.ts'
import { openSqliteStore } from '../../store/index.ts'
import { startFakePeer } from '../../test/helpers/h2.ts'
import { startTestNf } from '../../test/helpers/nf.ts'
import type { Scenario, ScenarioTarget } from '../scenario.ts'

const SUPI = 'imsi-999700000000001'
const PLAN = {
  profileId: 'bench',
  sessAmbr: { uplink: '50 Mbps', downlink: '100 Mbps' },
  fiveQi: 9,
  ratingGroup: 100,
}
const POLICY_DATA = {
  smPolicySnssaiData: {
    '01010203': { snssai: { sst: 1, sd: '010203' }, smPolicyDnnData: { internet: { dnn: 'internet', online: false, offline: true, mvnoPolicyProfile: PLAN } } },
  },
}

function createBody(smf: string) {
  return {
    supi: SUPI,
    pduSessionId: 1,
    notificationUri: `${smf}/nsmf-callback/sm-policies/urn:uuid:5b0b0f3e-1d1c-4bd8-9b1a-4f1b3e3c2a10`,
    dnn: 'internet',
    pduSessionType: 'IPV4',
    accessType: '3GPP_ACCESS',
    ratType: 'NR',
    ipv4Address: '10.60.0.1',
    subsSessAmbr: { uplink: '1000 Mbps', downlink: '1000 Mbps' },
    subsDefQos: { '5qi': 9, arp: { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' }, priorityLevel: 8 },
    sliceInfo: { sst: 1, sd: '010203' },
    servingNetwork: { mcc: '999', mnc: '70' },
    suppFeat: 'F',
  }
}

let running: { url: string; smf: string; request: (m: string, p: string, b?: unknown) => Promise<{ status: number; headers: Record<string, unknown> }> } | undefined

export const scenario: Scenario = {
  name: 'pcf-sm-create',
  description: 'POST /npcf-smpolicycontrol/v1/sm-policies (free5GC SMF body) through the PCF: validation, UDR policy-data read, decision, SQLite write, event',
  async start(): Promise<ScenarioTarget> {
    const udr = await startFakePeer((r) =>
      r.method === 'GET' && r.path.includes('/policy-data/ues/') ? { status: 200, body: POLICY_DATA } : { status: 201, body: {}, headers: { location: 'http://127.0.0.1:1/nudr-dr/v2/policy-data/subs-to-notify/1' } },
    )
    const sync = process.env.MVNO_BENCH_SQLITE_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL'
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'mvno-bench-pcf-')), 'pcf.db'), { synchronous: sync })
    const pcf = await startTestNf(createPcf, { name: 'pcf', store, peers: { udr: [udr.url] }, logLevel: 'warn' })
    running = { url: pcf.url, smf: 'http://127.0.0.1:9', request: (m, p, b) => pcf.request(m, p, b) }
    return {
      url: pcf.url,
      paths: ['/npcf-smpolicycontrol/v1/sm-policies'],
      method: 'POST',
      body: createBody(running.smf),
      async stop() {
        await pcf.close()
        await udr.close()
        await store.close()
      },
    }
  },
  phases: [
    {
      name: 'update',
      async target() {
        const paths: string[] = []
        for (let i = 0; i < 200; i++) {
          const r = await running!.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', { ...createBody(running!.smf), pduSessionId: (i % 15) + 1 })
          paths.push(`${new URL(String(r.headers.location)).pathname}/update`)
        }
        return { paths, method: 'POST' as const, body: { repPolicyCtrlReqTriggers: ['RES_MO_RE'] } }
      },
    },
  ],
}
