/**
 * `npm run bench -- <scenario> [--requests N] [--clients C] [--streams M] [--rounds R] [--floor]`
 *
 * Drives a scenario with h2load (Debian package nghttp2-client) and, in the same run, the bare
 * node:http2 baseline (bench/baseline.ts) with the same request shape; prints requests/s and
 * p50/p99 latency of both and their ratios. Each server runs in its own process; h2load runs with
 * one thread. Latency percentiles come from h2load's per-request --log-file.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadScenario } from './scenarios/index.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
/** Servers run as `mvno start` runs them: node with the project's TypeScript loader (cli/ts-loader.mjs). */
const loader = path.resolve(here, '../cli/ts-loader.mjs')

interface Target {
  url: string
  paths: string[]
  method: string
  body?: unknown
  headers?: Record<string, string>
  requests?: number
  clients?: number
  streams?: number
  oneShot?: boolean
  /** The server process (its CPU time is read from /proc around each h2load run). */
  pid?: number
}

interface Measurement {
  rps: number
  p50ms: number
  p99ms: number
  ok: number
  failed: number
  /** CPU time (user + system, all threads) the server process spent per request; NaN where /proc is not readable. */
  cpuUs: number
}

/** CPU time of a process so far, in µs (Linux /proc; utime + stime in clock ticks, assumed 100 Hz). */
function cpuTimeUs(pid: number | undefined): number {
  if (!pid) return NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10_000
  } catch {
    return NaN
  }
}

async function spawnServer(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; target: Target }> {
  // MVNO_BENCH_PROFILE=<dir>: write a V8 CPU profile of the scenario's server process there (node --cpu-prof)
  const prof = process.env.MVNO_BENCH_PROFILE && args[0] === 'bench/child.ts' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MVNO_BENCH_PROFILE}`] : []
  if (process.env.MVNO_BENCH_NODE_FLAGS && args[0] === 'bench/child.ts') prof.push(...process.env.MVNO_BENCH_NODE_FLAGS.split(' '))
  const child = spawn(process.execPath, ['--import', loader, ...prof, ...args], { stdio: ['ignore', 'pipe', 'ignore'], cwd: path.resolve(here, '..'), env: { ...process.env, ...env } })
  const line = await new Promise<string>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready`)))
  })
  return { child, target: JSON.parse(line) as Target }
}

async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null) return
  const done = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))])
  if (child.exitCode === null) child.kill('SIGKILL')
}

function h2load(t: Target, requests: number, clients: number, streams: number, dir: string): Measurement {
  const urisFile = path.join(dir, 'uris.txt')
  writeFileSync(urisFile, t.paths.map((p) => t.url + p).join('\n') + '\n')
  const logFile = path.join(dir, `log-${Date.now()}.tsv`)
  const args = ['-n', String(requests), '-c', String(clients), '-m', String(streams), '-t', '1', '--log-file', logFile, '-i', urisFile]
  if (t.body !== undefined) {
    const dataFile = path.join(dir, 'body.json')
    writeFileSync(dataFile, JSON.stringify(t.body))
    args.push('-d', dataFile, '-H', 'content-type: application/json')
  }
  if (t.method !== 'GET' && t.method !== 'POST') args.push('-H', `:method: ${t.method}`)
  if (t.method === 'POST' && t.body === undefined) args.push('-H', ':method: POST')
  for (const [k, v] of Object.entries(t.headers ?? {})) args.push('-H', `${k}: ${v}`)
  const cpu0 = cpuTimeUs(t.pid)
  const out = execFileSync('h2load', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  const cpuUs = (cpuTimeUs(t.pid) - cpu0) / requests
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN)
  const lat: number[] = []
  let ok = 0
  let failed = 0
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue
    const [, status, us] = line.split('\t')
    const s = Number(status)
    if (s >= 200 && s < 300) ok++
    else failed++
    lat.push(Number(us) / 1000)
  }
  lat.sort((a, b) => a - b)
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN
  return { rps, p50ms: pct(50), p99ms: pct(99), ok, failed, cpuUs }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** The measurement with the median requests/s (its own latencies, not a mix). */
