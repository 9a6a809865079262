/**
 * The UDM's Nudr_DR consumer for SDM and UECM (TS 29.504 / 29.505): provisioned data, context data,
 * SDM subscriptions and change subscriptions, over ctx.client with the UDR from ctx.peers (NRF discovery
 * or static config). Authentication data lives in clients/udr.ts.
 *
 * A UDR answer that is not 2xx becomes a ProblemError carrying the UDR's cause (USER_NOT_FOUND,
 * DATA_NOT_FOUND, CONTEXT_NOT_FOUND …), which the api layer passes on. An unreachable UDR becomes
 * 504 TIMED_OUT_REQUEST (timeout) or 503 UPSTREAM_SERVER_ERROR (TS 29.500 §5.2.7.2).
 */
import type { NfContext, SbiClientResponse, HttpMethod } from '../../sbi/ports.ts'
import { SbiClientError } from '../../sbi/ports.ts'
import { ProblemError } from '../../sbi/types.ts'

const BASE = '/nudr-dr/v2'

export interface Snssai {
  sst: number
  sd?: string
}

export interface UdrSdmClient {
  amData(supi: string, plmn: string): Promise<Record<string, unknown> | undefined>
  smfSelectData(supi: string, plmn: string): Promise<Record<string, unknown> | undefined>
  smData(supi: string, plmn: string, f: { singleNssai?: Snssai; dnn?: string }): Promise<Record<string, unknown>[]>
  smfRegistrations(supi: string): Promise<Record<string, unknown>[]>
  getSmfRegistration(supi: string, pduSessionId: number): Promise<Record<string, unknown> | undefined>
  putSmfRegistration(supi: string, pduSessionId: number, reg: Record<string, unknown>): Promise<{ created: boolean }>
  deleteSmfRegistration(supi: string, pduSessionId: number): Promise<boolean>
  getAmf3gpp(supi: string): Promise<Record<string, unknown> | undefined>
  putAmf3gpp(supi: string, reg: Record<string, unknown>): Promise<{ created: boolean }>
  patchAmf3gpp(supi: string, ops: unknown[]): Promise<void>
  createSdmSubscription(supi: string, sub: Record<string, unknown>): Promise<Record<string, unknown>>
  listSdmSubscriptions(supi: string): Promise<Record<string, unknown>[]>
  deleteSdmSubscription(supi: string, id: string): Promise<boolean>
  subscribeToChanges(body: Record<string, unknown>): Promise<string>
}

const enc = encodeURIComponent

