/**
 * What the floor scenarios (bench/scenarios/floor-*.ts) are built from: a bare node:http2 stream server,
 * like bench/baseline.ts, and better-sqlite3 opened as `mvno start` opens its store (WAL, 8 KiB pages,
 * `config.sqlite.synchronous`), with tables in the SQLite adapter's shape and the adapter's group commit
 * (the writes of one event-loop turn share one COMMIT; each is answered after it).
 *
 * A floor scenario does the durable work of an NF scenario (the same rows, of the same size, with
 * the same indexes and commits) and the same JSON in and out, and nothing else: no routing,
 * validation, metrics, idempotency or domain rules. Its ratio to the baseline is what that work alone
 * costs on this machine and runtime, which is the most an implementation of the NF could reach.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { defaultConfig } from '../config/defaults.ts'

export interface FloorDb {
  db: Database.Database
  /** Runs `f` inside the current group-commit transaction; resolves with its value after the COMMIT. */
  write<T>(f: () => T): Promise<T>
  /** A table as the adapter makes it: `_id` primary key, the document as JSON text, index columns. */
  table(name: string, indexed?: string[]): void
  close(): void
}

export function openFloorDb(prefix: string): FloorDb {
  const db = new Database(join(mkdtempSync(join(tmpdir(), prefix)), 'floor.db'))
  db.pragma('page_size = 8192')
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${defaultConfig().sqlite.synchronous}`)
  const begin = db.prepare('BEGIN')
  const commit = db.prepare('COMMIT')
  let waiting: Array<() => void> | undefined
  return {
    db,
    write<T>(f: () => T): Promise<T> {
      if (!waiting) {
        begin.run()
        const w: Array<() => void> = (waiting = [])
        setImmediate(() => {
          commit.run()
          waiting = undefined
          for (const done of w) done()
        })
      }
      const value = f()
      const w = waiting
      return new Promise((resolve) => w.push(() => resolve(value)))
    },
    table(name, indexed = []) {
      db.exec(`CREATE TABLE "${name}" (_id TEXT PRIMARY KEY, doc TEXT NOT NULL${indexed.map((c) => `, "@${c}"`).join('')})`)
      for (const c of indexed) db.exec(`CREATE INDEX "${name}.${c}" ON "${name}" ("@${c}")`)
    },
    close: () => db.close(),
  }
}

export type FloorHandler = (body: unknown, headers: IncomingHttpHeaders) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>

/** A bare h2c server: reads the body, parses it, runs `handle`, answers its JSON (ended in the write's callback, as nf/sbi does). */
export async function serveFloor(handle: FloorHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http2.createServer()
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => {})
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      handle(JSON.parse(Buffer.concat(chunks).toString('utf8')), headers).then(
        (r) => {
          stream.respond({ ':status': r.status, 'content-type': 'application/json', ...r.headers })
          stream.write(JSON.stringify(r.body), () => stream.end())
        },
        () => stream.respond({ ':status': 500 }, { endStream: true }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
