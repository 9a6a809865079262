/** nf/sbi/bounded-map.ts: the in-memory caches of the UDM (SQN blocks, credentials) and the PCF (policy-data). */
import { expect } from 'chai'
import { BoundedMap } from '../../nf/sbi/bounded-map.ts'

describe('BoundedMap', () => {
  it('never holds more than its bound; past it the oldest eighth goes, newest kept', () => {
    const m = new BoundedMap<string, number>(80)
    for (let i = 0; i < 80; i++) m.set(`k${i}`, i)
    expect(m.size).to.equal(80)
    m.set('k80', 80)
    // 81 > 80: drop 1 + 80/8 = 11 oldest
    expect(m.size).to.equal(70)
    expect(m.has('k0')).to.equal(false)
    expect(m.has('k10')).to.equal(false)
    expect(m.has('k11')).to.equal(true)
    expect(m.get('k80')).to.equal(80)
    for (let i = 81; i < 10_000; i++) {
      m.set(`k${i}`, i)
      expect(m.size).to.be.at.most(80)
    }
    expect(m.get('k9999')).to.equal(9999)
  })

  it('a key set again after delete is the newest; a plain overwrite keeps its place', () => {
    const m = new BoundedMap<string, number>(8)
    for (let i = 0; i < 8; i++) m.set(`k${i}`, i)
    m.delete('k0')
    m.set('k0', 100) // now newest
    m.set('k1', 101) // overwrite: stays oldest
    m.set('k8', 8) // 9 > 8: drop 1 + 1 = 2 oldest: k1, k2
    expect([...m.keys()]).to.deep.equal(['k3', 'k4', 'k5', 'k6', 'k7', 'k0', 'k8'])
    expect(m.get('k0')).to.equal(100)
  })
})
