/** Generated ids (store/doc.ts newId): UUID version 7, strictly increasing within a process. */
import { expect } from 'chai'
import { newId } from '../../store/doc.ts'

describe('store: newId', () => {
  it('is a UUID version 7 (RFC 9562) whose time prefix is now', () => {
    const before = Date.now()
    const id = newId()
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16)
    expect(ms).to.be.within(before, Date.now() + 1)
  })

  it('orders 100 000 ids made in a burst (string order = creation order), all distinct', () => {
    const ids = Array.from({ length: 100_000 }, () => newId())
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).to.equal(true)
    expect(new Set(ids).size).to.equal(ids.length)
  })
})
