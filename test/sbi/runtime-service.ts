/** The runtime test service (test/fixtures/ntest-runtime.yaml): handlers that prove the SBI runtime. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ok, created, problem, type SbiService } from '../../nf/sbi/types.ts'

export const RUNTIME_SPEC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ntest-runtime.yaml')

export function runtimeTestService(): SbiService {
  const items = new Map<string, Record<string, unknown>>()
  let n = 0
  return {
    name: 'ntest-runtime',
    spec: RUNTIME_SPEC,
    handlers: {
      Noop: () => ({ status: 200, body: { ok: true } }),
      NoopPost: () => ({ status: 200, body: { ok: true } }),
      CreateItem: (req) => {
        const id = String(++n)
        items.set(id, req.body as Record<string, unknown>)
        return created(`${req.apiRoot}${req.basePath}/items/${id}`, { id, ...(req.body as object) })
      },
      GetItem: (req) => {
        const item = items.get(req.params.itemId)
        if (!item) throw problem(404, 'CONTEXT_NOT_FOUND', `no item ${req.params.itemId}`)
        return ok({ id: req.params.itemId, ...item, query: req.query })
      },
      PatchItem: (req) => ok({ contentType: req.contentType, body: req.body }),
      Crash: () => {
        throw new Error('secret internal detail at /very/secret/path.ts:42')
      },
      Slow: async () => {
        await new Promise((r) => setTimeout(r, 300))
        return ok({ slow: true })
      },
    },
  }
}
