/**
 * Consumer of Nudr_DataRepository policy-data (TS 29.519), base `/nudr-dr/v2` as free5GC's UDR serves
 * it (our UDR serves v1 and v2). The whole SmPolicyData is read and filtered by the domain, so the slice
 * and DNN matching rules (SST-only entries, roaming DNNs, both key styles) live in one place.
 */
import type { NfContext, SbiClientResponse } from '../../sbi/ports.ts'
import { ProblemError } from '../../sbi/types.ts'
import type { AmPolicyData, SmPolicyData } from '../domain/types.ts'

const BASE = '/nudr-dr/v2'

export interface NudrDrClient {
  /** undefined when the UDR has no such data (404) or no UDR is known. */
  smData(supi: string): Promise<SmPolicyData | undefined>
  amData(supi: string): Promise<AmPolicyData | undefined>
  /** Subscribes to changes of the subscriber's sm-data and am-data; returns the subscription's Location. */
  subscribe(supi: string, notificationUri: string): Promise<string | undefined>
  unsubscribe(location: string): Promise<void>
}

function failure(what: string, r: SbiClientResponse): ProblemError {
  return new ProblemError(502, 'UDR_FAILURE', `${what}: UDR answered ${r.status}${r.problem?.cause ? ` ${r.problem.cause}` : ''}`)
}

export function nudrDr(ctx: NfContext): NudrDrClient {
  const roots = () => ctx.peers.apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })
  async function read<T>(supi: string, resource: 'sm-data' | 'am-data'): Promise<T | undefined> {
    const r = await roots()
    if (r.length === 0) return undefined
    const path = `${BASE}/policy-data/ues/${encodeURIComponent(supi)}/${resource}`
    const res = await ctx.client.request<T>({ method: 'GET', uri: r.map((x) => x + path), scope: 'nudr-dr', targetNfType: 'UDR' })
    if (res.status === 404) return undefined
    if (res.status !== 200) throw failure(`GET policy-data ${resource}`, res)
    return res.body
  }
  return {
    smData: (supi) => read<SmPolicyData>(supi, 'sm-data'),
    amData: (supi) => read<AmPolicyData>(supi, 'am-data'),
    async subscribe(supi, notificationUri) {
      const r = await roots()
      if (r.length === 0) return undefined
      const ue = `${BASE}/policy-data/ues/${encodeURIComponent(supi)}`
      const body = { notificationUri, monitoredResourceUris: [`${r[0]}${ue}/sm-data`, `${r[0]}${ue}/am-data`] }
      const res = await ctx.client.request({
        method: 'POST',
        uri: r.map((x) => `${x}${BASE}/policy-data/subs-to-notify`),
        body,
        scope: 'nudr-dr',
        targetNfType: 'UDR',
      })
      if (res.status !== 201 && res.status !== 200) throw failure('POST policy-data/subs-to-notify', res)
      const loc = res.headers.location
      return typeof loc === 'string' ? new URL(loc, res.uri).toString() : undefined
    },
    async unsubscribe(location) {
      const res = await ctx.client.request({ method: 'DELETE', uri: location, scope: 'nudr-dr', targetNfType: 'UDR' })
      if (res.status >= 300 && res.status !== 404) throw failure('DELETE policy-data/subs-to-notify', res)
    },
  }
}
