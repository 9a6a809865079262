/**
 * From a TS 29.505 AuthenticationSubscription (as the UDR hands it to the UDM) to what the
 * ARPF needs: method, K, OPc, AMF, SQN_HE and IND length. Pure; never logs the keys.
 *
 * Field choices follow free5GC (INTEROP §3.1): R17 form `encPermanentKey` / `encOpcKey` hold clear
 * hex K / OPc; the older `permanentKey.permanentKeyValue`, `opc.opcValue`, `milenage.opc.opcValue`
 * and OP in `milenage.op.opValue` (or `encOpKey`) are read too. An OP is turned into OPc here
 * (TS 35.206 §4.1).
 */
import { opcFromOp } from './milenage.ts'
import { DEFAULT_IND_LENGTH, sqnToBigInt } from './sqn.ts'

export type AuthMethod = '5G_AKA' | 'EAP_AKA_PRIME'

export interface AuthCredentials {
  method: AuthMethod
  k: Buffer
  opc: Buffer
  amf: Buffer
  /** SQN_HE as stored, exactly as read (the guard of the compare-and-set), or undefined when absent. */
  storedSqn: string | undefined
  sqnHe: bigint
  indLength: number
}

export type CredentialsResult = { ok: true; creds: AuthCredentials } | { ok: false; reason: string }

const HEX32 = /^[0-9a-fA-F]{32}$/

interface SubscriptionLike {
  authenticationMethod?: unknown
  encPermanentKey?: unknown
  encOpcKey?: unknown
  encOpKey?: unknown
  authenticationManagementField?: unknown
  sequenceNumber?: { sqn?: unknown; indLength?: unknown } | unknown
  permanentKey?: { permanentKeyValue?: unknown } | unknown
  opc?: { opcValue?: unknown } | unknown
  milenage?: { op?: { opValue?: unknown }; opc?: { opcValue?: unknown } } | unknown
  algorithmId?: unknown
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length ? v : undefined
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o
  for (const p of path) {
    if (!cur || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[p]
  }
  return cur
}

export function credentialsFrom(sub: SubscriptionLike): CredentialsResult {
  const methodRaw = str(sub.authenticationMethod) ?? '5G_AKA'
  if (methodRaw !== '5G_AKA' && methodRaw !== 'EAP_AKA_PRIME') return { ok: false, reason: `authentication method ${methodRaw} is not supported` }
  const alg = str(sub.algorithmId)
  if (alg && !/milenage/i.test(alg) && alg !== '0' && alg !== '1') return { ok: false, reason: `algorithm ${alg} is not supported (Milenage only)` }

  const kHex = str(sub.encPermanentKey) ?? str(get(sub, 'permanentKey', 'permanentKeyValue'))
  if (!kHex || !HEX32.test(kHex)) return { ok: false, reason: 'no usable K (32 hex) in the authentication subscription' }
  const k = Buffer.from(kHex, 'hex')

  let opc: Buffer
  const opcHex = str(sub.encOpcKey) ?? str(get(sub, 'opc', 'opcValue')) ?? str(get(sub, 'milenage', 'opc', 'opcValue'))
  const opHex = str(get(sub, 'milenage', 'op', 'opValue')) ?? str(sub.encOpKey)
  if (opcHex && HEX32.test(opcHex)) opc = Buffer.from(opcHex, 'hex')
  else if (opHex && HEX32.test(opHex)) opc = opcFromOp(k, Buffer.from(opHex, 'hex'))
  else return { ok: false, reason: 'no usable OPc or OP (32 hex) in the authentication subscription' }

  const amfHex = str(sub.authenticationManagementField) ?? '8000'
  if (!/^[0-9a-fA-F]{4}$/.test(amfHex)) return { ok: false, reason: 'authenticationManagementField must be 4 hex digits' }

  const storedSqn = str(get(sub, 'sequenceNumber', 'sqn'))
  let sqnHe = 0n
  if (storedSqn !== undefined) {
    if (!/^[0-9a-fA-F]{1,12}$/.test(storedSqn)) return { ok: false, reason: 'sequenceNumber.sqn must be up to 12 hex digits' }
    sqnHe = sqnToBigInt(storedSqn)
  }
  const indRaw = get(sub, 'sequenceNumber', 'indLength')
  const indLength = typeof indRaw === 'number' && Number.isInteger(indRaw) && indRaw >= 0 && indRaw <= 10 ? indRaw : DEFAULT_IND_LENGTH

  return { ok: true, creds: { method: methodRaw, k, opc, amf: Buffer.from(amfHex, 'hex'), storedSqn, sqnHe, indLength } }
}
