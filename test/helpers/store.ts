/**
 * Test stores: a fresh SQLite file in its own temp folder (removed on close), or, when
 * `MONGODB_URI` is set (CI starts FerretDB, see .ci/run), a uniquely named MongoDB database
 * that is dropped on close.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocumentStore } from '../../store/port.ts'
import type { MongoStore } from '../../store/mongo.ts'
import { openMongoStore, openSqliteStore } from '../../store/index.ts'

export type StoreKind = 'sqlite' | 'mongodb'

export function mongoAvailable(): boolean {
  return !!process.env.MONGODB_URI
}

/**
 * The FerretDB version when `store` is a MongoDB store served by FerretDB, else undefined.
 * FerretDB v1 runs an update as a query followed by a separate write, so concurrent guarded
 * updates are not atomic there: concurrency tests skip on it (saying so) and run on real MongoDB.
 */
export async function ferretDbVersion(store: DocumentStore): Promise<string | undefined> {
  if (store.kind !== 'mongodb') return undefined
  const info = await (store as MongoStore).db.admin().command({ buildInfo: 1 })
  return typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : undefined
}

/**
 * The hooks of a describe block whose tests each get a fresh store of `kind` (handed to `use`, closed after
 * the test). The block is skipped, saying why, when `kind` is mongodb and MONGODB_URI is not set, or when
 * `skipReason` (run once, before the first test) gives a reason.
 */
export function storePerTest(kind: StoreKind, use: (store: DocumentStore) => void, skipReason?: () => Promise<string | undefined>): void {
  let store: DocumentStore | undefined
  before(async function () {
    const why = kind === 'mongodb' && !mongoAvailable() ? 'MONGODB_URI is not set; .ci/run starts FerretDB and sets it' : await skipReason?.()
    if (why) {
      console.log(`      (skipped: ${why})`)
      this.skip()
    }
  })
  beforeEach(async () => {
    store = await openTestStore(kind)
    use(store)
  })
  afterEach(async () => store?.close())
}

/** A temp folder for a test's SQLite file (also used by the two-process conformance test). */
export function tempSqlitePath(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'open-mvno-test-'))
  return { dir, file: join(dir, 'open-mvno.db') }
}

export async function openTestStore(kind: StoreKind = 'sqlite'): Promise<DocumentStore> {
  if (kind === 'mongodb') {
    const uri = process.env.MONGODB_URI
    if (!uri) throw new Error('openTestStore("mongodb"): MONGODB_URI is not set')
    const store = await openMongoStore(uri, `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`)
    return withClose(store, async () => {
      await store.dropAll()
    })
  }
  const { dir, file } = tempSqlitePath()
  // NORMAL skips the per-commit fsync (only power loss could lose a commit): same atomicity, far
  // faster tests (~300 vs ~3000 writes/s on this disk). Production keeps FULL.
  const store = await openSqliteStore(file, { synchronous: 'NORMAL' })
  return withClose(store, async () => {}, () => rmSync(dir, { recursive: true, force: true }))
}

/** Wraps close() so the test's database goes away with it (and closing twice is harmless). */
function withClose(store: DocumentStore, before: () => Promise<void>, after: () => void = () => {}): DocumentStore {
  const close = store.close.bind(store)
  let closed = false
  return Object.assign(store, {
    async close() {
      if (closed) return
      closed = true
      try {
        await before()
      } finally {
        await close()
        after()
      }
    },
  })
}
