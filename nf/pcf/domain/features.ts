/**
 * TS 29.571 SupportedFeatures: a hex string, bit 1 = least significant bit of the last character.
 * The answer's suppFeat is the AND of what the consumer offered and what we implement (TS 29.500 §6.6.2);
 * Open5GS's SMF does the same AND on its side and treats a missing suppFeat as 0.
 */

/** AND of two SupportedFeatures strings, without leading zeros ("0" when nothing is common). */
export function negotiateFeatures(requested: string | undefined, supported: string): string {
  if (!requested || !/^[A-Fa-f0-9]*$/.test(requested)) return '0'
  const n = Math.max(requested.length, supported.length)
  const a = requested.padStart(n, '0')
  const b = supported.padStart(n, '0')
  let out = ''
  for (let i = 0; i < n; i++) out += (parseInt(a[i]!, 16) & parseInt(b[i]!, 16)).toString(16).toUpperCase()
  return out.replace(/^0+(?=.)/, '')
}

/** SupportedFeatures with the given 1-based feature bits set. */
export function featureBits(...bits: number[]): string {
  let v = 0n
  for (const b of bits) v |= 1n << BigInt(b - 1)
  return v.toString(16).toUpperCase()
}

/**
 * Npcf_SMPolicyControl features we implement (TS 29.512 §5.8): 7 RAN-NAS-Cause (we accept and log
 * ranNasRelCauses on delete), 14 PolicyUpdateWhenUESuspends is not claimed.
 */
export const SM_POLICY_FEATURES = featureBits(7)

/** Npcf_AMPolicyControl features we implement (TS 29.507 §5.8): none of the optional ones. */
export const AM_POLICY_FEATURES = '0'
