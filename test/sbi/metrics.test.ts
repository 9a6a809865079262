/** The SBI server's Prometheus series (nf/sbi/metrics.ts), as a Prometheus server parses them. */
import { expect } from 'chai'
import { createSbiMetrics, LATENCY_BUCKETS } from '../../nf/sbi/metrics.ts'

/** Sample lines `name{labels} value` of the text format, labels parsed (with escapes). */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

describe('SBI metrics', () => {
  it('counts per operation and status, and renders cumulative latency buckets with +Inf = count and the sum', async () => {
    const m = createSbiMetrics('udm')
    const times = [0.0002, 0.0005, 0.003, 0.2, 7]
    for (const t of times) m.observe('GenerateAuthData', 200, t)
    m.observe('GenerateAuthData', 404, 0.001)
    m.observe('we"ird\\op\n', 500, 0.001)
    const text = await m.render()
    expect(text).to.include('# TYPE sbi_requests_total counter')
    expect(text).to.include('# TYPE sbi_request_duration_seconds histogram')
    const s = samples(text)
    const count = (status: string) => s.find((x) => x.name === 'sbi_requests_total' && x.labels.operation === 'GenerateAuthData' && x.labels.status === status)
    expect(count('200')).to.deep.include({ value: 5, labels: { operation: 'GenerateAuthData', status: '200', nf: 'udm' } })
    expect(count('404')!.value).to.equal(1)
    expect(s.find((x) => x.name === 'sbi_requests_total' && x.labels.status === '500')!.labels.operation).to.equal('we"ird\\op\n')
    const buckets = s.filter((x) => x.name === 'sbi_request_duration_seconds_bucket' && x.labels.operation === 'GenerateAuthData')
    expect(buckets.map((b) => b.labels.le)).to.deep.equal([...LATENCY_BUCKETS.map(String), '+Inf'])
    const at = (le: string) => buckets.find((b) => b.labels.le === le)!.value
    // le is "less than or equal": 0.0005 falls in the 0.0005 bucket
    expect(at('0.0005')).to.equal(2)
    expect(at('0.001')).to.equal(3) // + the 404 at 1 ms
    expect(at('0.005')).to.equal(4)
    expect(at('0.25')).to.equal(5)
    expect(at('2.5')).to.equal(5)
    expect(at('+Inf')).to.equal(6)
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).to.be.at.least(buckets[i - 1]!.value)
    expect(s.find((x) => x.name === 'sbi_request_duration_seconds_count' && x.labels.operation === 'GenerateAuthData')!.value).to.equal(6)
    expect(s.find((x) => x.name === 'sbi_request_duration_seconds_sum' && x.labels.operation === 'GenerateAuthData')!.value).to.be.closeTo(times.reduce((a, b) => a + b, 0) + 0.001, 1e-9)
    // process metrics still come with it
    expect(s.some((x) => x.name === 'process_cpu_user_seconds_total')).to.equal(true)
  })
})
