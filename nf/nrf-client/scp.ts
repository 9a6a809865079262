/**
 * Indirect communication through an SCP (TS 29.500 §6.10, model D: the SCP discovers and selects
 * the producer). The consumer sends its request to the SCP's apiRoot with the same path, and says
 * what it wants in `3gpp-Sbi-Discovery-*` headers (the discovery query parameters, TS 29.500
 * §5.2.3.2.7); when it already knows the producer (a callback URI) it names it in
 * `3gpp-Sbi-Target-apiRoot` instead (§5.2.3.2.4).
 *
 * Open5GS's SCP reads the requester type from `User-Agent` (first token before '-') and only warns
 * about `3gpp-Sbi-Discovery-requester-nf-type` (lib/sbi/message.c); other SCPs need the header
 * (open5gs#4037). We send both.
 */
import type { NfType } from '../sbi/ports.ts'
import type { DiscoveryTarget } from './discovery.ts'

export function scpDiscoveryHeaders(target: DiscoveryTarget, requesterNfType?: NfType, requesterNfInstanceId?: string): Record<string, string> {
  const h: Record<string, string> = {
    '3gpp-sbi-discovery-target-nf-type': target.nfType,
    '3gpp-sbi-discovery-service-names': target.serviceName,
  }
  if (requesterNfType) {
    h['3gpp-sbi-discovery-requester-nf-type'] = requesterNfType
    h['user-agent'] = requesterNfType
  }
  if (requesterNfInstanceId) h['3gpp-sbi-discovery-requester-nf-instance-id'] = requesterNfInstanceId
  if (target.supi) h['3gpp-sbi-discovery-supi'] = target.supi
  if (target.dnn) h['3gpp-sbi-discovery-dnn'] = target.dnn
  if (target.snssais?.length) h['3gpp-sbi-discovery-snssais'] = JSON.stringify(target.snssais)
  if (target.targetPlmnList?.length) h['3gpp-sbi-discovery-target-plmn-list'] = JSON.stringify(target.targetPlmnList)
  return h
}

/**
 * A request to a known absolute URI (e.g. a peer's callback), routed through the SCP: the URI is
 * rewritten onto the SCP's apiRoot and the original apiRoot goes into `3gpp-Sbi-Target-apiRoot`.
 */
export function routeViaScp(scpApiRoot: string, uri: string): { uri: string; headers: Record<string, string> } {
  const target = new URL(uri)
  const scp = new URL(scpApiRoot)
  const scpBase = scp.pathname.replace(/\/+$/, '')
  return {
    uri: `${scp.protocol}//${scp.host}${scpBase}${target.pathname}${target.search}`,
    headers: { '3gpp-sbi-target-apiroot': `${target.protocol}//${target.host}` },
  }
}
