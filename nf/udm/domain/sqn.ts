/**
 * Sequence numbers for AKA (3GPP TS 33.102 §6.3.2, §6.3.5 and Annex C).
 *
 * SQN is 48 bits = SEQ || IND, IND the `indLength` (default 5) least significant bits (Annex C.1.1,
 * C.3.2). The HE/AuC keeps SQN_HE, the last SQN it put in an AUTN; for each new vector it takes
 * SEQ_HE + 1 and the next IND value in turn (C.3.2 "IND ... allocated cyclically"), so the numeric
 * SQN strictly increases (accepted by a USIM doing the Annex C array check and by a UE doing a
 * plain "greater than" check). Open5GS adds 32 (SEQ + 1, IND fixed at 0); free5GC adds 1.
 *
 * Re-synchronisation (§6.3.5): AUTS = (SQN_MS ⊕ AK*) || MAC-S, AK* = f5*(RAND),
 * MAC-S = f1*(K; SQN_MS || RAND || AMF*) with AMF* the dummy 0x0000. When MAC-S verifies, the
 * HE sets SQN_HE := SQN_MS and generates the next vectors from there.
 *
 * AMF separation bit (TS 33.102 Annex H, TS 33.501 §6.1.3.2 / Annex A): bit 0 (the MSB) of the
 * AMF in a 5G (and E-UTRAN) vector is 1.
 */
import { timingSafeEqual } from 'node:crypto'
import { f1, f2345 } from './milenage.ts'

export const SQN_BITS = 48
const SQN_MOD = 1n << 48n
export const DEFAULT_IND_LENGTH = 5

export function sqnToBigInt(sqn: Buffer | string): bigint {
  const hex = typeof sqn === 'string' ? sqn : sqn.toString('hex')
  if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new RangeError(`SQN must be up to 12 hex digits, got "${hex}"`)
  return BigInt('0x' + hex)
}

export function sqnToHex(v: bigint): string {
  return (((v % SQN_MOD) + SQN_MOD) % SQN_MOD).toString(16).padStart(12, '0')
}

export function sqnToBuffer(v: bigint | string): Buffer {
  return Buffer.from(typeof v === 'string' ? sqnToHex(sqnToBigInt(v)) : sqnToHex(v), 'hex')
}

export function splitSqn(sqn: bigint, indLength = DEFAULT_IND_LENGTH): { seq: bigint; ind: number } {
  const mask = (1n << BigInt(indLength)) - 1n
  return { seq: sqn >> BigInt(indLength), ind: Number(sqn & mask) }
}

export function joinSqn(seq: bigint, ind: number, indLength = DEFAULT_IND_LENGTH): bigint {
  return ((seq << BigInt(indLength)) | BigInt(ind)) % SQN_MOD
}

/**
 * The SQN for the next vector after SQN_HE (Annex C.3.2, non-time-based): SEQ + 1, IND the next
 * value modulo 2^indLength. Throws when SEQ would wrap (the subscriber then needs a new key
 * or a resync to a lower SQN; TS 33.102 C.3.4 leaves wrap-around handling to the operator).
 */
export function nextSqn(sqnHe: bigint, indLength = DEFAULT_IND_LENGTH): bigint {
  const { seq, ind } = splitSqn(sqnHe, indLength)
  const nextSeq = seq + 1n
  if (nextSeq >= 1n << BigInt(SQN_BITS - indLength)) throw new RangeError('SQN: SEQ exhausted')
  return joinSqn(nextSeq, (ind + 1) % (1 << indLength), indLength)
}

/**
 * A block of up to `steps` consecutive SQNs after SQN_HE (Annex C.1.2 / C.3: the HE may generate
 * vectors in batches): `first` = nextSqn(sqnHe), `high` the last one, reached after `count` steps.
 * Persisting `high` as SQN_HE before any SQN of the block is used makes every SQN of it unique; fewer
 * than `steps` when SEQ runs out. Throws like {@link nextSqn} when not even one step is left.
 */
