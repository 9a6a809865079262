/**
 * Mocha root hooks (loaded by .mocharc.json before any test file): every temp folder a test makes,
 * in this process or in the processes it starts, goes under one folder of this run, removed at the end.
 * (os.tmpdir() reads TMPDIR on every call, and child processes inherit it.)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const runDir = mkdtempSync(join(tmpdir(), 'open-mvno-test-run-'))
process.env.TMPDIR = runDir

export const mochaHooks = {
  afterAll(): void {
    rmSync(runDir, { recursive: true, force: true })
  },
}