export function createUdrSdmClient(ctx: Pick<NfContext, 'client' | 'peers'>): UdrSdmClient {
  async function call<T = unknown>(
    method: HttpMethod,
    path: string,
    o: { body?: unknown; query?: Record<string, string | undefined>; contentType?: string } = {},
  ): Promise<SbiClientResponse<T>> {
    const roots = await ctx.peers.apiRoots({ nfType: 'UDR', serviceName: 'nudr-dr' })
    if (roots.length === 0) throw new ProblemError(503, 'UPSTREAM_SERVER_ERROR', 'no UDR available')
    try {
      return await ctx.client.request<T>({
        method,
        uri: roots.map((r) => `${r.replace(/\/$/, '')}${BASE}${path}`),
        query: o.query,
        body: o.body,
        contentType: o.contentType,
        scope: 'nudr-dr',
        targetNfType: 'UDR',
      })
    } catch (err) {
      if (err instanceof SbiClientError) {
        throw new ProblemError(err.code === 'SBI_TIMEOUT' ? 504 : 503, err.code === 'SBI_TIMEOUT' ? 'TIMED_OUT_REQUEST' : 'UPSTREAM_SERVER_ERROR', `UDR not reachable: ${err.code}`)
      }
      throw err
    }
  }

  /** Non-2xx → ProblemError with the UDR's status and cause (5xx → 500 SYSTEM_FAILURE-like passthrough). */
  function fail(r: SbiClientResponse): never {
    const cause = r.problem?.cause
    if (r.status === 404) throw new ProblemError(404, cause ?? 'DATA_NOT_FOUND', r.problem?.detail ?? 'not found at the UDR')
    if (r.status >= 500) throw new ProblemError(500, 'UNSPECIFIED_NF_FAILURE', `UDR answered ${r.status}`)
    throw new ProblemError(r.status, cause, r.problem?.detail ?? `UDR answered ${r.status}`)
  }

  const getOptional = async (path: string, query?: Record<string, string | undefined>) => {
    const r = await call<Record<string, unknown>>('GET', path, { query })
    if (r.status === 200) return r.body ?? {}
    if (r.status === 404 && r.problem?.cause !== 'USER_NOT_FOUND') return undefined
    fail(r)
  }

  const sd = (supi: string) => `/subscription-data/${enc(supi)}`

  return {
    amData: (supi, plmn) => getOptional(`${sd(supi)}/${plmn}/provisioned-data/am-data`),
    smfSelectData: (supi, plmn) => getOptional(`${sd(supi)}/${plmn}/provisioned-data/smf-selection-subscription-data`),
    async smData(supi, plmn, f) {
      const r = await call<Record<string, unknown>[]>('GET', `${sd(supi)}/${plmn}/provisioned-data/sm-data`, {
        query: { 'single-nssai': f.singleNssai ? JSON.stringify(f.singleNssai) : undefined, dnn: f.dnn },
      })
      if (r.status === 200) return Array.isArray(r.body) ? r.body : []
      if (r.status === 404 && r.problem?.cause !== 'USER_NOT_FOUND') return []
      fail(r)
    },
    async smfRegistrations(supi) {
      const r = await call<Record<string, unknown>[]>('GET', `${sd(supi)}/context-data/smf-registrations`)
      if (r.status === 200) return Array.isArray(r.body) ? r.body : []
      fail(r)
    },
    getSmfRegistration: (supi, psi) => getOptional(`${sd(supi)}/context-data/smf-registrations/${psi}`),
    async putSmfRegistration(supi, psi, reg) {
      const r = await call('PUT', `${sd(supi)}/context-data/smf-registrations/${psi}`, { body: reg })
      if (r.status === 201) return { created: true }
      if (r.status === 200 || r.status === 204) return { created: false }
      fail(r)
    },
    async deleteSmfRegistration(supi, psi) {
      const r = await call('DELETE', `${sd(supi)}/context-data/smf-registrations/${psi}`)
      if (r.status === 204 || r.status === 200) return true
      if (r.status === 404 && r.problem?.cause !== 'USER_NOT_FOUND') return false
      fail(r)
    },
    getAmf3gpp: (supi) => getOptional(`${sd(supi)}/context-data/amf-3gpp-access`),
    async putAmf3gpp(supi, reg) {
      const r = await call('PUT', `${sd(supi)}/context-data/amf-3gpp-access`, { body: reg })
      if (r.status === 201) return { created: true }
      if (r.status === 200 || r.status === 204) return { created: false }
      fail(r)
    },
    async patchAmf3gpp(supi, ops) {
      const r = await call('PATCH', `${sd(supi)}/context-data/amf-3gpp-access`, { body: ops, contentType: 'application/json-patch+json' })
      if (r.status === 204 || r.status === 200) return
      fail(r)
    },
    async createSdmSubscription(supi, sub) {
      const r = await call<Record<string, unknown>>('POST', `${sd(supi)}/context-data/sdm-subscriptions`, { body: sub })
      if (r.status === 201 && r.body && typeof r.body.subscriptionId === 'string') return r.body
      fail(r)
    },
    async listSdmSubscriptions(supi) {
      const r = await call<Record<string, unknown>[]>('GET', `${sd(supi)}/context-data/sdm-subscriptions`)
      if (r.status === 200) return Array.isArray(r.body) ? r.body : []
      if (r.status === 404) return []
      fail(r)
    },
    async deleteSdmSubscription(supi, id) {
      const r = await call('DELETE', `${sd(supi)}/context-data/sdm-subscriptions/${enc(id)}`)
      if (r.status === 204 || r.status === 200) return true
      if (r.status === 404) return false
      fail(r)
    },
    async subscribeToChanges(body) {
      const r = await call<Record<string, unknown>>('POST', '/subscription-data/subs-to-notify', { body })
      if (r.status === 201) return String(r.body?.subscriptionId ?? String(r.headers.location ?? '').split('/').pop())
      fail(r)
    },
  }
}