export function sqnBlock(sqnHe: bigint, steps: number, indLength = DEFAULT_IND_LENGTH): { first: bigint; high: bigint; count: number } {
  const first = nextSqn(sqnHe, indLength)
  let high = first
  let count = 1
  for (; count < steps; count++) {
    try {
      high = nextSqn(high, indLength)
    } catch {
      break
    }
  }
  return { first, high, count }
}

/** Sets the AMF separation bit (MSB of the 16-bit AMF). */
export function withSeparationBit(amf: Buffer): Buffer {
  const out = Buffer.from(amf)
  out[0] = out[0]! | 0x80
  return out
}

export function hasSeparationBit(amf: Buffer): boolean {
  return (amf[0]! & 0x80) !== 0
}

export type ResyncResult = { ok: true; sqnMs: bigint } | { ok: false; reason: 'MAC_S_FAILURE' | 'BAD_AUTS' }

/**
 * Verifies an AUTS against RAND (TS 33.102 §6.3.5) and returns SQN_MS.
 * `auts` is 14 bytes: SQN_MS ⊕ AK* (6) || MAC-S (8).
 */
export function verifyAuts(k: Buffer, opc: Buffer, rand: Buffer, auts: Buffer): ResyncResult {
  if (auts.length !== 14 || rand.length !== 16) return { ok: false, reason: 'BAD_AUTS' }
  const { akStar } = f2345(k, opc, rand)
  const sqnMs = Buffer.alloc(6)
  for (let i = 0; i < 6; i++) sqnMs[i] = auts[i]! ^ akStar[i]!
  const { macS } = f1(k, opc, rand, sqnMs, Buffer.from([0, 0]))
  if (!timingSafeEqual(macS, auts.subarray(6, 14))) return { ok: false, reason: 'MAC_S_FAILURE' }
  return { ok: true, sqnMs: sqnToBigInt(sqnMs) }
}

/** Builds an AUTS (UE side; tests and UE simulators). */
export function buildAuts(k: Buffer, opc: Buffer, rand: Buffer, sqnMs: bigint): Buffer {
  const sqnBuf = sqnToBuffer(sqnMs)
  const { akStar } = f2345(k, opc, rand)
  const { macS } = f1(k, opc, rand, sqnBuf, Buffer.from([0, 0]))
  const conc = Buffer.alloc(6)
  for (let i = 0; i < 6; i++) conc[i] = sqnBuf[i]! ^ akStar[i]!
  return Buffer.concat([conc, macS])
}

/**
 * The USIM's freshness check of TS 33.102 Annex C.2.2 (array scheme): accept SQN when
 * SEQ > SEQ_MS(IND) and SEQ − SEQ_MS(highest) ≤ Δ. Returns the updated array, or undefined when
 * the SQN is rejected (the UE would then send AUTS). For UE simulators and tests.
 */
export function usimAcceptSqn(
  seqArray: bigint[],
  sqn: bigint,
  opts: { indLength?: number; delta?: bigint } = {},
): bigint[] | undefined {
  const indLength = opts.indLength ?? DEFAULT_IND_LENGTH
  const delta = opts.delta ?? 1n << 28n
  const arr = seqArray.length ? [...seqArray] : new Array<bigint>(1 << indLength).fill(0n)
  const { seq, ind } = splitSqn(sqn, indLength)
  const highest = arr.reduce((a, b) => (b > a ? b : a), 0n)
  if (seq <= arr[ind]!) return undefined
  if (seq - highest > delta) return undefined
  arr[ind] = seq
  return arr
}

/**
 * The SQN_HE to continue from after a verified AUTS (TS 33.102 §6.3.5 steps): when the next SQN
 * the HE would generate from SQN_HE is acceptable to a USIM holding SQN_MS (its SEQ is greater and
 * within Δ), SQN_HE is kept; otherwise SQN_HE is reset to SQN_MS.
 */
export function resyncBase(sqnHe: bigint, sqnMs: bigint, indLength = DEFAULT_IND_LENGTH, delta: bigint = 1n << 28n): bigint {
  const next = splitSqn(nextSqn(sqnHe, indLength), indLength).seq
  const ms = splitSqn(sqnMs, indLength).seq
  return next > ms && next - ms <= delta ? sqnHe : sqnMs
}
