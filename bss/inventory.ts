/** Inventory: MSISDN pool by ranges with quarantine, SIM/eSIM import (K/OPc encrypted), allocation. */
import { randomBytes } from 'node:crypto'
import { DuplicateKeyError } from '../store/port.ts'
import { encryptSecret } from './crypto.ts'
import { badRequest, conflict, notFound } from './errors.ts'
import type { BssStore, MsisdnDoc, MsisdnRange, SimDoc } from './store.ts'

const DAY = 86_400_000

export class Inventory {
  constructor(
    private s: BssStore,
    private kek: string,
    private clock: () => Date,
  ) {}

  async createRange(input: { id?: string; from: string; to: string; quarantineDays?: number }): Promise<MsisdnRange> {
    if (input.from.length !== input.to.length) throw badRequest('to', 'from and to must have the same number of digits')
    const size = BigInt(input.to) - BigInt(input.from) + 1n
    if (size <= 0n) throw badRequest('to', 'to must not be below from')
    if (size > 100_000_000n) throw badRequest('to', 'a range may hold at most 100,000,000 numbers')
    for (const r of await this.s.ranges.find({})) {
      if (r.from.length === input.from.length && BigInt(r.from) <= BigInt(input.to) && BigInt(input.from) <= BigInt(r.to)) {
        throw conflict(`range overlaps range ${r.id} (${r.from}-${r.to})`, 'RANGE_OVERLAP', 'from')
      }
    }
    const id = input.id ?? `${input.from}-${input.to}`
    const doc: MsisdnRange = {
      _id: id,
      id,
      from: input.from,
      to: input.to,
      size: Number(size),
      nextIndex: 0,
      next: input.from,
      quarantineDays: input.quarantineDays ?? 90,
      createdAt: this.clock().toISOString(),
    }
    try {
      await this.s.ranges.insertOne(doc)
    } catch (e) {
      if (e instanceof DuplicateKeyError) throw conflict(`range ${id} exists`, 'DUPLICATE', 'id')
      throw e
    }
    return doc
  }

  private fmt(r: MsisdnRange, idx: number): string {
    return (BigInt(r.from) + BigInt(idx)).toString().padStart(r.from.length, '0')
  }

  /** Reserves a number for an order: the asked one, else a recycled one past quarantine, else the next fresh one. */
  async reserveMsisdn(orderId: string, wanted?: string): Promise<string> {
    const now = this.clock().toISOString()
    if (wanted) {
      const hit = await this.s.msisdns.findOneAndUpdate(
        { _id: wanted, status: { $in: ['available'] } },
        { $set: { status: 'reserved', orderId, updatedAt: now } },
      )
      if (hit) return wanted
      const q = await this.s.msisdns.findOneAndUpdate(
        { _id: wanted, status: 'quarantined', quarantineUntil: { $lte: now } },
        { $set: { status: 'reserved', orderId, updatedAt: now }, $unset: { quarantineUntil: '' } },
      )
      if (q) return wanted
      if (await this.s.msisdns.findOne({ _id: wanted })) throw conflict(`MSISDN ${wanted} is not available`, 'MSISDN_NOT_AVAILABLE', 'msisdn')
      const range = (await this.s.ranges.find({})).find(
        (r) => r.from.length === wanted.length && BigInt(r.from) <= BigInt(wanted) && BigInt(wanted) <= BigInt(r.to),
      )
      if (!range) throw notFound('MSISDN', wanted)
      try {
        await this.s.msisdns.insertOne({ _id: wanted, msisdn: wanted, rangeId: range.id, status: 'reserved', orderId, updatedAt: now })
      } catch (e) {
        if (e instanceof DuplicateKeyError) throw conflict(`MSISDN ${wanted} is not available`, 'MSISDN_NOT_AVAILABLE', 'msisdn')
        throw e
      }
      return wanted
    }
    const recycled =
      (await this.s.msisdns.findOneAndUpdate({ status: 'available' }, { $set: { status: 'reserved', orderId, updatedAt: now } })) ??
      (await this.s.msisdns.findOneAndUpdate(
        { status: 'quarantined', quarantineUntil: { $lte: now } },
        { $set: { status: 'reserved', orderId, updatedAt: now }, $unset: { quarantineUntil: '' } },
      ))
    if (recycled) return recycled.msisdn
    for (const r0 of await this.s.ranges.find({}, { sort: { _id: 1 } })) {
      for (;;) {
        const r = await this.s.ranges.findOneAndUpdate(
          { _id: r0._id, nextIndex: { $lt: r0.size as number } },
          { $inc: { nextIndex: 1 } },
          { returnDocument: 'before' },
        )
        if (!r) break
        const msisdn = this.fmt(r, r.nextIndex as number)
        try {
          await this.s.msisdns.insertOne({ _id: msisdn, msisdn, rangeId: r.id, status: 'reserved', orderId, updatedAt: now })
          return msisdn
        } catch (e) {
          if (!(e instanceof DuplicateKeyError)) throw e // taken by an explicit request: try the next
        }
      }
    }
    throw conflict('the MSISDN pool is exhausted', 'MSISDN_POOL_EXHAUSTED', 'msisdn')
  }

