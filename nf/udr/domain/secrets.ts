/**
 * K and OPc at rest (issue 4, UDR point 5; DESIGN §5 "Secrets at rest").
 *
 * Stored form: the free5GC field names `encPermanentKey` / `encOpcKey` hold
 * `hex(iv[12] | tag[16] | ciphertext)` of AES-256-GCM under `config.security.kek`, and the document carries
 * `protectionParameterId: "mvno-kek-v1"` (TS 29.505 AuthenticationSubscription.protectionParameterId names
 * the key that protects the encrypted values). The AAD binds each value to its subscriber and field, so a
 * ciphertext copied to another subscriber or field does not decrypt.
 *
 * A document without that protectionParameterId was written in clear by someone else (free5GC's webconsole
 * writes plain 32-hex values into the same fields); {@link openSecret} then returns the value unchanged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

export const PROTECTION_PARAMETER_ID = 'mvno-kek-v1'

export class SecretError extends Error {
  readonly code = 'SECRET_DECRYPT_FAILED'
  constructor(detail: string) {
    super(detail)
    this.name = 'SecretError'
  }
}

function kekBytes(kekHex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(kekHex)) throw new SecretError('security.kek must be 64 hex characters (AES-256)')
  return Buffer.from(kekHex, 'hex')
}

/** Encrypts a hex secret (K, OPc) for storage. `random` is injectable for tests. */
export function sealSecret(
  kekHex: string,
  plainHex: string,
  aad: string,
  random: (n: number) => Buffer = randomBytes,
): string {
  const iv = random(12)
  const cipher = createCipheriv('aes-256-gcm', kekBytes(kekHex), iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ct = Buffer.concat([cipher.update(Buffer.from(plainHex.toLowerCase(), 'utf8')), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('hex')
}

/** Decrypts a stored secret; returns plain hex. Throws SecretError on a wrong KEK or tampering. */
export function openSecret(kekHex: string, sealedHex: string, aad: string): string {
  const raw = Buffer.from(sealedHex, 'hex')
  if (raw.length < 12 + 16 + 1) throw new SecretError('sealed secret too short')
  const decipher = createDecipheriv('aes-256-gcm', kekBytes(kekHex), raw.subarray(0, 12))
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(raw.subarray(12, 28))
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
  } catch {
    throw new SecretError('secret does not decrypt under the configured KEK')
  }
}

/** Fields of AuthenticationSubscription that hold secrets. */
export const SECRET_FIELDS = ['encPermanentKey', 'encOpcKey', 'encTopcKey'] as const

const aadFor = (ueId: string, field: string) => `${ueId}|${field}`

/** Stored document → clear view (only for the authentication-subscription GET the UDM uses). */
export function openAuthSubscription(kekHex: string, ueId: string, stored: Record<string, unknown>): Record<string, unknown> {
  const out = { ...stored }
  if (stored.protectionParameterId !== PROTECTION_PARAMETER_ID) return out
  for (const f of SECRET_FIELDS) {
    if (typeof stored[f] === 'string') out[f] = openSecret(kekHex, stored[f] as string, aadFor(ueId, f))
  }
  delete out.protectionParameterId
  return out
}

/**
 * Clear view → stored document. `previous` (stored form) lets unchanged secrets keep their ciphertext,
 * so a PATCH of the SQN does not rewrite K and OPc.
 */
export function sealAuthSubscription(
  kekHex: string,
  ueId: string,
  view: Record<string, unknown>,
  previous?: Record<string, unknown> | null,
  random?: (n: number) => Buffer,
  /** `previous` already opened by the caller (saves decrypting K and OPc a second time). */
  previousView?: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...view }
  const prevView = previous ? (previousView ?? openAuthSubscription(kekHex, ueId, previous)) : undefined
  const prevSealed = previous?.protectionParameterId === PROTECTION_PARAMETER_ID ? previous : undefined
  for (const f of SECRET_FIELDS) {
    const v = view[f]
    if (typeof v !== 'string') continue
    if (prevSealed && prevView && prevView[f] === v && typeof prevSealed[f] === 'string') out[f] = prevSealed[f]
    else out[f] = sealSecret(kekHex, v, aadFor(ueId, f), random)
  }
  out.protectionParameterId = PROTECTION_PARAMETER_ID
  return out
}

/** What may be shown anywhere else (logs, provisioning answers): the secrets removed. */
export function redactAuthSubscription(view: Record<string, unknown>): Record<string, unknown> {
  const out = { ...view }
  for (const f of SECRET_FIELDS) delete out[f]
  delete out.encOpKey
  delete out.protectionParameterId
  return out
}

/** TS 35.206 §4.1 OPc = E_K(OP) ⊕ OP: the UDR stores OPc only (as free5GC's webconsole does). */
export function opcFromOp(kHex: string, opHex: string): string {
  const k = Buffer.from(kHex, 'hex')
  const op = Buffer.from(opHex, 'hex')
  const c = createCipheriv('aes-128-ecb', k, null)
  c.setAutoPadding(false)
  const e = Buffer.concat([c.update(op), c.final()])
  for (let i = 0; i < 16; i++) e[i] ^= op[i]
  return e.toString('hex')
}
