/**
 * Milenage against the conformance test data of 3GPP TS 35.208 §4.3 (test sets 1–6), as
 * transcribed in hostapd's tests/test-milenage.c (whose list labels TS 35.207's set as 4.3.1 and
 * repeats it as 4.3.2; the six sets here are the six distinct first sets in TS 35.208 order,
 * cross-checked against the GSM sets of TS 55.205 in the same file: same K, RAND, OPc, f2, f3·f4).
 */
import { expect } from 'chai'
import { f1, f2345, opcFromOp } from '../../nf/udm/domain/milenage.ts'

interface TestSet {
  n: number
  k: string; rand: string; sqn: string; amf: string; op: string; opc: string
  f1: string; f1s: string; f2: string; f3: string; f4: string; f5: string; f5s: string
}

const SETS: TestSet[] = [
  {
    n: 1, k: '465b5ce8b199b49faa5f0a2ee238a6bc', rand: '23553cbe9637a89d218ae64dae47bf35', sqn: 'ff9bb4d0b607', amf: 'b9b9',
    op: 'cdc202d5123e20f62b6d676ac72cb318', opc: 'cd63cb71954a9f4e48a5994e37a02baf',
    f1: '4a9ffac354dfafb3', f1s: '01cfaf9ec4e871e9', f2: 'a54211d5e3ba50bf',
    f3: 'b40ba9a3c58b2a05bbf0d987b21bf8cb', f4: 'f769bcd751044604127672711c6d3441', f5: 'aa689c648370', f5s: '451e8beca43b',
  },
  {
    n: 2, k: 'fec86ba6eb707ed08905757b1bb44b8f', rand: '9f7c8d021accf4db213ccff0c7f71a6a', sqn: '9d0277595ffc', amf: '725c',
    op: 'dbc59adcb6f9a0ef735477b7fadf8374', opc: '1006020f0a478bf6b699f15c062e42b3',
    f1: '9cabc3e99baf7281', f1s: '95814ba2b3044324', f2: '8011c48c0c214ed2',
    f3: '5dbdbb2954e8f3cde665b046179a5098', f4: '59a92d3b476a0443487055cf88b2307b', f5: '33484dc2136b', f5s: 'deacdd848cc6',
  },
  {
    n: 3, k: '9e5944aea94b81165c82fbf9f32db751', rand: 'ce83dbc54ac0274a157c17f80d017bd6', sqn: '0b604a81eca8', amf: '9e09',
    op: '223014c5806694c007ca1eeef57f004f', opc: 'a64a507ae1a2a98bb88eb4210135dc87',
    f1: '74a58220cba84c49', f1s: 'ac2cc74a96871837', f2: 'f365cd683cd92e96',
    f3: 'e203edb3971574f5a94b0d61b816345d', f4: '0c4524adeac041c4dd830d20854fc46b', f5: 'f0b9c08ad02e', f5s: '6085a86c6f63',
  },
  {
    n: 4, k: '4ab1deb05ca6ceb051fc98e77d026a84', rand: '74b0cd6031a1c8339b2b6ce2b8c4a186', sqn: 'e880a1b580b6', amf: '9f07',
    op: '2d16c5cd1fdf6b22383584e3bef2a8d8', opc: 'dcf07cbd51855290b92a07a9891e523e',
    f1: '49e785dd12626ef2', f1s: '9e85790336bb3fa2', f2: '5860fc1bce351e7e',
    f3: '7657766b373d1c2138f307e3de9242f9', f4: '1c42e960d89b8fa99f2744e0708ccb53', f5: '31e11a609118', f5s: 'fe2555e54aa9',
  },
  {
    n: 5, k: '6c38a116ac280c454f59332ee35c8c4f', rand: 'ee6466bc96202c5a557abbeff8babf63', sqn: '414b98222181', amf: '4464',
    op: '1ba00a1a7c6700ac8c3ff3e96ad08725', opc: '3803ef5363b947c6aaa225e58fae3934',
    f1: '078adfb488241a57', f1s: '80246b8d0186bcf1', f2: '16c8233f05a0ac28',
    f3: '3f8c7587fe8e4b233af676aede30ba3b', f4: 'a7466cc1e6b2a1337d49d3b66e95d7b4', f5: '45b0f69ab06c', f5s: '1f53cd2b1113',
  },
  {
    n: 6, k: '2d609d4db0ac5bf0d2c0de267014de0d', rand: '194aa756013896b74b4a2a3b0af4539e', sqn: '6bf69438c2e4', amf: '5f67',
    op: '460a48385427aa39264aac8efc9e73e8', opc: 'c35a0ab0bcbfc9252caff15f24efbde0',
    f1: 'bd07d3003b9e5cc3', f1s: 'bcb6c2fcad152250', f2: '8c25a16cd918a1df',
    f3: '4cd0846020f8fa0731dd47cbdc6be411', f4: '88ab80a415f15c73711254a1d388f696', f5: '7e6455f34cf3', f5s: 'dc6dd01e8f15',
  },
]

const h = (s: string) => Buffer.from(s, 'hex')

describe('Milenage (TS 35.206) against TS 35.208 §4.3 test sets 1-6', () => {
  for (const t of SETS) {
    describe(`test set ${t.n}`, () => {
      it('OPc from OP', () => {
        expect(opcFromOp(h(t.k), h(t.op)).toString('hex')).to.equal(t.opc)
      })
      it('f1 (MAC-A) and f1* (MAC-S)', () => {
        const r = f1(h(t.k), h(t.opc), h(t.rand), h(t.sqn), h(t.amf))
        expect(r.macA.toString('hex')).to.equal(t.f1)
        expect(r.macS.toString('hex')).to.equal(t.f1s)
      })
      it('f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK*)', () => {
        const r = f2345(h(t.k), h(t.opc), h(t.rand))
        expect(r.res.toString('hex')).to.equal(t.f2)
        expect(r.ck.toString('hex')).to.equal(t.f3)
        expect(r.ik.toString('hex')).to.equal(t.f4)
        expect(r.ak.toString('hex')).to.equal(t.f5)
        expect(r.akStar.toString('hex')).to.equal(t.f5s)
      })
    })
  }

  it('rejects keys of the wrong length', () => {
    expect(() => f2345(Buffer.alloc(15), Buffer.alloc(16), Buffer.alloc(16))).to.throw(RangeError)
    expect(() => f1(Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(5), Buffer.alloc(2))).to.throw(RangeError)
  })
})

describe('milenage() (all functions with one key schedule) equals f1 + f2345', () => {
  it('on every test set', async () => {
    const { milenage } = await import('../../nf/udm/domain/milenage.ts')
    for (const t of SETS) {
      const all = milenage(h(t.k), h(t.opc), h(t.rand), h(t.sqn), h(t.amf))
      expect([all.macA, all.macS, all.res, all.ck, all.ik, all.ak, all.akStar].map((b) => b.toString('hex'))).to.deep.equal([
        t.f1, t.f1s, t.f2, t.f3, t.f4, t.f5, t.f5s,
      ])
    }
  })
})
