/**
 * SIDF against TS 33.501 Annex C.4 implementers' test data (C.4.2 null scheme, C.4.3 Profile A,
 * C.4.4 Profile B; IMSI-based SUPI, MCC|MNC 274|012, MSIN 001002086), and free5GC's own SUCI
 * cases (free5gc/udm pkg/suci/suci_test.go: the same scheme outputs under MCC 208 MNC 93, and an
 * invalid-curve-point case).
 */
import { expect } from 'chai'
import {
  decodeBcdMsin,
  deconcealSuci,
  eciesDecrypt,
  eciesEncrypt,
  encodeBcdMsin,
  p256PublicOf,
  parseSuci,
  SuciError,
  x25519PublicOf,
  x963Kdf,
  type HomeNetworkKey,
} from '../../nf/udm/domain/suci.ts'
import { createECDH } from 'node:crypto'

const h = (s: string) => Buffer.from(s, 'hex')

// TS 33.501 C.4.3.1 (Profile A)
const A = {
  hnPriv: 'c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d',
  hnPub: '5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650',
  ephPriv: 'c80949f13ebe61af4ebdbd293ea4f942696b9e815d7e8f0096bbf6ed7de62256',
  ephPub: 'b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d',
  shared: '028ddf890ec83cdf163947ce45f6ec1a0e3070ea5fe57e2b1f05139f3e82422a',
  encKey: '2ba342cabd2b3b1e5e4e890da11b65f6',
  icb: 'e2622cb0cdd08204e721c8ea9b95a7c6',
  plain: '00012080f6',
  cipher: 'cb02352410',
  macKey: 'd9846966fb7cf5fcf11266c5957dea60b83fff2b7c940690a4bfe57b1eb52bd2',
  mac: 'cddd9e730ef3fa87',
  output: 'b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457dcb02352410cddd9e730ef3fa87',
}
// TS 33.501 C.4.4.1 (Profile B)
const B = {
  hnPriv: 'f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda',
  hnPubCompressed: '0272da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1',
  hnPubUncompressed:
    '0472da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd15a7ded52fcbb097a4ed250e036c7b9c8c7004c4eedc4f068cd7bf8d3f900e3b4',
  ephPriv: '99798858a1dc6a2c68637149a4b1dbfd1fdff5addd62a2142f06699ed7602529',
  ephPubCompressed: '039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1',
  shared: '6c7e6518980025b982fbb2ff746e3c2e85a196d252099a7ad23ea7b4c0959cae',
  encKey: '8a65c3aed80295c12bd55087e965702a',
  icb: 'ef285b4061c3baee858ab6ec68487dae',
  plain: '00012080f6',
  cipher: '46a33fc271',
  macKey: 'a5ebac0bc48d9cf7ae5ce39cd840ac6c761aec04078fab954d634f923e901c64',
  mac: '6ac7dae96aa30a4d',
  output: '039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d146a33fc2716ac7dae96aa30a4d',
}

const KEYS: HomeNetworkKey[] = [
  { id: 1, profile: 'A', privateKey: h(A.hnPriv) },
  { id: 2, profile: 'B', privateKey: h(B.hnPriv) },
]

