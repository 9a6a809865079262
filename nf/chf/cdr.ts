/**
 * CHF-CDR files (TS 32.298 chargingFunctionRecord content, TS 32.297 file naming), written as JSON lines
 * (one record per line; ASN.1 BER can come later).
 *
 * Durability: a record is first stored in its session document (`cdrPending`, written with the op that
 * cut it), then appended to the open file and fsync'ed, and only then removed from the session. Its
 * listOfMultipleUnitUsage is gathered when it is written: each usage report's container is stored with
 * its rated-usage row, tagged with the record's sequence number (so the session document does not grow
 * with the usage; the rows are inserted before the record can be flushed, also after a crash, as
 * reconcile() runs before start()). A
 * crash in between leaves the record pending; start() flushes every pending record. Duplicates are
 * suppressed by record id: ids already in the newest file (the only one that can hold a record written
 * just before a crash) are loaded at start.
 *
 * File names follow TS 32.297 §6.1.1.3: `<nodeId>_-_<RC>.<YYYYMMDD>_-_<hhmm>+0000` where RC is the
 * running count of files; a file is closed after `rotateBytes` or `rotateMs`.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { CdrContainer, ChfStore, CdrRecord } from './store.ts'
import { groupContainers } from './domain/session.ts'

export interface CdrWriterOptions {
  dir: string
  nodeId: string
  store: ChfStore
  clock: () => Date
  log: Logger
  rotateBytes?: number
  rotateMs?: number
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

export function cdrFileName(nodeId: string, rc: number, at: Date): string {
  const d = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`
  return `${nodeId}_-_${pad(rc, 4)}.${d}_-_${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}+0000`
}

export class CdrWriter {
  private fd: number | undefined
  private file = ''
  private size = 0
  private openedAt = 0
  private rc = 0
  private readonly seen = new Set<string>()
  private chain: Promise<unknown> = Promise.resolve()

  constructor(private readonly o: CdrWriterOptions) {}

  /** Scans the folder for the running count and the ids of the newest file, then flushes pending records. */
  async start(): Promise<number> {
    mkdirSync(this.o.dir, { recursive: true })
    const prefix = `${this.o.nodeId}_-_`
    const files = readdirSync(this.o.dir).filter((f) => f.startsWith(prefix))
    let newest: string | undefined
    for (const f of files) {
      const rc = Number(/_-_(\d+)\./.exec(f)?.[1] ?? 0)
      if (rc >= this.rc) {
        this.rc = rc
        newest = f
      }
    }
    if (newest) {
      for (const line of readFileSync(join(this.o.dir, newest), 'utf8').split('\n')) {
        if (!line) continue
        try {
          this.seen.add(String(JSON.parse(line).recordId))
        } catch {
          /* a torn last line from a crash: its record is still pending and is written again */
        }
      }
    }
    let n = 0
    for (const s of await this.o.store.sessions.find({ hasPendingCdr: true })) n += await this.flush(s._id)
    return n
  }

  /** Writes the session's pending records (serialised with other flushes); returns how many lines were written. */
  flush(ref: string): Promise<number> {
    const run = this.chain.then(() => this.flushNow(ref))
    this.chain = run.catch(() => undefined)
    return run
  }

  private async flushNow(ref: string): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const s = await this.o.store.getSession(ref)
      if (!s || !s.hasPendingCdr) return 0
      const fresh = (s.cdrPending ?? []).filter((r: CdrRecord) => !this.seen.has(r.recordId))
      if (fresh.length) this.append(await Promise.all(fresh.map((r) => this.withContainers(r))))
      // the version guard keeps an op that is writing the session right now from being overwritten;
      // if one wins, its copy still lists these records and the next flush skips them as seen
      const r = await this.o.store.sessions.updateOne({ _id: ref, version: s.version }, { $set: { cdrPending: [], hasPendingCdr: false } })
      if (r.matched === 1) return fresh.length
    }
    return 0
  }

  private async withContainers(r: CdrRecord): Promise<CdrRecord> {
    const rows = await this.o.store.cdrContainers(String(r.chargingSessionIdentifier), Number(r.recordSequenceNumber))
    if (r.listOfMultipleUnitUsage === undefined) return { ...r, listOfMultipleUnitUsage: groupContainers(rows) }
    if (rows.length === 0) return r
    // A record of a session written before the containers moved to the rated rows: its own containers first.
    const own = (r.listOfMultipleUnitUsage as Array<{ usedUnitContainers?: CdrContainer[] }>).flatMap((u) => u.usedUnitContainers ?? [])
    return { ...r, listOfMultipleUnitUsage: groupContainers([...own, ...rows]) }
  }

  private append(records: CdrRecord[]): void {
    const now = this.o.clock()
    if (this.fd === undefined || this.size >= (this.o.rotateBytes ?? 10 * 1024 * 1024) || now.getTime() - this.openedAt >= (this.o.rotateMs ?? 3600_000)) this.rotate(now)
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n'
    const buf = Buffer.from(text)
    writeSync(this.fd!, buf)
    fsyncSync(this.fd!)
    this.size += buf.length
    for (const r of records) this.seen.add(r.recordId)
  }

  private rotate(now: Date): void {
    if (this.fd !== undefined) {
      closeSync(this.fd)
      if (this.seen.size > 200_000) this.seen.clear()
    }
    this.rc++
    this.file = join(this.o.dir, cdrFileName(this.o.nodeId, this.rc, now))
    this.fd = openSync(this.file, 'a')
    this.size = 0
    this.openedAt = now.getTime()
    this.o.log.info({ file: this.file }, 'CDR file opened')
  }

  get currentFile(): string {
    return this.file
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}
