/**
 * Npcf_SMPolicyControl_Create as free5GC's SMF sends it, through the whole PCF: routing + validation,
 * a Nudr_DR policy-data read (a fake UDR in the same process answering a plan profile), the per-SUPI
 * subscription check, the decision, the association write (SQLite) and the domain event.
 * Phase `update`: POST /sm-policies/{id}/update on associations created beforehand (re-read + re-decide).
 * Phase `delete`: POST /sm-policies/{id}/delete, each id exactly once: the phase creates as many
 * associations as the run has requests (not measured; after create/delete warm-up cycles), and the
 * runner sends the list once over one connection (`oneShot`), so every delete finds its association.
 * Together the create and delete rows are the create + delete cycle the issue asks about.
 *
 * h2load sends one body, so every measured create is for the same SUPI and PDU session ID, 128 at a time:
 * as a PCF must when an SMF re-creates a PDU session it lost, each create also removes the association
 * the previous one left (nf/pcf/sm-policies.ts keepNewest: a delete and its event). The measured create is
 * therefore a create + replace; the update and delete phases use distinct sessions (sessionBody).
 *
 * Every create writes two documents (association + event), with the store opened as `mvno start` opens
 * it: the configured durability (`config.sqlite.synchronous`, NORMAL by default: WAL commits survive
 * kill -9 without an fsync each; `MVNO_BENCH_SQLITE_SYNC=FULL|NORMAL` overrides it) and group commit
 * (concurrent requests share a COMMIT, each answered after it; `MVNO_SQLITE_GROUP_COMMIT=0` turns it off).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultConfig } from '../../config/defaults.ts'
import { createPcf } from '../../nf/pcf/index.ts'
import { openStore } from '../../store/index.ts'
import { startFakePeer } from '../../test/helpers/h2.ts'
import { startTestNf } from '../../test/helpers/nf.ts'
import type { Scenario, ScenarioTarget } from '../scenario.ts'
import { f5SmCreate as createBody } from '../../test/pcf/fixtures.ts'

const PLAN = {
  profileId: 'bench',
  sessAmbr: { uplink: '50 Mbps', downlink: '100 Mbps' },
  fiveQi: 9,
  ratingGroup: 100,
}
export const POLICY_DATA = {
  smPolicySnssaiData: {
    '01010203': { snssai: { sst: 1, sd: '010203' }, smPolicyDnnData: { internet: { dnn: 'internet', online: false, offline: true, mvnoPolicyProfile: PLAN } } },
  },
}


/**
 * The i-th of the distinct PDU sessions the update and delete phases set up: 15 per subscriber (PDU session
 * IDs 1–15), so that no create replaces an earlier one (one association per SUPI and PDU session ID).
 */
function sessionBody(i: number) {
  return { ...createBody(running!.smf), supi: `imsi-99970${String(1_000_000_000 + Math.floor(i / 15)).slice(1)}`, pduSessionId: (i % 15) + 1 }
}

type Post = (p: string, b: unknown) => Promise<{ status: number; headers: Record<string, unknown> }>
let running: { url: string; smf: string; request: (m: string, p: string, b?: unknown) => Promise<{ status: number; headers: Record<string, unknown> }>; post: Post } | undefined

/** `n` creates through the PCF's own pooled client, `width` at a time; their paths. */
async function createMany(post: Post, n: number, width = 32): Promise<string[]> {
  const paths: string[] = new Array(n)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await post('/npcf-smpolicycontrol/v1/sm-policies', sessionBody(i))
        if (r.status !== 201) throw new Error(`create answered ${r.status}`)
        paths[i] = new URL(String(r.headers.location)).pathname
      }
    }),
  )
  return paths
}

export const scenario: Scenario = {
  name: 'pcf-sm-create',
  floor: 'floor-pcf',
  description: 'POST /npcf-smpolicycontrol/v1/sm-policies (free5GC SMF body, one PDU session re-created: each create replaces the previous association) through the PCF: validation, UDR policy-data read, decision, SQLite write, event, and the replaced association deleted with its event',
  async start(): Promise<ScenarioTarget> {
    const udr = await startFakePeer((r) =>
      r.method === 'GET' && r.path.includes('/policy-data/ues/') ? { status: 200, body: POLICY_DATA } : { status: 201, body: {}, headers: { location: 'http://127.0.0.1:1/nudr-dr/v2/policy-data/subs-to-notify/1' } },
    )
    const env = process.env.MVNO_BENCH_SQLITE_SYNC
    const sync = env === 'NORMAL' || env === 'FULL' ? env : defaultConfig().sqlite.synchronous
    // The store as `mvno start` opens it (openStore: group commit unless MVNO_SQLITE_GROUP_COMMIT=0).
    const store = await openStore({ mongodb: { uri: '', dbName: 'bench' }, dataDir: mkdtempSync(join(tmpdir(), 'mvno-bench-pcf-')), sqlite: { synchronous: sync } })
    const pcf = await startTestNf(createPcf, { name: 'pcf', store, peers: { udr: [udr.url] }, logLevel: 'warn' })
    running = {
      url: pcf.url,
      smf: 'http://127.0.0.1:9',
      request: (m, p, b) => pcf.request(m, p, b),
      post: async (p, b) => {
        const r = await pcf.ctx.client.request({ method: 'POST', uri: pcf.url + p, body: b })
        return { status: r.status, headers: r.headers as Record<string, unknown> }
      },
    }
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
          const r = await running!.request('POST', '/npcf-smpolicycontrol/v1/sm-policies', sessionBody(i))
          paths.push(`${new URL(String(r.headers.location)).pathname}/update`)
        }
        return { paths, method: 'POST' as const, body: { repPolicyCtrlReqTriggers: ['RES_MO_RE'] } }
      },
    },
    {
      name: 'delete',
      async target() {
        const post = running!.post
        // Warm-up (JIT) of both handlers, not counted: create + delete cycles.
        for (const p of await createMany(post, 2000)) await post(`${p}/delete`, {})
        const n = Number(process.env.MVNO_BENCH_REQUESTS) || 5000
        const paths = (await createMany(post, n)).map((p) => `${p}/delete`)
        return { paths, method: 'POST' as const, body: {}, requests: paths.length, oneShot: true }
      },
    },
  ],
}
