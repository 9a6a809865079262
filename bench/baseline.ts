/**
 * The bare baseline: a node:http2 h2c server that reads the body and answers a small JSON document,
 * with nothing else (no routing, validation, metrics or logging). Started by bench/run.ts in its own
 * process, like the runtime under test, so both get one event loop each.
 */
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'

const server = http2.createServer()
const answer = JSON.stringify({ ok: true })
server.on('stream', (stream) => {
  stream.on('error', () => {})
  stream.on('data', () => {})
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/json' })
    stream.end(answer)
  })
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
