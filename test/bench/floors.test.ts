/**
 * The floor scenarios (bench/floor.ts) stand for "the same durable work, nothing else": they must at least
 * answer what the NF answers to the bench's request, or a floor would be measuring less than its scenario.
 */
import { expect } from 'chai'
import http2 from 'node:http2'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { h2requestOn } from '../helpers/h2.ts'
import { scenario as pcfScenario } from '../../bench/scenarios/pcf-sm-create.ts'
import { scenario as floorPcf } from '../../bench/scenarios/floor-pcf.ts'
import { scenario as chfScenario } from '../../bench/scenarios/chf-update.ts'
import { scenario as floorChf } from '../../bench/scenarios/floor-chf.ts'
import type { Scenario, ScenarioTarget } from '../../bench/scenario.ts'

/** `n` POSTs of the scenario's body, all at once on one connection (as h2load sends them), path by path in turn. */
async function post(t: ScenarioTarget, n: number) {
  const session = http2.connect(t.url)
  session.setMaxListeners(0) // one error listener per request in flight
  try {
    return await Promise.all(Array.from({ length: n }, (_, i) => h2requestOn(session, { method: 'POST', path: t.paths[i % t.paths.length]!, body: t.body })))
  } finally {
    session.close()
  }
}

/** Runs a scenario's server with its temp stores in a folder of its own (as bench/run.ts does), removed after. */
async function running<T>(s: Scenario, f: (t: ScenarioTarget) => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR
  const dir = mkdtempSync(join(tmpdir(), 'mvno-test-bench-'))
  process.env.TMPDIR = dir
  try {
    const t = await s.start()
    try {
      return await f(t)
    } finally {
      await t.stop()
    }
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('bench floors answer what their NF answers', function () {
  this.timeout(60_000)

  it('floor-pcf: 201, a Location under sm-policies, and the PCF\'s decision (with suppFeat) to every create + replace', async () => {
    const [real] = await running(pcfScenario, (t) => post(t, 1))
    const floor = await running(floorPcf, (t) => post(t, 40))
    expect(real!.status).to.equal(201)
    for (const r of floor) {
      expect(r.status).to.equal(201)
      expect(String(r.headers.location)).to.match(/^http:\/\/127\.0\.0\.1:\d+\/npcf-smpolicycontrol\/v1\/sm-policies\/[0-9a-f-]{36}$/)
      expect(r.body).to.deep.equal(real!.body)
    }
    expect(new Set(floor.map((r) => r.headers.location)).size).to.equal(40)
  })

  it('floor-chf: 200 and the CHF\'s multipleUnitInformation to a steady update of each session', async () => {
    // the floor's rows come from the CHF after one update each: compare with the CHF's second update
    const real = await running(chfScenario, async (t) => {
      await post(t, t.paths.length)
      return post(t, t.paths.length)
    })
    const floor = await running(floorChf, (t) => post(t, t.paths.length))
    const shape = (b: { invocationTimeStamp: string; [k: string]: unknown }) => ({ ...b, invocationTimeStamp: typeof b.invocationTimeStamp })
    expect(floor.map((r) => r.status)).to.deep.equal(real.map((r) => r.status)).and.to.include(200)
    expect(floor.map((r) => shape(r.body))).to.deep.equal(real.map((r) => shape(r.body)))
  })
})
