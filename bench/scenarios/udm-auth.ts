/**
 * Nudm_UEAU generate-auth-data (5G_AKA) as free5GC's/Open5GS's AUSF sends it, for many subscribers,
 * (body `{servingNetworkName, ausfInstanceId}`, SUPI in the path), through the whole path: UDM routing +
 * validation → SQN from the subscriber's reserved block, or, once per `udm.sqnBatch` (default 32)
 * vectors and on each subscriber's first request, a reservation: Nudr_DR GET authentication-subscription
 * over h2c (K/OPc opened from AES-256-GCM at rest; then cached in the UDM for
 * `udm.authSubscriptionCacheSeconds`) and the guarded SQN PATCH at the UDR (a committed SQLite write) → Milenage + KDFs → answer. UDM (createUdm as shipped) and UDR (createUdr) run in this
 * process, each on its own port, as `mvno start` runs them. With 1000 subscribers the measured run still
 * makes ~750 first reservations (h2load's clients restart the URI list, so the warm-up touches 250 SUPIs).
 *
 * The store's durability is the config default, as `mvno start` uses it (`sqlite.synchronous: NORMAL`:
 * WAL commits that survive kill -9); `MVNO_BENCH_SQLITE_SYNC=FULL` measures an fsync per commit.
 * `MVNO_BENCH_SUBSCRIBERS` (default 1000) sets how many SUPIs h2load cycles through.
 * The UDR's store is opened with group commit as openStore (`mvno start`) opens it: the writes of one
 * event-loop turn share one COMMIT, each still resolving only after it (same durability, fewer commits);
 * `MVNO_SQLITE_GROUP_COMMIT=0` measures one commit per write.
 * `MVNO_BENCH_SQN_BATCH` overrides udm.sqnBatch (1 = one UDR read + durable write per vector).
 * `MVNO_BENCH_SUCI=A|B` puts a Profile A or B SUCI of each subscriber in the path instead of its SUPI (what
 * an AUSF sends on a UE's initial registration): every request then also de-conceals it (an ECDH).
 * `MVNO_BENCH_CRYPTO_THREADS` overrides udm.cryptoThreads (0 = SUCI and vectors on the event loop).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUdm } from '../../nf/udm/index.ts'
import { createUdr } from '../../nf/udr/index.ts'
import { openSqliteStore } from '../../store/index.ts'
import { startTestNf } from '../../test/helpers/nf.ts'
import type { Scenario, ScenarioTarget } from '../scenario.ts'
import { eciesEncrypt, encodeBcdMsin, p256PublicOf, x25519PublicOf } from '../../nf/udm/domain/suci.ts'
import { defaultConfig } from '../../config/defaults.ts'

const SUBSCRIBERS = Number(process.env.MVNO_BENCH_SUBSCRIBERS ?? 1000)
const msinOf = (i: number) => String(1_000_000_000 + i).slice(1)
const supiOf = (i: number) => `imsi-99970${msinOf(i)}`
const SUCI = process.env.MVNO_BENCH_SUCI === 'A' || process.env.MVNO_BENCH_SUCI === 'B' ? process.env.MVNO_BENCH_SUCI : undefined

/** A Profile A/B SUCI of subscriber i under the default home-network keys (udm.suciKeys: id 1 = A, id 2 = B). */
function suciOf(i: number, profile: 'A' | 'B'): string {
  const key = defaultConfig().udm.suciKeys.find((k) => k.profile === profile)!
  const priv = Buffer.from(key.privateKey, 'hex')
  const pub = profile === 'A' ? x25519PublicOf(priv) : p256PublicOf(priv)
  const eph = Buffer.alloc(32, 0)
  eph.writeUInt32BE(i + 1, 28)
  return `suci-0-999-70-0000-${profile === 'A' ? 1 : 2}-${key.id}-${eciesEncrypt(profile, pub, eph, encodeBcdMsin(msinOf(i)))}`
}

export const scenario: Scenario = {
  name: 'udm-auth',
  description: `POST /nudm-ueau/v1/{${SUCI ? `Profile ${SUCI} SUCI` : 'supi'}}/security-information/generate-auth-data (5G_AKA) over ${SUBSCRIBERS} subscribers: SQN from a reserved block (one UDR read + guarded durable SQN write per block), Milenage/KDF`,
  async start(): Promise<ScenarioTarget> {
    // As `mvno start` opens the store (config default NORMAL); MVNO_BENCH_SQLITE_SYNC=FULL measures fsync per commit.
    const sync = process.env.MVNO_BENCH_SQLITE_SYNC === 'FULL' ? 'FULL' : 'NORMAL'
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'mvno-bench-udr-')), 'udr.db'), {
      synchronous: sync,
      groupCommit: process.env.MVNO_SQLITE_GROUP_COMMIT !== '0',
      checkpointInWorker: process.env.MVNO_SQLITE_CHECKPOINT_WORKER !== '0',
    })
    const udr = await startTestNf(createUdr, { name: 'udr', store, logLevel: 'warn' })
    const udmConfig: Record<string, number> = {}
    if (process.env.MVNO_BENCH_SQN_BATCH) udmConfig.sqnBatch = Number(process.env.MVNO_BENCH_SQN_BATCH)
    if (process.env.MVNO_BENCH_CRYPTO_THREADS) udmConfig.cryptoThreads = Number(process.env.MVNO_BENCH_CRYPTO_THREADS)
    const udm = await startTestNf(createUdm, { name: 'udm', peers: { udr: [udr.url] }, logLevel: 'warn', config: { udm: udmConfig as any } })
    const paths: string[] = []
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const supi = supiOf(i)
      const r = await udr.request('PUT', `/nudr-dr/v2/subscription-data/${supi}/authentication-data/authentication-subscription`, {
        authenticationMethod: '5G_AKA',
        encPermanentKey: '465b5ce8b199b49faa5f0a2ee238a6bc',
        encOpcKey: 'cd63cb71954a9f4e48a5994e37a02baf',
        authenticationManagementField: '8000',
        sequenceNumber: { sqnScheme: 'NON_TIME_BASED', sqn: '000000000020', indLength: 5 },
      })
      if (r.status >= 300) throw new Error(`provisioning ${supi}: ${r.status} ${r.text}`)
      paths.push(`/nudm-ueau/v1/${SUCI ? suciOf(i, SUCI) : supi}/security-information/generate-auth-data`)
    }
    return {
      url: udm.url,
      paths,
      method: 'POST',
      body: { servingNetworkName: '5G:mnc070.mcc999.3gppnetwork.org', ausfInstanceId: '5f7c1b0e-2a4b-4c8e-9d2f-0a1b2c3d4e5f' },
      async stop() {
        await udm.close()
        await udr.close()
        await store.close()
      },
    }
  },
}
