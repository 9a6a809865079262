/** Prometheus metrics of one NF's SBI server: request counts and latency histograms per operation. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface SbiMetrics {
  observe(operation: string, status: number, seconds: number): void
  render(): Promise<string>
  readonly contentType: string
  readonly registry: Registry
}

/** Process metrics (CPU, memory, event loop) are process-wide: one registry, merged into every NF's output. */
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export function createSbiMetrics(nf: string): SbiMetrics {
  const registry = new Registry()
  registry.setDefaultLabels({ nf })
  const requests = new Counter({
    name: 'sbi_requests_total',
    help: 'SBI requests served, by operationId and HTTP status',
    labelNames: ['operation', 'status'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'sbi_request_duration_seconds',
    help: 'SBI request latency by operationId',
    labelNames: ['operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  return {
    registry,
    contentType: registry.contentType,
    observe(operation, status, seconds) {
      requests.inc({ operation, status: String(status) })
      duration.observe({ operation }, seconds)
    },
    render: () => Registry.merge([registry, processMetrics()]).metrics(),
  }
}
