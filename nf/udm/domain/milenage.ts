/**
 * MILENAGE (3GPP TS 35.206 §4): the example algorithm set f1, f1*, f2, f3, f4, f5, f5* built on
 * AES-128 (Rijndael) with the default constants r1..r5 = 64, 0, 32, 64, 96 bits and
 * c1..c5 = 0, 1, 2, 4, 8 (last byte). Pure functions over Buffers; no I/O, no logging.
 *
 * Inputs are K (16 bytes), OPc (16 bytes; use {@link opcFromOp} when only OP is provisioned),
 * RAND (16), SQN (6), AMF (2).
 */
import { createCipheriv, type Cipher } from 'node:crypto'

/**
 * ECB ciphers kept per K Buffer object (weakly: gone with the Buffer), so a UDM that holds a subscriber's
 * K in its credentials cache does the key schedule once. ECB without padding has no state between
 * update() calls, so one cipher serves any number of blocks. Only Buffers the caller never mutates
 * afterwards should be passed as K (ours come from the authentication subscription, read-only).
 */
const ciphers = new WeakMap<Buffer, { key: string; c: Cipher }>()

function aes(k: Buffer): Cipher {
  if (k.length !== 16) throw new RangeError('Milenage: K must be 16 bytes')
  const key = k.toString('latin1')
  const hit = ciphers.get(k)
  if (hit && hit.key === key) return hit.c
  const c = createCipheriv('aes-128-ecb', k, null)
  c.setAutoPadding(false)
  ciphers.set(k, { key, c })
  return c
}

/** One AES-128 block with an ECB cipher we keep open (update() of 16 bytes yields 16 bytes). */
function enc(c: Cipher, block: Buffer): Buffer {
  return c.update(block)
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Cyclic left rotation of a 128-bit value by a whole number of bytes (r is 0, 32, 64 or 96 bits). */
function rot(x: Buffer, rBits: number): Buffer {
  const r = rBits / 8
  return Buffer.concat([x.subarray(r), x.subarray(0, r)])
}

function withConst(x: Buffer, c: number): Buffer {
  const out = Buffer.from(x)
  out[15] = out[15]! ^ c
  return out
}

function check(name: string, b: Buffer, len: number): void {
  if (b.length !== len) throw new RangeError(`Milenage: ${name} must be ${len} bytes`)
}

/** OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1). */
export function opcFromOp(k: Buffer, op: Buffer): Buffer {
  check('OP', op, 16)
  return xor(enc(aes(k), op), op)
}

export interface F1Result {
  /** f1: network authentication code MAC-A (8 bytes). */
  macA: Buffer
  /** f1*: re-synchronisation authentication code MAC-S (8 bytes). */
  macS: Buffer
}

/** f1 and f1* (TS 35.206 §4.1, OUT1). */
export function f1(k: Buffer, opc: Buffer, rand: Buffer, sqn: Buffer, amf: Buffer): F1Result {
  check('OPc', opc, 16)
  check('RAND', rand, 16)
  check('SQN', sqn, 6)
  check('AMF', amf, 2)
  const c = aes(k)
  const temp = enc(c, xor(rand, opc))
  const in1 = Buffer.concat([sqn, amf, sqn, amf])
  // OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc, r1 = 64, c1 = 0
  const out1 = xor(enc(c, xor(temp, rot(xor(in1, opc), 64))), opc)
  return { macA: out1.subarray(0, 8), macS: out1.subarray(8, 16) }
}

export interface F2345Result {
  /** f2: RES / XRES (8 bytes). */
  res: Buffer
  /** f3: cipher key CK (16 bytes). */
  ck: Buffer
  /** f4: integrity key IK (16 bytes). */
  ik: Buffer
  /** f5: anonymity key AK (6 bytes). */
  ak: Buffer
  /** f5*: anonymity key AK* for re-synchronisation (6 bytes). */
  akStar: Buffer
}

/** f2, f3, f4, f5 and f5* (TS 35.206 §4.1, OUT2..OUT5). */
export function f2345(k: Buffer, opc: Buffer, rand: Buffer): F2345Result {
  check('OPc', opc, 16)
  check('RAND', rand, 16)
  const c = aes(k)
  const temp = enc(c, xor(rand, opc))
  const t = xor(temp, opc)
  const out = (r: number, cst: number) => xor(enc(c, withConst(rot(t, r), cst)), opc)
  const out2 = out(0, 1)
  const out3 = out(32, 2)
  const out4 = out(64, 4)
  const out5 = out(96, 8)
  return {
    res: out2.subarray(8, 16),
    ak: out2.subarray(0, 6),
    ck: out3,
    ik: out4,
    akStar: out5.subarray(0, 6),
  }
}

/** All of them at once: one AES key schedule, TEMP, then OUT1..OUT5 in one ECB call (what the AuC needs per vector). */
export function milenage(k: Buffer, opc: Buffer, rand: Buffer, sqn: Buffer, amf: Buffer): F1Result & F2345Result {
  check('OPc', opc, 16)
  check('RAND', rand, 16)
  check('SQN', sqn, 6)
  check('AMF', amf, 2)
  const c = aes(k)
  const temp = enc(c, xor(rand, opc))
  // Five independent AES inputs (ECB encrypts each 16-byte block on its own):
  // OUT1: TEMP ⊕ rot(IN1 ⊕ OPc, r1=64) ⊕ c1(0); OUTn (n=2..5): rot(TEMP ⊕ OPc, rn) ⊕ cn.
  const ins = Buffer.allocUnsafe(80)
  const in1 = Buffer.concat([sqn, amf, sqn, amf])
  for (let i = 0; i < 16; i++) ins[i] = temp[i]! ^ in1[(i + 8) % 16]! ^ opc[(i + 8) % 16]!
  const rs = [0, 4, 8, 12]
  const cs = [1, 2, 4, 8]
  for (let n = 0; n < 4; n++) {
    const o = 16 * (n + 1)
    for (let i = 0; i < 16; i++) {
      const j = (i + rs[n]!) % 16
      ins[o + i] = temp[j]! ^ opc[j]!
    }
    ins[o + 15] = ins[o + 15]! ^ cs[n]!
  }
  const outs = c.update(ins)
  for (let n = 0; n < 5; n++) for (let i = 0; i < 16; i++) outs[16 * n + i] = outs[16 * n + i]! ^ opc[i]!
  return {
    macA: outs.subarray(0, 8),
    macS: outs.subarray(8, 16),
    res: outs.subarray(24, 32),
    ak: outs.subarray(16, 22),
    ck: outs.subarray(32, 48),
    ik: outs.subarray(48, 64),
    akStar: outs.subarray(64, 70),
  }
}