function medianByRps(ms: Measurement[]): Measurement {
  const s = [...ms].sort((a, b) => a.rps - b.rps)
  return s[Math.floor((s.length - 1) / 2)]
}

function checkH2load() {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' })
  } catch {
    console.error('h2load not found: install the Debian package nghttp2-client (apt-get install nghttp2-client)')
    process.exit(2)
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      requests: { type: 'string', default: '20000' },
      clients: { type: 'string', default: '8' },
      streams: { type: 'string', default: '16' },
      rounds: { type: 'string', default: '9' },
      floor: { type: 'boolean', default: false },
    },
  })
  const name = positionals[0]
  if (!name) {
    console.error('usage: npm run bench -- <scenario> [--requests N] [--clients C] [--streams M] [--rounds R] [--floor]   (scenarios: bench/scenarios/*.ts)')
    process.exit(2)
  }
  checkH2load()
  const scenario = await loadScenario(name)
  if (values.floor && !scenario.floor) {
    console.error(`${name} has no floor scenario`)
    process.exit(2)
  }
  // One folder for this run: h2load's logs, and (TMPDIR of the servers) the scenario's stores; removed at the end.
  const dir = mkdtempSync(path.join(tmpdir(), `mvno-bench-${name}-`))
  process.env.TMPDIR = dir
  try {
    await measure(name, scenario, dir, values)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measure(name: string, scenario: Awaited<ReturnType<typeof loadScenario>>, dir: string, values: { requests?: string; clients?: string; streams?: string; rounds?: string; floor?: boolean }) {
  const requests = Number(values.requests)
  const clients = Number(values.clients)
  const streams = Number(values.streams)
  const rounds = Math.max(1, Number(values.rounds))
  const rows: Array<{ name: string; m: Measurement }> = []
  const pairedRatios: number[] = []
  // Server CPU time per request, baseline ÷ scenario, per pair: less sensitive than req/s to a busy neighbour
  // taking the cores (what one scenario request costs in bare requests' CPU, inverted like the req/s ratio).
  const cpuRatios: number[] = []
  // --floor: the floor scenario (the same durable work, nothing else) in the same rounds, right after the scenario
  const floorName = values.floor ? scenario.floor : undefined
  const floorRatios: number[] = []
  const floorBaseRatios: number[] = []
  let floor: Measurement | undefined

  // The baseline stays up for the whole run. The main measurement alternates scenario and baseline
  // `rounds` times and reports medians (a 2-core machine drifts by 2x between minutes); the ratio is
  // the median of the paired ratios, each pair measured back to back.
  const base = await spawnServer(['bench/baseline.ts'])
  let baseline: Measurement | undefined
  try {
    const phases = [undefined, ...(scenario.phases ?? []).map((p) => p.name)]
    let baseTarget: Target | undefined
    for (const phase of phases) {
      const s = await spawnServer(['bench/child.ts', name, ...(phase ? [phase] : [])], { MVNO_BENCH_REQUESTS: String(requests) })
      try {
        const t = s.target
        const label = phase ? `${name}:${phase}` : name
        if (!baseTarget) {
          baseTarget = { ...t, url: base.target.url, pid: base.target.pid, paths: [t.paths[0]], oneShot: false }
          h2load(baseTarget, 2000, clients, streams, dir) // baseline warm-up
        }
        if (t.oneShot) {
          // Every path once: h2load restarts the URI list for each client, so one client carries all streams.
          rows.push({ name: label, m: h2load(t, t.paths.length, 1, (t.clients ?? clients) * (t.streams ?? streams), dir) })
          continue
        }
        const n = t.requests ?? requests
        h2load(t, Math.min(2000, n), clients, streams, dir) // warm-up (JIT, caches), not counted
        if (phase) {
          rows.push({ name: label, m: h2load(t, n, t.clients ?? clients, t.streams ?? streams, dir) })
          continue
        }
        const mine: Measurement[] = []
        const theirs: Measurement[] = []
        const floors: Measurement[] = []
        const f = floorName ? await spawnServer(['bench/child.ts', floorName]) : undefined
        try {
          if (f) h2load(f.target, Math.min(2000, n), clients, streams, dir) // its warm-up
          for (let r = 0; r < rounds; r++) {
            mine.push(h2load(t, n, t.clients ?? clients, t.streams ?? streams, dir))
            const fl = f ? h2load(f.target, n, t.clients ?? clients, t.streams ?? streams, dir) : undefined
            theirs.push(h2load(baseTarget, requests, clients, streams, dir))
            pairedRatios.push(mine[r].rps / theirs[r].rps)
            cpuRatios.push(theirs[r].cpuUs / mine[r].cpuUs)
            if (fl) {
              floors.push(fl)
              floorRatios.push(mine[r].rps / fl.rps)
              floorBaseRatios.push(fl.rps / theirs[r].rps)
            }
          }
        } finally {
          if (f) await stopServer(f.child)
        }
        rows.push({ name: label, m: medianByRps(mine) })
        if (f) floor = medianByRps(floors)
        baseline = medianByRps(theirs)
      } finally {
        await stopServer(s.child)
      }
    }
  } finally {
    await stopServer(base.child)
  }
  if (floor) rows.push({ name: `${floorName} (floor)`, m: floor })
  rows.push({ name: 'baseline (bare node:http2)', m: baseline! })
  const mainRatio = median(pairedRatios)

  console.log(`\n${scenario.name}: ${scenario.description}`)
  console.log(`h2load -n ${requests} -c ${clients} -m ${streams} -t 1, node ${process.version}; ${rounds} alternating rounds${floorName ? ` (scenario, ${floorName}, baseline)` : ''}, medians\n`)
  console.log('run'.padEnd(32) + 'req/s'.padStart(10) + 'p50 ms'.padStart(10) + 'p99 ms'.padStart(10) + 'non-2xx'.padStart(9) + '  ratio req/s  ratio p99' + '  cpu µs/req'.padStart(13))
  for (const r of rows) {
    const ratio = (r.name === name ? mainRatio : r.m === floor ? median(floorBaseRatios) : r.m.rps / baseline!.rps).toFixed(2)
    const p99r = (r.m.p99ms / baseline!.p99ms).toFixed(2)
    console.log(
      r.name.padEnd(32) + r.m.rps.toFixed(0).padStart(10) + r.m.p50ms.toFixed(2).padStart(10) + r.m.p99ms.toFixed(2).padStart(10) + String(r.m.failed).padStart(9) + `  ${ratio.padStart(11)}  ${p99r.padStart(9)}` + (Number.isFinite(r.m.cpuUs) ? r.m.cpuUs.toFixed(0) : '-').padStart(13),
    )
  }
  console.log(`\npaired ratios (scenario / baseline, back to back): ${pairedRatios.map((x) => x.toFixed(2)).join(' ')}; median ${mainRatio.toFixed(2)}`)
  const cpuRatio = median(cpuRatios)
  if (Number.isFinite(cpuRatio)) console.log(`server CPU per request, baseline / scenario (same pairs): ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}; median ${cpuRatio.toFixed(2)}`)
  const floorRatio = floorRatios.length ? median(floorRatios) : undefined
  if (floorRatio !== undefined) {
    console.log(`floor / baseline (same rounds): ${floorBaseRatios.map((x) => x.toFixed(2)).join(' ')}; median ${median(floorBaseRatios).toFixed(2)}`)
    console.log(`scenario / floor (same rounds): ${floorRatios.map((x) => x.toFixed(2)).join(' ')}; median ${floorRatio.toFixed(2)}`)
  }
  const resultsDir = path.resolve(here, 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify({ scenario: name, date: new Date().toISOString(), requests, clients, streams, rounds, pairedRatios, ratio: mainRatio, cpuRatios, cpuRatio, ...(floorRatio !== undefined ? { floor: floorName, floorBaseRatios, floorBaseRatio: median(floorBaseRatios), floorRatios, floorRatio } : {}), rows }, null, 2))
  if (rows.some((r) => r.m.failed > 0)) {
    console.error('\nsome requests were not answered 2xx: the figures above are not valid')
    process.exitCode = 1
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
