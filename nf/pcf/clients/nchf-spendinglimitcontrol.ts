/**
 * Consumer of Nchf_SpendingLimitControl (TS 29.594): subscribe to the policy counters a plan names,
 * modify the subscription when a session needs more counters, unsubscribe when the last session ends.
 */
import type { NfContext, SbiClientResponse } from '../../sbi/ports.ts'
import { ProblemError } from '../../sbi/types.ts'
import type { SpendingLimitStatus } from '../domain/types.ts'

const BASE = '/nchf-spendinglimitcontrol/v1'

/** TS 29.594 SpendingLimitContext. */
export interface SpendingLimitContext {
  supi: string
  gpsi?: string
  policyCounterIds: string[]
  notifUri: string
  supportedFeatures?: string
}

export interface NchfSpendingLimitClient {
  /** Returns the subscription's absolute Location and the initial statuses; undefined when no CHF is known. */
  subscribe(c: SpendingLimitContext): Promise<{ location?: string; status: SpendingLimitStatus } | undefined>
  modify(location: string, c: SpendingLimitContext): Promise<SpendingLimitStatus>
  unsubscribe(location: string): Promise<void>
}

function failure(what: string, r: SbiClientResponse): ProblemError {
  return new ProblemError(502, 'CHF_FAILURE', `${what}: CHF answered ${r.status}${r.problem?.cause ? ` ${r.problem.cause}` : ''}`)
}

export function nchfSpendingLimit(ctx: NfContext): NchfSpendingLimitClient {
  const scope = 'nchf-spendinglimitcontrol'
  return {
    async subscribe(c) {
      const roots = await ctx.peers.apiRoots({ nfType: 'CHF', serviceName: scope, supi: c.supi })
      if (roots.length === 0) return undefined
      const res = await ctx.client.request<SpendingLimitStatus>({
        method: 'POST',
        uri: roots.map((r) => `${r}${BASE}/subscriptions`),
        body: c,
        scope,
        targetNfType: 'CHF',
      })
      if (res.status !== 201 && res.status !== 200) throw failure('POST subscriptions', res)
      const loc = res.headers.location
      return { location: typeof loc === 'string' ? new URL(loc, res.uri).toString() : undefined, status: res.body ?? {} }
    },
    async modify(location, c) {
      const res = await ctx.client.request<SpendingLimitStatus>({ method: 'PUT', uri: location, body: c, scope, targetNfType: 'CHF' })
      if (res.status !== 200 && res.status !== 204) throw failure('PUT subscriptions/{id}', res)
      return res.body ?? {}
    },
    async unsubscribe(location) {
      const res = await ctx.client.request({ method: 'DELETE', uri: location, scope, targetNfType: 'CHF' })
      if (res.status >= 300 && res.status !== 404) throw failure('DELETE subscriptions/{id}', res)
    },
  }
}
