import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import net from 'node:net'
import { h2request } from '../helpers/h2.ts'

const TSX = path.resolve('node_modules/.bin/tsx')
const NFS = ['udr', 'udm', 'pcf', 'chf', 'bss']

function ephemeralEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MVNO_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mvno-cli-')), MVNO_LOG_LEVEL: 'warn' }
  delete env.MONGODB_URI
  for (const nf of [...NFS, 'grpc']) env[`MVNO_${nf.toUpperCase()}_PORT`] = '0'
  return { ...env, ...extra }
}

function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; lines: string[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, ['cli/mvno.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let err = ''
  let buf = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return { child, lines, stderr: () => err, exited }
}

async function waitForLines(lines: string[], n: number, exited: Promise<unknown>, stderr: () => string, ms = 120000) {
  const deadline = Date.now() + ms
  let done = false
  void exited.then(() => (done = true))
  while (lines.length < n) {
    if (done) throw new Error(`mvno exited early: ${stderr()}`)
    if (Date.now() > deadline) throw new Error(`timeout; stdout=${lines.join('|')} stderr=${stderr()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('mvno start (CLI)', function () {
  this.timeout(240000)

  it('starts every NF, prints "<nf> <url>" lines, serves /healthz and 404 problem+json, and stops cleanly on SIGTERM', async () => {
    const cli = startCli(['start'], ephemeralEnv())
    try {
      await waitForLines(cli.lines, NFS.length + 1, cli.exited, cli.stderr)
      const urls = new Map(cli.lines.map((l) => l.split(' ') as [string, string]))
      expect([...urls.keys()]).to.include.members([...NFS, 'grpc'])
      for (const nf of NFS.filter((n) => n !== 'bss')) {
        const url = urls.get(nf)!
        expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
        const health = await h2request(url, { method: 'GET', path: '/healthz' })
        expect(health.status, `${nf} /healthz`).to.equal(200)
        const unknown = await h2request(url, { method: 'POST', path: '/no/such/path', body: {} })
        expect(unknown.status).to.equal(404)
        expect(unknown.headers['content-type']).to.equal('application/problem+json')
      }
      const bss = await fetch(`${urls.get('bss')}/healthz`)
      expect(bss.status).to.be.oneOf([200, 401])
      cli.child.kill('SIGTERM')
      expect(await cli.exited).to.equal(0)
    } finally {
      cli.child.kill('SIGKILL')
    }
  })

  it('stops with the field path when the configuration is wrong', async () => {
    const cli = startCli(['start', '--nf', 'udr'], ephemeralEnv({ MVNO_UDR_PORT: 'abc', MVNO_NRF_URI: 'nrf' }))
    expect(await cli.exited).to.equal(2)
    expect(cli.stderr()).to.match(/udr\.port \(from MVNO_UDR_PORT\): must be an integer/)
  })

  it('says which NF and which port when a port is busy', async () => {
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const cli = startCli(['start', '--nf', 'udr'], ephemeralEnv({ MVNO_UDR_PORT: String(port) }))
      expect(await cli.exited).to.equal(1)
      expect(cli.stderr()).to.include(`udr: port ${port} on 127.0.0.1 is already in use`)
    } finally {
      blocker.close()
    }
  })
})
