/** Pure UDR domain: JSON patch (with Open5GS's quirks), change diffs, subscription matching, S-NSSAI keys. */
import { expect } from 'chai'
import { applyJsonPatch, applyMergePatch, diffChanges, diffToUpdate, PatchError, testsToFilter } from '../../nf/udr/domain/json-patch.ts'
import { matchesMonitored, normaliseResource, ueKeyOf } from '../../nf/udr/domain/notify.ts'
import { checkArp, escapeDnn, parseSnssaiKey, snssaiKeyF5, snssaiKeyO5 } from '../../nf/udr/domain/subscription.ts'
import { openSecret, sealSecret, opcFromOp } from '../../nf/udr/domain/secrets.ts'

describe('UDR domain', () => {
  describe('applyJsonPatch', () => {
    const doc = { guami: { amfId: 'cafe00' }, sequenceNumber: { sqnScheme: 'NON_TIME_BASED', sqn: '000000000020' }, list: [1, 2] }
    for (const c of [
      { name: "Open5GS's bare 'PurgeFlag' path sets purgeFlag", ops: [{ op: 'replace', path: 'PurgeFlag', value: true }], want: { purgeFlag: true } },
      { name: 'replace of a missing member adds it', ops: [{ op: 'replace', path: '/pei', value: 'imeisv-1' }], want: { pei: 'imeisv-1' } },
      { name: "free5GC's replace of the whole sequenceNumber", ops: [{ op: 'replace', path: '/sequenceNumber', value: { sqn: '000000000041' } }], want: { sequenceNumber: { sqn: '000000000041' } } },
      { name: 'add to an array end', ops: [{ op: 'add', path: '/list/-', value: 3 }], want: { list: [1, 2, 3] } },
      { name: 'move', ops: [{ op: 'move', from: '/guami', path: '/old' }], want: { old: { amfId: 'cafe00' } } },
    ]) {
      it(c.name, () => expect(applyJsonPatch(doc, c.ops).doc).to.deep.include(c.want))
    }
    it('returns the tests for the guard and fails a stale one', () => {
      const ok = applyJsonPatch(doc, [{ op: 'test', path: '/sequenceNumber/sqn', value: '000000000020' }])
      expect(testsToFilter(ok.tests)).to.deep.equal({ 'sequenceNumber.sqn': '000000000020' })
      expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/sequenceNumber/sqn', value: 'x' }])).to.throw(PatchError)
    })
    it('does not modify its input', () => {
      applyJsonPatch(doc, [{ op: 'remove', path: '/guami' }])
      expect(doc.guami).to.deep.equal({ amfId: 'cafe00' })
    })
    it('merge patch removes members set to null', () => {
      expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { d: 4 } })).to.deep.equal({ b: { c: 2, d: 4 } })
    })
  })

  describe('diffs', () => {
    it('leaf ChangeItems with JSON pointers', () => {
      expect(diffChanges({ subscribedUeAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' }, a: 1 }, { subscribedUeAmbr: { uplink: '2 Gbps', downlink: '2 Gbps' }, b: 2 })).to.deep.equal([
        { op: 'REPLACE', path: '/subscribedUeAmbr/uplink', origValue: '1 Gbps', newValue: '2 Gbps' },
        { op: 'REMOVE', path: '/a', origValue: 1 },
        { op: 'ADD', path: '/b', newValue: 2 },
      ])
    })
    it('store update touches only what changed', () => {
      expect(diffToUpdate({ s: { sqn: '1', scheme: 'G' }, x: 1 }, { s: { sqn: '2', scheme: 'G' } })).to.deep.equal({ $set: { 's.sqn': '2' }, $unset: { x: '' } })
    })
  })

  describe('subscription matching', () => {
    it('normalises absolute URIs of either version and wildcards the serving PLMN', () => {
      expect(normaliseResource('http://udr:8000/nudr-dr/v1/subscription-data/imsi-1/20893/provisioned-data/am-data')).to.equal('/subscription-data/imsi-1/*/provisioned-data/am-data')
      expect(normaliseResource('/policy-data/ues/imsi-1/sm-data?dnn=x')).to.equal('/policy-data/ues/imsi-1/sm-data')
    })
    for (const c of [
      { r: '/subscription-data/imsi-1/99970/provisioned-data/am-data', m: ['/subscription-data/imsi-1/20893/provisioned-data/am-data'], want: true },
      { r: '/subscription-data/imsi-1/99970/provisioned-data/am-data', m: ['http://u/nudr-dr/v2/subscription-data/imsi-1'], want: true },
      { r: '/subscription-data/imsi-1/99970/provisioned-data/sm-data', m: ['/subscription-data/imsi-1/99970/provisioned-data/am-data'], want: false },
      { r: '/subscription-data/imsi-12/99970/provisioned-data/am-data', m: ['/subscription-data/imsi-1'], want: false },
    ]) {
      it(`${c.r} vs ${c.m[0]} → ${c.want}`, () => expect(matchesMonitored(c.r, c.m)).to.equal(c.want))
    }
    it('derives the UE a subscription is about', () => {
      expect(ueKeyOf(['/policy-data/ues/imsi-1/am-data', '/policy-data/ues/imsi-1/sm-data'])).to.equal('imsi-1')
      expect(ueKeyOf(['/policy-data/ues/imsi-1', '/policy-data/ues/imsi-2'])).to.equal('*')
    })
  })

  describe('subscription data helpers', () => {
    it('S-NSSAI keys in both forms', () => {
      expect(snssaiKeyF5({ sst: 1, sd: '010203' })).to.equal('01010203')
      expect(snssaiKeyO5({ sst: 1, sd: '010203' })).to.equal('1-010203')
      expect(parseSnssaiKey('1-010203')).to.deep.equal({ sst: 1, sd: '010203' })
      expect(parseSnssaiKey('01010203')).to.deep.equal({ sst: 1, sd: '010203' })
      expect(escapeDnn('ims.mnc070.mcc999.gprs')).to.equal('ims_mnc070_mcc999_gprs')
    })
    it('ARP checks', () => {
      expect(checkArp({ priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'PREEMPTABLE' }, '/arp')).to.deep.equal([])
      expect(checkArp({ priorityLevel: 16, preemptCap: 'X', preemptVuln: 'PREEMPTABLE' }, '/arp').map((b) => b.param)).to.deep.equal(['/arp/priorityLevel', '/arp/preemptCap'])
    })
    it('secrets: sealed under the KEK, bound to subscriber and field; OPc from OP (TS 35.208 set 1)', () => {
      const kek = '11'.repeat(32)
      const sealed = sealSecret(kek, '465b5ce8b199b49faa5f0a2ee238a6bc', 'imsi-1|encPermanentKey')
      expect(openSecret(kek, sealed, 'imsi-1|encPermanentKey')).to.equal('465b5ce8b199b49faa5f0a2ee238a6bc')
      expect(() => openSecret(kek, sealed, 'imsi-2|encPermanentKey')).to.throw()
      expect(opcFromOp('465b5ce8b199b49faa5f0a2ee238a6bc', 'cdc202d5123e20f62b6d676ac72cb318')).to.equal('cd63cb71954a9f4e48a5994e37a02baf')
    })
  })
})
