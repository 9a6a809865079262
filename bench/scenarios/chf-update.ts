/**
 * Nchf_ConvergedCharging update cycles as free5GC's SMF sends them (two rating groups, uPFID,
 * requestedUnit), on 200 open charging sessions of 200 accounts, through the whole CHF: routing +
 * validation, session and account reads, quota decision, ONE guarded account update with its op marker
 * (which also removes the session's previous marker), then the session compare-and-set: two writes per
 * request, each committed before the reply. The store is opened as `mvno start` opens it (openStore):
 * `config.sqlite.synchronous` (NORMAL by default: a WAL commit survives kill -9 of the process, not
 * power loss; `MVNO_BENCH_SQLITE_SYNC=FULL` fsyncs every commit) and group commit (the writes of one
 * event-loop turn share one COMMIT; `MVNO_SQLITE_GROUP_COMMIT=0` for one commit per write).
 *
 * h2load sends one fixed body, so the requests carry no usage report (a report with the same identity
 * would be recognised as a replay and answered from the stored answer, which is cheaper): each request
 * releases the session's reservations and reserves again.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createChf, type ChfModule } from '../../nf/chf/index.ts'
import type { PlanInput } from '../../nf/chf/accounts.ts'
import { defaultConfig } from '../../config/defaults.ts'
import { openStore } from '../../store/index.ts'
import { startTestNf } from '../../test/helpers/nf.ts'
import type { Scenario, ScenarioTarget } from '../scenario.ts'

const MB = 1_048_576
const UPF = '5f1a6e0e-7a3b-4b8e-9a51-0c2d3e4f5a6b'
const plan: PlanInput = { planId: 'bench', paymentType: 'PREPAID', finalUnitAction: 'TERMINATE', tariffs: [{ ratingGroup: 1, unit: 'VOLUME' as const, price: 1, unitSize: MB }, { ratingGroup: 2, unit: 'VOLUME' as const, price: 2, unitSize: MB }] }

const envelope = (supi: string) => ({
  subscriberIdentifier: supi,
  chargingId: 1,
  nfConsumerIdentification: { nodeFunctionality: 'SMF', nFName: '8b7e1a52-8f43-4c0e-9d2b-2b6f1b1f3c11', nFIPv4Address: '127.0.0.2' },
  invocationTimeStamp: '2026-11-29T09:00:00Z',
  invocationSequenceNumber: 0,
  notifyUri: 'http://127.0.0.1:9/nsmf-callback/notify_urn:uuid:bench',
  pDUSessionChargingInformation: { chargingId: 1, pduSessionInformation: { pduSessionID: 1, pduType: 'IPV4', dnnId: 'internet' } },
})
const req = (n: number) => ({ totalVolume: n, uplinkVolume: n, downlinkVolume: n })

/** The request every update sends (h2load repeats one body): two rating groups, each asking for 1 MB. */
export const updateBody = { ...envelope('imsi-999700000000000'), multipleUnitUsage: [{ ratingGroup: 1, uPFID: UPF, requestedUnit: req(MB) }, { ratingGroup: 2, uPFID: UPF, requestedUnit: req(MB) }] }

/** The CHF of the scenario with its 200 accounts and their open charging sessions; `paths` are their `…/update` paths. */
export async function seedChf() {
  const env = process.env.MVNO_BENCH_SQLITE_SYNC
  const sync = env === 'NORMAL' || env === 'FULL' ? env : defaultConfig().sqlite.synchronous
  const dir = mkdtempSync(join(tmpdir(), 'mvno-bench-chf-'))
  const store = await openStore({ mongodb: { uri: '', dbName: 'bench' }, dataDir: dir, sqlite: { synchronous: sync } })
  const nf = await startTestNf(createChf, { name: 'chf', store, logLevel: 'warn', config: { chf: { cdrDir: join(dir, 'cdr') } as any } })
  const chf = nf.module as ChfModule
  const paths: string[] = []
  for (let i = 0; i < 200; i++) {
    const supi = `imsi-99970${String(i).padStart(10, '0')}`
    await chf.accounts.create({ supi, plan, openingBalance: 1_000_000_000 })
    const r = await nf.request('POST', '/nchf-convergedcharging/v3/chargingdata', envelope(supi))
    paths.push(`${new URL(String(r.headers.location)).pathname}/update`)
  }
  return { nf, chf, store, paths }
}

export const scenario: Scenario = {
  name: 'chf-update',
  floor: 'floor-chf',
  description: 'POST /nchf-convergedcharging/v3/chargingdata/{ref}/update (free5GC SMF body, 2 rating groups) on 200 sessions: quota decision, guarded account update, session CAS (SQLite)',
  async start(): Promise<ScenarioTarget> {
    const { nf, store, paths } = await seedChf()
    return {
      url: nf.url,
      paths,
      method: 'POST',
      body: updateBody,
      async stop() {
        await nf.close()
        await store.close()
      },
    }
  },
}
