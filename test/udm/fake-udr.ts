/**
 * A fake Nudr_DR peer speaking TS 29.505 shapes for the authentication data only, used when the real
 * UDR (nf/udr) is not available, and as a second, independent implementation of the UDR side of the
 * contract in nf/udm/clients/udr.ts: GET/PATCH authentication-subscription (json-patch with an atomic
 * `test` → 409 on mismatch), PUT/DELETE authentication-status. Serves /nudr-dr/v1 and /v2.
 */
import { startFakePeer, type FakePeer, type RecordedRequest } from '../helpers/h2.ts'

export interface FakeUdr {
  url: string
  peer: FakePeer
  subs: Map<string, Record<string, any>>
  status: Map<string, Record<string, any>>
  /** PATCH requests refused because a `test` failed. */
  conflicts: number
  close(): Promise<void>
}

const RE = /^\/nudr-dr\/v[12]\/subscription-data\/([^/]+)\/authentication-data\/(authentication-subscription|authentication-status)$/

function pointer(doc: Record<string, any>, path: string): { parent: Record<string, any> | undefined; key: string } {
  const segs = path.split('/').slice(1)
  let cur: any = doc
  for (const s of segs.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return { parent: undefined, key: '' }
    cur = cur[s]
  }
  return { parent: cur && typeof cur === 'object' ? cur : undefined, key: segs[segs.length - 1]! }
}

export async function startFakeUdr(): Promise<FakeUdr> {
  const subs = new Map<string, Record<string, any>>()
  const status = new Map<string, Record<string, any>>()
  const state = { conflicts: 0 }
  const notFound = { status: 404, body: { status: 404, cause: 'USER_NOT_FOUND' } }
  const peer = await startFakePeer((r: RecordedRequest) => {
    const m = RE.exec(r.path.split('?')[0]!)
    if (!m) return { status: 404, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } }
    const ueId = decodeURIComponent(m[1]!)
    const sub = subs.get(ueId)
    if (m[2] === 'authentication-subscription') {
      if (!sub) return notFound
      if (r.method === 'GET') return { status: 200, body: sub }
      if (r.method === 'PATCH') {
        if (r.contentType !== 'application/json-patch+json') return { status: 415, body: { status: 415 } }
        const next = structuredClone(sub)
        for (const op of r.body as Array<{ op: string; path: string; value?: unknown }>) {
          const { parent, key } = pointer(next, op.path)
          if (!parent) return { status: 409, body: { status: 409, cause: 'MODIFICATION_NOT_ALLOWED' } }
          if (op.op === 'test') {
            if (JSON.stringify(parent[key]) !== JSON.stringify(op.value)) {
              state.conflicts++
              return { status: 409, body: { status: 409, cause: 'MODIFICATION_NOT_ALLOWED' } }
            }
          } else if (op.op === 'replace' || op.op === 'add') parent[key] = op.value
          else return { status: 400, body: { status: 400 } }
        }
        subs.set(ueId, next)
        return { status: 204 }
      }
      return { status: 405 }
    }
    if (r.method === 'PUT') {
      if (!sub) return notFound
      status.set(ueId, r.body)
      return { status: 204 }
    }
    if (r.method === 'DELETE') {
      if (!status.delete(ueId)) return { status: 404, body: { status: 404, cause: 'DATA_NOT_FOUND' } }
      return { status: 204 }
    }
    if (r.method === 'GET') return status.has(ueId) ? { status: 200, body: status.get(ueId) } : notFound
    return { status: 405 }
  })
  return {
    url: peer.url,
    peer,
    subs,
    status,
    get conflicts() {
      return state.conflicts
    },
    close: () => peer.close(),
  }
}
