/**
 * cli/ts-loader.mjs is how `npm start`, the `mvno` CLI and the benchmark servers run the sources (the
 * tests themselves run under tsx): it must load the TypeScript the way tsx does, class fields and
 * parameter properties included, and map stack traces back to the .ts lines.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const loader = join(root, 'cli/ts-loader.mjs')
const run = (args: string[]) => spawnSync(process.execPath, ['--import', loader, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })

describe('cli/ts-loader.mjs', () => {
  it('runs the mvno CLI', () => {
    const r = run(['cli/mvno.ts', '--help'])
    expect(r.stdout + r.stderr).to.include('mvno start')
  })

  it('strips types with tsconfig semantics (class fields, parameter properties), keeps names, maps stacks to .ts lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-loader-'))
    const file = join(dir, 'probe.ts')
    writeFileSync(
      file,
      [
        'interface Shape { n: number }',
        'class A { x = 1; constructor(private readonly y: number) {} sum(): number { return this.x + this.y } }',
        'class B extends A { override x = 5 }',
        "const named = (s: Shape): number => s.n * 2",
        "enum Color { Red = 'r' }",
        "console.log(JSON.stringify({ b: new B(2).sum(), name: named.name, v: named({ n: 21 }), c: Color.Red }))",
        "function fail(): never { throw new Error('probe') }",
        'fail()',
      ].join('\n'),
    )
    const r = run([file])
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).to.deep.equal({ b: 7, name: 'named', v: 42, c: 'r' })
    expect(r.stderr).to.include(`${file}:7:`) // the throw's line in the .ts source
  })
})
