/**
 * Key derivations of 5G authentication.
 *
 * - Generic KDF of TS 33.220 Annex B.2: HMAC-SHA-256(Key, S), S = FC || P0 || L0 || P1 || L1 …,
 *   each Li the 2-byte big-endian length of Pi.
 * - TS 33.501 Annex A: KAUSF (A.2, FC 0x6A), RES* and XRES* (A.4, FC 0x6B), HXRES* (A.5),
 *   KSEAF (A.6, FC 0x6C), KAMF (A.7, FC 0x6D).
 * - EAP-AKA' CK'/IK' (TS 33.402 Annex A.2 / RFC 5448 §3.3, FC 0x20); in 5G the "access network
 *   identity" is the serving network name (TS 33.501 Annex F).
 * - Serving network name (TS 24.501 §9.12.1 / TS 33.501 §6.1.1.4): `5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org`
 *   with a 3-digit MNC, optionally followed by `:<NID>` for an SNPN.
 */
import { createHash, createHmac } from 'node:crypto'

export const FC_KAUSF = 0x6a
export const FC_RES_STAR = 0x6b
export const FC_KSEAF = 0x6c
export const FC_KAMF = 0x6d
export const FC_CK_IK_PRIME = 0x20

/** TS 33.220 B.2 generic KDF. Parameters given as strings are UTF-8 encoded. */
export function kdf(key: Buffer, fc: number, ...params: Array<Buffer | string>): Buffer {
  // S = FC || P0 || L0 || P1 || L1 …, built in one buffer.
  const bufs = params.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))
  let len = 1
  for (const b of bufs) len += b.length + 2
  const s = Buffer.allocUnsafe(len)
  s[0] = fc
  let at = 1
  for (const b of bufs) {
    at += b.copy(s, at)
    s.writeUInt16BE(b.length, at)
    at += 2
  }
  return createHmac('sha256', key).update(s).digest()
}

/** KAUSF (TS 33.501 A.2): Key = CK || IK, P0 = serving network name, P1 = SQN ⊕ AK. */
export function kausf(ck: Buffer, ik: Buffer, snn: string | Buffer, sqnXorAk: Buffer): Buffer {
  return kdf(Buffer.concat([ck, ik]), FC_KAUSF, snn, sqnXorAk)
}

/** XRES* and KAUSF of one 5G HE AV together (one CK || IK, one encoding of the serving network name). */
export function resStarAndKausf(ck: Buffer, ik: Buffer, snn: string, rand: Buffer, res: Buffer, sqnXorAk: Buffer): { xresStar: Buffer; kausf: Buffer } {
  const key = Buffer.concat([ck, ik])
  const sn = Buffer.from(snn, 'utf8')
  return { xresStar: kdf(key, FC_RES_STAR, sn, rand, res).subarray(16, 32), kausf: kdf(key, FC_KAUSF, sn, sqnXorAk) }
}

/** RES* / XRES* (TS 33.501 A.4): the 128 least significant bits of KDF(CK||IK, 0x6B, SNN, RAND, RES). */
export function resStar(ck: Buffer, ik: Buffer, snn: string, rand: Buffer, res: Buffer): Buffer {
  return kdf(Buffer.concat([ck, ik]), FC_RES_STAR, snn, rand, res).subarray(16, 32)
}

/** HXRES* / HRES* (TS 33.501 A.5): the 128 least significant bits of SHA-256(RAND || XRES*). */
export function hresStar(rand: Buffer, xresStar: Buffer): Buffer {
  return createHash('sha256').update(Buffer.concat([rand, xresStar])).digest().subarray(16, 32)
}

/** KSEAF (TS 33.501 A.6). */
export function kseaf(kausfKey: Buffer, snn: string): Buffer {
  return kdf(kausfKey, FC_KSEAF, snn)
}

/** KAMF (TS 33.501 A.7): P0 = SUPI (IMSI digits for an IMSI-based SUPI), P1 = ABBA. */
export function kamf(kseafKey: Buffer, supiValue: string, abba: Buffer): Buffer {
  return kdf(kseafKey, FC_KAMF, supiValue, abba)
}

/** CK' || IK' (TS 33.402 A.2, RFC 5448 §3.3): P0 = network name, P1 = SQN ⊕ AK. */
export function ckIkPrime(ck: Buffer, ik: Buffer, networkName: string, sqnXorAk: Buffer): { ckPrime: Buffer; ikPrime: Buffer } {
  const out = kdf(Buffer.concat([ck, ik]), FC_CK_IK_PRIME, networkName, sqnXorAk)
  return { ckPrime: out.subarray(0, 16), ikPrime: out.subarray(16, 32) }
}

export interface ServingNetwork {
  mcc: string
  /** Always three digits, as written in the name (a 2-digit MNC `93` appears as `093`). */
  mnc3: string
  /** SNPN network identifier, when present. */
  nid?: string
}

const SNN_RE = /^5G:mnc([0-9]{3})\.mcc([0-9]{3})\.3gppnetwork\.org(?::([0-9A-Fa-f]{11}))?$/

/** Parses a serving network name; undefined when it is not one. */
export function parseServingNetworkName(snn: string): ServingNetwork | undefined {
  const m = SNN_RE.exec(snn)
  if (!m) return undefined
  const sn: ServingNetwork = { mcc: m[2]!, mnc3: m[1]! }
  if (m[3]) sn.nid = m[3]
  return sn
}

/** Builds the serving network name of a PLMN (MNC padded to three digits). */
export function servingNetworkName(mcc: string, mnc: string): string {
  return `5G:mnc${mnc.padStart(3, '0')}.mcc${mcc}.3gppnetwork.org`
}
