/** A no-op SBI route through the full runtime: routing, validation, metrics, logging (info level). */
import pino from 'pino'
import { createSbiServer } from '../../nf/sbi/server.ts'
import { runtimeTestService } from '../../test/sbi/runtime-service.ts'
import type { Scenario } from '../scenario.ts'

export const scenario: Scenario = {
  name: 'noop',
  description: 'POST /ntest-runtime/v1/noop with a validated JSON body through nf/sbi (openapi-backend routing + ajv validation + Prometheus metrics + pino at info)',
  async start() {
    const log = pino({ level: 'info' }, pino.destination({ dest: 2, sync: false }))
    const server = createSbiServer({ nf: 'bench', host: '127.0.0.1', port: 0, services: [runtimeTestService()], log })
    const url = await server.listen()
    return {
      url,
      paths: ['/ntest-runtime/v1/noop'],
      method: 'POST',
      body: { supi: 'imsi-999700000000001', count: 1, tags: ['a', 'b'] },
      stop: () => server.close(),
    }
  },
}
