/** Runs one scenario's server side in its own process and prints its target as one JSON line. */
import { loadScenario } from './scenarios/index.ts'

const name = process.argv[2]
const phase = process.argv[3]
const scenario = await loadScenario(name)
const target = await scenario.start()
const { stop, ...shape } = target
let out: Record<string, unknown> = shape
if (phase) {
  const p = scenario.phases?.find((x) => x.name === phase)
  if (!p) throw new Error(`scenario ${name} has no phase ${phase}`)
  out = { url: target.url, ...(await p.target(target)) }
}
process.stdout.write(JSON.stringify({ ...out, pid: process.pid }) + '\n')
process.on('SIGTERM', () => {
  stop().finally(() => process.exit(0))
})
