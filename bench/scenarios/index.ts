import type { Scenario } from '../scenario.ts'

/** Scenario name → module under bench/scenarios/ exporting `scenario`. */
export async function loadScenario(name: string): Promise<Scenario> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad scenario name ${name}`)
  try {
    const mod = (await import(`./${name}.ts`)) as { scenario: Scenario }
    return mod.scenario
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new Error(`unknown scenario "${name}"`)
    throw err
  }
}
