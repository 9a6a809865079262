/**
 * How `mvno` (npm start, the CLI) and the benchmarks run the TypeScript sources: `node --import
 * ./cli/ts-loader.mjs cli/mvno.ts …`. A module hook strips the types of each .ts/.mts file with esbuild
 * as it is loaded (no build step, no output files), with inline source maps for stack traces.
 *
 * Why not tsx, which the tests use: tsx compiles with esbuild's `keepNames`, which wraps every function
 * bound to a name (`const f = () => …`, `{ settle: (e) => … }`) in a call that redefines its `name`
 * property each time the closure is created: ~0.5 µs per closure, and a charging update creates dozens
 * (in-process CHF update ~95 → ~75 µs without it). keepNames exists for minified code; we do not minify,
 * so JavaScript infers the same function names by itself.
 *
 * The compiler options mirror tsconfig.json (ES2022 class-field semantics, as tsx applies them).
 */
import { readFile } from 'node:fs/promises'
import { register } from 'node:module'
import { fileURLToPath } from 'node:url'
import { isMainThread } from 'node:worker_threads'

const TS = /\.(ts|mts)$/

/** The load hook (runs in Node's loader thread). */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TS.test(url)) return nextLoad(url, context)
  const { transform } = await import('esbuild')
  const path = fileURLToPath(url)
  const r = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path,
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
  })
  return { format: 'module', source: r.code, shortCircuit: true }
}

// Imported with --import on the main thread: install this file as the hook, and map stack traces back
// to the TypeScript lines.
if (isMainThread && !globalThis.__mvnoTsLoader) {
  globalThis.__mvnoTsLoader = true
  process.setSourceMapsEnabled(true)
  register(import.meta.url)
}