  async allocateMsisdn(msisdn: string, productId: string): Promise<void> {
    await this.s.msisdns.updateOne({ _id: msisdn }, { $set: { status: 'allocated', productId, updatedAt: this.clock().toISOString() } })
  }

  /** Compensation: a reserved number that was never in service goes straight back. */
  async unreserveMsisdn(msisdn: string, orderId: string): Promise<void> {
    await this.s.msisdns.updateOne({ _id: msisdn, orderId, status: 'reserved' }, { $set: { status: 'available', updatedAt: this.clock().toISOString() }, $unset: { orderId: '' } })
  }

  /** Terminate: the number rests in quarantine before reuse. */
  async quarantineMsisdn(msisdn: string): Promise<void> {
    const doc = await this.s.msisdns.findOne({ _id: msisdn })
    if (!doc) return
    const range = await this.s.ranges.findOne({ _id: doc.rangeId })
    const days = (range?.quarantineDays as number | undefined) ?? 90
    const now = this.clock()
    await this.s.msisdns.updateOne(
      { _id: msisdn },
      { $set: { status: 'quarantined', quarantineUntil: new Date(now.getTime() + days * DAY).toISOString(), updatedAt: now.toISOString() }, $unset: { productId: '', orderId: '' } },
    )
  }

  async msisdnView(msisdn: string): Promise<Record<string, unknown>> {
    const d = await this.s.msisdns.findOne({ _id: msisdn })
    if (d) return { id: d.msisdn, '@type': 'Msisdn', ...pick(d, ['msisdn', 'rangeId', 'status', 'productId', 'quarantineUntil']) }
    const range = (await this.s.ranges.find({})).find((r) => r.from.length === msisdn.length && /^\d+$/.test(msisdn) && BigInt(r.from) <= BigInt(msisdn) && BigInt(msisdn) <= BigInt(r.to))
    if (!range) throw notFound('MSISDN', msisdn)
    return { id: msisdn, '@type': 'Msisdn', msisdn, rangeId: range.id, status: 'available' }
  }

  /** Imports SIM/eSIM rows. Per-row errors; never echoes K/OPc. */
  async importSims(
    rows: { iccid?: string; imsi?: string; k?: string; opc?: string }[],
    opts: { type: 'physical' | 'esim'; smdp?: string; batch?: string; rowOffset?: number },
  ): Promise<{ imported: number; rejected: number; errors: { row: number; field?: string; message: string }[] }> {
    const errors: { row: number; field?: string; message: string }[] = []
    let imported = 0
    const now = this.clock().toISOString()
    for (let i = 0; i < rows.length; i++) {
      const row = (opts.rowOffset ?? 1) + i
      const r = rows[i]!
      const iccid = (r.iccid ?? '').trim().replace(/[fF]$/, '')
      const imsi = (r.imsi ?? '').trim()
      const k = (r.k ?? '').trim()
      const opc = (r.opc ?? '').trim()
      const bad = !/^\d{18,20}$/.test(iccid)
        ? ['iccid', 'ICCID must be 18-20 digits']
        : !/^\d{14,15}$/.test(imsi)
          ? ['imsi', 'IMSI must be 14-15 digits']
          : !/^[0-9a-fA-F]{32}$/.test(k)
            ? ['k', 'KI must be 32 hex characters']
            : !/^[0-9a-fA-F]{32}$/.test(opc)
              ? ['opc', 'OPC must be 32 hex characters']
              : undefined
      if (bad) {
        errors.push({ row, field: bad[0], message: bad[1]! })
        continue
      }
      const doc: SimDoc = {
        _id: iccid,
        iccid,
        imsi,
        kEnc: encryptSecret(this.kek, k, `${imsi}:k`),
        opcEnc: encryptSecret(this.kek, opc, `${imsi}:opc`),
        type: opts.type,
        status: 'available',
        ...(opts.batch ? { batch: opts.batch } : {}),
        importedAt: now,
        updatedAt: now,
      }
      if (opts.type === 'esim') {
        const smdp = opts.smdp ?? 'smdp.example.com'
        const matchingId = randomBytes(10).toString('hex').toUpperCase().replace(/(.{4})(?!$)/g, '$1-')
        doc.smdp = smdp
        doc.matchingId = matchingId
        doc.activationCode = `LPA:1$${smdp}$${matchingId}`
      }
      try {
        await this.s.sims.insertOne(doc)
        imported++
      } catch (e) {
        if (e instanceof DuplicateKeyError) {
          const dupIccid = !!(await this.s.sims.findOne({ _id: iccid }))
          errors.push({ row, field: dupIccid ? 'iccid' : 'imsi', message: dupIccid ? `duplicate ICCID ${iccid}` : `duplicate IMSI ${imsi}` })
        }
        else throw e
      }
    }
    return { imported, rejected: errors.length, errors }
  }

