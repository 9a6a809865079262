/**
 * Load generator for the crash test (test/chf/crash.test.ts): runs the CHF's charging service on a
 * SQLite file with 20 concurrent free5GC-like sessions doing update cycles, and journals every request
 * before sending it and every answer after, until it is killed with SIGKILL.
 * Usage: tsx test/chf/crash-child.ts <db file> <journal file> <supi>
 */
import { appendFileSync } from 'node:fs'
import { openSqliteStore } from '../../store/index.ts'
import { chfServices, f5Create, f5Update, MB } from './fixtures.ts'

const [dbFile, journal, supi] = process.argv.slice(2) as [string, string, string]
const store = await openSqliteStore(dbFile)
const { charging } = await chfServices(store)
const log = (o: unknown) => appendFileSync(journal, JSON.stringify(o) + '\n')
let seq = 0

async function session(i: number): Promise<void> {
  const { ref } = await charging.create(f5Create(supi, `urn:uuid:crash-${i}`) as any)
  log({ kind: 'created', ref })
  for (let round = 0; ; round++) {
    const mb = 1 + ((i + round) % 3)
    const body = f5Update(supi, [{ rg: 2, requested: MB, total: round === 0 ? undefined : mb * MB, ts: new Date(Date.now() + ++seq).toISOString() }])
    log({ kind: 'send', ref, body, mb: round === 0 ? 0 : mb })
    await charging.update(ref, body as any)
    log({ kind: 'done', ref })
  }
}
log({ kind: 'ready' })
await Promise.all(Array.from({ length: 20 }, (_, i) => session(i)))
