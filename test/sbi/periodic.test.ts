import { expect } from 'chai'
import { every } from '../../nf/sbi/periodic.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('every: a periodic background job', () => {
  it('never runs twice at once, goes on after a failure, and stop waits for the run under way', async () => {
    let running = 0
    let maxRunning = 0
    let runs = 0
    let finished = 0
    const errors: unknown[] = []
    const p = every(
      5,
      async () => {
        runs++
        running++
        maxRunning = Math.max(maxRunning, running)
        await sleep(30) // several ticks pass meanwhile
        running--
        finished++
        if (runs === 1) throw new Error('first run fails')
      },
      (err) => errors.push(err),
      { runNow: true },
    )
    expect(runs).to.equal(1) // runNow: started at once
    await sleep(100)
    await p.stop()
    expect(maxRunning).to.equal(1)
    expect(runs).to.be.greaterThan(1)
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['first run fails'])
    expect(finished).to.equal(runs) // stop returned only once the run under way had finished
    const after = runs
    await sleep(30)
    expect(runs).to.equal(after)
  })
})
