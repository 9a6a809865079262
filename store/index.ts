/**
 * Opening the document store (DESIGN.md §4): MongoDB when `mongodb.uri` is configured, otherwise
 * the embedded SQLite file `<dataDir>/open-mvno.db` (what `mvno start` uses on a fresh machine).
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { MvnoConfig } from '../config/schema.ts'
import type { DocumentStore } from './port.ts'
import { createMongoStore, type MongoStoreOptions } from './mongo.ts'
import { createSqliteStore, type SqliteStoreOptions } from './sqlite.ts'

export type { DocumentStore } from './port.ts'

export async function openSqliteStore(path: string, opts?: SqliteStoreOptions): Promise<DocumentStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  return createSqliteStore(path, opts)
}

export async function openMongoStore(uri: string, dbName: string, opts?: MongoStoreOptions): Promise<DocumentStore> {
  return createMongoStore(uri, dbName, opts)
}

export async function openStore(config: Pick<MvnoConfig, 'mongodb' | 'dataDir'> & Partial<Pick<MvnoConfig, 'sqlite'>>): Promise<DocumentStore> {
  const { uri, dbName } = config.mongodb
  if (uri) {
    // A write concern in the URI (`?w=1`) wins over our durable default (majority, journaled).
    const inUri = /[?&](w|journal|wtimeoutMS)=/i.test(uri)
    return openMongoStore(uri, dbName, inUri ? { writeConcern: null } : {})
  }
  // Group commit (store/sqlite.ts): the writes of one event-loop turn share one COMMIT and each resolves
  // after it, so the guarantees are those of one commit per write at a fraction of the cost.
  // MVNO_SQLITE_GROUP_COMMIT=0 turns it off.
  return openSqliteStore(join(config.dataDir, 'open-mvno.db'), {
    synchronous: config.sqlite?.synchronous ?? 'NORMAL',
    groupCommit: process.env.MVNO_SQLITE_GROUP_COMMIT !== '0',
    // WAL checkpoints (a copy and two fsyncs every 1000 pages) off the event loop; MVNO_SQLITE_CHECKPOINT_WORKER=0 keeps them inline.
    checkpointInWorker: process.env.MVNO_SQLITE_CHECKPOINT_WORKER !== '0',
  })
}

/** The database named in a MongoDB URI's path (`mongodb://host1,host2/open5gs?…` → `open5gs`), if any. */
export function databaseInUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]+)/.exec(uri)
  return m ? decodeURIComponent(m[1]!) : undefined
}