describe('SUCI de-concealment (TS 33.501 Annex C)', () => {
  describe('C.4.3 Profile A (X25519)', () => {
    it('home network and ephemeral public keys match the private keys', () => {
      expect(x25519PublicOf(h(A.hnPriv)).toString('hex')).to.equal(A.hnPub)
      expect(x25519PublicOf(h(A.ephPriv)).toString('hex')).to.equal(A.ephPub)
    })
    it('X9.63 KDF of the shared key gives the encryption key, ICB and MAC key', () => {
      const k = x963Kdf(h(A.shared), h(A.ephPub), 64)
      expect(k.subarray(0, 16).toString('hex')).to.equal(A.encKey)
      expect(k.subarray(16, 32).toString('hex')).to.equal(A.icb)
      expect(k.subarray(32, 64).toString('hex')).to.equal(A.macKey)
    })
    it('UE side: concealment with the ephemeral key gives the scheme output of C.4.3.1', () => {
      expect(eciesEncrypt('A', h(A.hnPub), h(A.ephPriv), h(A.plain))).to.equal(A.output)
    })
    it('SIDF: decrypts the scheme output to the plaintext block', () => {
      expect(eciesDecrypt('A', h(A.hnPriv), A.output).toString('hex')).to.equal(A.plain)
    })
    it('SIDF: SUCI → SUPI imsi-274012001002086', () => {
      expect(deconcealSuci(`suci-0-274-012-0-1-1-${A.output}`, KEYS)).to.equal('imsi-274012001002086')
    })
  })

  describe('C.4.4 Profile B (secp256r1, compressed ephemeral key)', () => {
    it('home network and ephemeral public keys match the private keys', () => {
      expect(p256PublicOf(h(B.hnPriv), true).toString('hex')).to.equal(B.hnPubCompressed)
      expect(p256PublicOf(h(B.hnPriv), false).toString('hex')).to.equal(B.hnPubUncompressed)
      expect(p256PublicOf(h(B.ephPriv), true).toString('hex')).to.equal(B.ephPubCompressed)
    })
    it('shared key is the x-coordinate of the ECDH point', () => {
      const e = createECDH('prime256v1')
      e.setPrivateKey(h(B.hnPriv))
      expect(e.computeSecret(h(B.ephPubCompressed)).toString('hex')).to.equal(B.shared)
    })
    it('X9.63 KDF (SharedInfo = compressed ephemeral key) gives the encryption key, ICB and MAC key', () => {
      const k = x963Kdf(h(B.shared), h(B.ephPubCompressed), 64)
      expect(k.subarray(0, 16).toString('hex')).to.equal(B.encKey)
      expect(k.subarray(16, 32).toString('hex')).to.equal(B.icb)
      expect(k.subarray(32, 64).toString('hex')).to.equal(B.macKey)
    })
    it('UE side: concealment gives the scheme output of C.4.4.1 (with either form of the HN public key)', () => {
      expect(eciesEncrypt('B', h(B.hnPubUncompressed), h(B.ephPriv), h(B.plain))).to.equal(B.output)
      expect(eciesEncrypt('B', h(B.hnPubCompressed), h(B.ephPriv), h(B.plain))).to.equal(B.output)
    })
    it('SIDF: SUCI → SUPI imsi-274012001002086', () => {
      expect(deconcealSuci(`suci-0-274-012-0-2-2-${B.output}`, KEYS)).to.equal('imsi-274012001002086')
    })
  })

  describe('C.4.2 null scheme and the SUCI string form', () => {
    it('plaintext 00012080f6 is MSIN 001002086 in BCD', () => {
      expect(decodeBcdMsin(h('00012080f6'))).to.equal('001002086')
      expect(encodeBcdMsin('001002086').toString('hex')).to.equal('00012080f6')
    })
    it('null scheme: output is the MSIN (free5GC and Open5GS examples)', () => {
      expect(deconcealSuci('suci-0-208-93-0-0-0-00007487', KEYS)).to.equal('imsi-2089300007487')
      expect(deconcealSuci('suci-0-999-70-0000-0-0-0000000001', KEYS)).to.equal('imsi-999700000000001')
    })
    it('parses the fields', () => {
      expect(parseSuci('suci-0-999-70-0000-0-0-0000000001')).to.deep.include({
        mcc: '999', mnc: '70', routingIndicator: '0000', protectionScheme: 0, hnPublicKeyId: 0, schemeOutput: '0000000001',
      })
    })
  })

  describe('free5GC pkg/suci test cases', () => {
    it('Profile A and B outputs under 208/93', () => {
      expect(deconcealSuci(`suci-0-208-93-0-1-1-${A.output}`, KEYS)).to.equal('imsi-20893001002086')
      expect(deconcealSuci(`suci-0-208-93-0-2-2-${B.output}`, KEYS)).to.equal('imsi-20893001002086')
    })
    it('their uncompressed off-curve ephemeral key is refused (Profile B requires point compression)', () => {
      const bad =
        'suci-0-208-93-0-2-2-0434a66778799d52fedd9326db4b690d092e05c9ba0ace5b413dafc0a40aa28ee00a79f790fa4da6a2ece892423adb130dc1b30e270b7d0088bdd716b93894891d5221a74c810d6b9350cc067c76'
      expect(() => deconcealSuci(bad, KEYS)).to.throw(SuciError).with.property('code', 'INVALID_EPHEMERAL_KEY')
    })
  })

  describe('failures are typed', () => {
    it('a compressed ephemeral key that is not a curve point is refused', () => {
      const out = '02' + 'ff'.repeat(32) + B.cipher + B.mac
      expect(() => deconcealSuci(`suci-0-274-012-0-2-2-${out}`, KEYS)).to.throw(SuciError).with.property('code', 'INVALID_EPHEMERAL_KEY')
    })
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        expect(e).to.be.instanceOf(SuciError)
        return (e as SuciError).code
      }
      return 'no error'
    }
    it('MAC failure when one bit of the ciphertext or tag changes', () => {
      const flipped = A.output.slice(0, 64) + 'cb02352411' + A.mac
      expect(code(() => deconcealSuci(`suci-0-274-012-0-1-1-${flipped}`, KEYS))).to.equal('MAC_FAILURE')
      const badTag = B.output.slice(0, -2) + '4c'
      expect(code(() => deconcealSuci(`suci-0-274-012-0-2-2-${badTag}`, KEYS))).to.equal('MAC_FAILURE')
    })
    it('MAC failure under the wrong home-network key', () => {
      const other: HomeNetworkKey[] = [{ id: 1, profile: 'A', privateKey: h(B.hnPriv) }]
      expect(code(() => deconcealSuci(`suci-0-274-012-0-1-1-${A.output}`, other))).to.equal('MAC_FAILURE')
    })
    it('unknown key id, unknown scheme, malformed strings', () => {
      expect(code(() => deconcealSuci(`suci-0-274-012-0-1-7-${A.output}`, KEYS))).to.equal('UNKNOWN_KEY_ID')
      expect(code(() => deconcealSuci(`suci-0-274-012-0-3-1-${A.output}`, KEYS))).to.equal('UNSUPPORTED_SCHEME')
      expect(code(() => deconcealSuci('suci-0-274-012-0-1-1-abcd', KEYS))).to.equal('INVALID_FORMAT')
      expect(code(() => deconcealSuci('suci-0-27-012-0-0-0-123', KEYS))).to.equal('INVALID_FORMAT')
      expect(code(() => deconcealSuci('suci-0-274-012-0-0-0-12ab', KEYS))).to.equal('INVALID_FORMAT')
    })
  })
})
