/**
 * TS 29.571 BitRate: "<n>[.<frac>] bps|Kbps|Mbps|Gbps|Tbps". free5GC's SMF parses only this form (a bad
 * unit on a GBR flow panics it), so every bitrate the PCF emits goes through {@link normalizeBitRate}.
 */
const UNITS: Record<string, number> = { bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9, tbps: 1e12 }
const CANON = ['bps', 'Kbps', 'Mbps', 'Gbps', 'Tbps'] as const

/** Bits per second of a BitRate string, or undefined when it does not parse. */
export function parseBitRate(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(bps|kbps|mbps|gbps|tbps)\s*$/i.exec(s)
  if (!m) return undefined
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!
}

/** Formats bits per second with the largest unit that keeps an integer (e.g. 100e6 → "100 Mbps"). */
export function formatBitRate(bps: number): string {
  let v = Math.max(0, Math.round(bps))
  let i = 0
  while (i < CANON.length - 1 && v !== 0 && v % 1000 === 0) {
    v /= 1000
    i++
  }
  return `${v} ${CANON[i]}`
}

/** Re-emits a BitRate in canonical spelling ("100 mbps" → "100 Mbps"); undefined when it does not parse. */
export function normalizeBitRate(s: unknown): string | undefined {
  const bps = parseBitRate(s)
  return bps === undefined ? undefined : formatBitRate(bps)
}

/** The smaller of two BitRates (used to cap the granted AMBR by the subscribed one). */
export function minBitRate(a: string, b: string | undefined): string {
  const pb = parseBitRate(b)
  const pa = parseBitRate(a)
  if (pa === undefined) return b ?? a
  if (pb === undefined) return a
  return pa <= pb ? a : (b as string)
}
