/** K/OPc at rest: AES-256-GCM under config.security.kek (64 hex). Format "v1:<iv hex>:<tag hex>:<ct hex>". */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

function key(kekHex: string): Buffer {
  const k = Buffer.from(kekHex, 'hex')
  if (k.length !== 32) throw new Error('security.kek must be 64 hex characters')
  return k
}

export function encryptSecret(kekHex: string, plaintextHex: string, aad = ''): string {
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key(kekHex), iv)
  if (aad) c.setAAD(Buffer.from(aad))
  const ct = Buffer.concat([c.update(Buffer.from(plaintextHex, 'hex')), c.final()])
  return `v1:${iv.toString('hex')}:${c.getAuthTag().toString('hex')}:${ct.toString('hex')}`
}

export function decryptSecret(kekHex: string, enc: string, aad = ''): string {
  const [v, iv, tag, ct] = enc.split(':')
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('bad encrypted secret format')
  const d = createDecipheriv('aes-256-gcm', key(kekHex), Buffer.from(iv, 'hex'))
  if (aad) d.setAAD(Buffer.from(aad))
  d.setAuthTag(Buffer.from(tag, 'hex'))
  return Buffer.concat([d.update(Buffer.from(ct, 'hex')), d.final()]).toString('hex')
}
