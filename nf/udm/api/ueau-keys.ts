/**
 * Home-network private keys for the SIDF, from `config.udm.suciKeys` (SuciKeyConfig): each
 * `privateKey` is the 64-hex raw key, or the path of a file holding that hex or a PEM (PKCS#8
 * X25519 for Profile A, EC P-256 for Profile B; e.g. Open5GS's `hnet` files made by
 * `openssl genpkey -algorithm X25519` / `openssl ecparam -name prime256v1 -genkey`).
 * Keys are never logged.
 */
import { readFileSync } from 'node:fs'
import { createPrivateKey } from 'node:crypto'
import type { SuciKeyConfig } from '../../../config/schema.ts'
import type { HomeNetworkKey } from '../domain/suci.ts'

const HEX64 = /^[0-9a-fA-F]{64}$/

function rawFromPem(pem: string, profile: 'A' | 'B'): Buffer {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as { d?: string; crv?: string }
  const want = profile === 'A' ? 'X25519' : 'P-256'
  if (jwk.crv !== want || !jwk.d) throw new Error(`expected a ${want} private key for Profile ${profile}, got ${jwk.crv ?? 'another key type'}`)
  return Buffer.from(jwk.d, 'base64url')
}

export function loadHomeNetworkKey(c: SuciKeyConfig): HomeNetworkKey {
  if (!Number.isInteger(c.id) || c.id < 0 || c.id > 255) throw new Error(`udm.suciKeys: id ${c.id} must be 0..255`)
  if (c.profile !== 'A' && c.profile !== 'B') throw new Error(`udm.suciKeys[id=${c.id}]: profile must be 'A' or 'B'`)
  let privateKey: Buffer
  const v = c.privateKey.trim()
  if (HEX64.test(v)) privateKey = Buffer.from(v, 'hex')
  else {
    let text: string
    try {
      text = readFileSync(v, 'utf8').trim()
    } catch (e) {
      throw new Error(`udm.suciKeys[id=${c.id}]: privateKey is neither 64 hex characters nor a readable file (${(e as Error).message})`)
    }
    privateKey = HEX64.test(text) ? Buffer.from(text, 'hex') : rawFromPem(text, c.profile)
  }
  if (privateKey.length !== 32) throw new Error(`udm.suciKeys[id=${c.id}]: private key must be 32 bytes`)
  return { id: c.id, profile: c.profile, privateKey }
}

export function loadHomeNetworkKeys(list: readonly SuciKeyConfig[] | undefined): HomeNetworkKey[] {
  return (list ?? []).map(loadHomeNetworkKey)
}
