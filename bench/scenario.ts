/**
 * A benchmark scenario: starts what it measures (in the child process bench/child.ts runs) and says
 * which requests h2load must send. The same request shape is sent to the bare node:http2 baseline.
 */
export interface ScenarioTarget {
  /** Base URL of the server under test, e.g. http://127.0.0.1:41234 */
  url: string
  /** Paths h2load cycles through (one or many, e.g. distinct resource ids). */
  paths: string[]
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** JSON request body sent with every request. */
  body?: unknown
  headers?: Record<string, string>
  /** Requests per run (default from the runner). */
  requests?: number
  /**
   * Each path is a one-shot resource (e.g. POST {id}/delete): the runner skips its warm-up and sends
   * the list exactly once, in order, over one connection with clients × streams concurrent streams.
   */
  oneShot?: boolean
  /** h2load -c and -m: clients and max concurrent streams per client. */
  clients?: number
  streams?: number
  stop(): Promise<void>
}

export interface Scenario {
  name: string
  description: string
  /**
   * The floor scenario (bench/floor.ts) doing this scenario's durable work with nothing else; `--floor`
   * measures it in the same alternation and reports the scenario's ratio to it.
   */
  floor?: string
  /** Optional work before the measured run that must not be counted (seeding data). */
  start(): Promise<ScenarioTarget>
  /** Optional second phase (e.g. deletes after creates), measured and reported separately. */
  phases?: Array<{ name: string; target(first: ScenarioTarget): Promise<Omit<ScenarioTarget, 'stop' | 'url'>> }>
}