  async reserveSim(orderId: string, opts: { iccid?: string; type?: 'physical' | 'esim' }): Promise<SimDoc> {
    const now = this.clock().toISOString()
    if (opts.iccid) {
      const s = await this.s.sims.findOneAndUpdate({ _id: opts.iccid, status: 'available' }, { $set: { status: 'reserved', orderId, updatedAt: now } })
      if (s) return s
      if (!(await this.s.sims.findOne({ _id: opts.iccid }))) throw notFound('SIM', opts.iccid)
      throw conflict(`SIM ${opts.iccid} is not available`, 'SIM_NOT_AVAILABLE', 'iccid')
    }
    const s = await this.s.sims.findOneAndUpdate({ status: 'available', type: opts.type ?? 'physical' }, { $set: { status: 'reserved', orderId, updatedAt: now } })
    if (!s) throw conflict(`no ${opts.type ?? 'physical'} SIM available`, 'SIM_POOL_EXHAUSTED', 'simType')
    return s
  }

  async unreserveSim(iccid: string, orderId: string): Promise<void> {
    await this.s.sims.updateOne({ _id: iccid, orderId, status: 'reserved' }, { $set: { status: 'available', updatedAt: this.clock().toISOString() }, $unset: { orderId: '' } })
  }

  async blockSim(iccid: string, reason: string): Promise<void> {
    await this.s.sims.updateOne({ _id: iccid }, { $set: { status: 'blocked', blockReason: reason, updatedAt: this.clock().toISOString() } })
  }

  async allocateSim(iccid: string, productId: string): Promise<void> {
    await this.s.sims.updateOne({ _id: iccid }, { $set: { status: 'allocated', productId, updatedAt: this.clock().toISOString() } })
  }

  async retireSim(iccid: string): Promise<void> {
    await this.s.sims.updateOne({ _id: iccid }, { $set: { status: 'retired', updatedAt: this.clock().toISOString() }, $unset: { productId: '' } })
  }
}

export function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]))
}

/** Public view of a SIM: never K or OPc. */
export function simView(d: SimDoc, href: string): Record<string, unknown> {
  return {
    id: d.iccid,
    href,
    '@type': d.type === 'esim' ? 'EsimProfile' : 'Sim',
    ...pick(d, ['iccid', 'imsi', 'type', 'status', 'batch', 'smdp', 'matchingId', 'activationCode', 'productId', 'blockReason', 'importedAt']),
  }
}

/** Parses a SIM vendor file: a header naming ICCID, IMSI, KI/K, OPC (any order); ',' ';' or tab separated. */
export function parseSimCsv(text: string): { rows: { iccid?: string; imsi?: string; k?: string; opc?: string }[]; firstRow: number } {
  const lines = text.split(/\r?\n/)
  let header: string[] | undefined
  let sep = ','
  const rows: { iccid?: string; imsi?: string; k?: string; opc?: string }[] = []
  let firstRow = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line || line.startsWith('#')) continue
    if (!header) {
      sep = line.includes(';') ? ';' : line.includes('\t') ? '\t' : ','
      header = line.split(sep).map((h) => h.trim().toLowerCase().replace(/^"|"$/g, ''))
      for (const need of ['iccid', 'imsi']) if (!header.includes(need)) throw badRequest('(file)', `the header must name an ${need.toUpperCase()} column`)
      if (!header.includes('ki') && !header.includes('k')) throw badRequest('(file)', 'the header must name a KI column')
      if (!header.includes('opc')) throw badRequest('(file)', 'the header must name an OPC column')
      firstRow = i + 2
      continue
    }
    const cells = line.split(sep).map((c) => c.trim().replace(/^"|"$/g, ''))
    const get = (n: string) => {
      const idx = header!.indexOf(n)
      return idx >= 0 ? cells[idx] : undefined
    }
    rows.push({ iccid: get('iccid'), imsi: get('imsi'), k: get('ki') ?? get('k'), opc: get('opc') })
  }
  if (!header) throw badRequest('(file)', 'empty SIM file')
  return { rows, firstRow }
}
