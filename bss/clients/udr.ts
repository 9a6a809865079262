/**
 * Nudr_DR provisioning writes (the BSS is the UDR's provisioning client): PUT/DELETE of the
 * subscription-data and policy-data resources of one subscriber, through ctx.client and the UDR
 * apiRoots from ctx.peers.
 */
import type { NfContext } from '../../nf/sbi/ports.ts'
import type { UdrWrite } from '../domain/plan.ts'

export class UdrError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'UdrError'
  }
}

export interface UdrApi {
  put(w: UdrWrite): Promise<void>
  delete(path: string): Promise<void>
  /** True when the resource exists (200), false on 404. */
  exists(path: string): Promise<boolean>
}

export function createUdrClient(ctx: NfContext): UdrApi {
  const roots = async () => {
    const r = await ctx.peers.apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })
    if (!r.length) throw new UdrError('no UDR known (configure peers.udr or an NRF)')
    return r
  }
  const call = async (method: 'PUT' | 'DELETE' | 'GET', path: string, body?: unknown) => {
    const uris = (await roots()).map((r) => r.replace(/\/$/, '') + path)
    try {
      return await ctx.client.request({ method, uri: uris, ...(body !== undefined ? { body } : {}), scope: 'nudr-dr', targetNfType: 'UDR' })
    } catch (e) {
      throw new UdrError(`UDR unreachable: ${(e as Error).message}`)
    }
  }
  return {
    async put(w) {
      const r = await call('PUT', w.path, w.body)
      if (r.status >= 300) throw new UdrError(`UDR ${w.name}: ${r.status} ${r.problem?.cause ?? ''} ${r.problem?.detail ?? ''}`.trim(), r.status)
    },
    async delete(path) {
      const r = await call('DELETE', path)
      if (r.status >= 300 && r.status !== 404) throw new UdrError(`UDR DELETE ${path}: ${r.status} ${r.problem?.detail ?? ''}`.trim(), r.status)
    },
    async exists(path) {
      const r = await call('GET', path)
      if (r.status === 404) return false
      if (r.status >= 300) throw new UdrError(`UDR GET ${path}: ${r.status}`, r.status)
      return true
    },
  }
}
