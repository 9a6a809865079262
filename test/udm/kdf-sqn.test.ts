/**
 * Key derivations (TS 33.220 B.2 KDF, TS 33.501 Annex A, TS 33.402 A.2) and SQN handling
 * (TS 33.102 §6.3.5, Annex C).
 *
 * Vectors and their sources:
 * - CK'/IK': RFC 5448 Appendix C test case 1 (network name "WLAN"), as used by free5GC's own
 *   test (free5gc/util ueauth/ueauth_test.go).
 * - RES*: the test of wmnsk's milenage library (Kotlin port, com.wmnsk.milenage MilenageUnitTest:
 *   K = OP = RAND = 00112233…eeff, SQN 1, AMF 8000, MCC 001 MNC 01 → RES* 31b6d938…), which also
 *   gives MAC-A, MAC-S, RES, CK, IK, AK, AK*.
 * - KAUSF and KSEAF for the same inputs: a published 5G-AKA walkthrough ("main.go output":
 *   IMSI 001 01 0123456789, AUTN de656c8b0bcf8000…, KAUSF fe8d2546…, HXRES* 3308fb7c…, KSEAF 442ac77e…),
 *   found with the code search. That walkthrough wrote the serving network name of KAUSF/KSEAF with a
 *   2-digit MNC ("5G:mnc01.mcc001…", not the TS 24.501 form) while its RES* used "mnc001"; we
 *   reproduce its values with exactly the name it used, which checks our KDF bit for bit. Its KAMF
 *   we could not reproduce under any SUPI/ABBA encoding, so KAMF is checked by an independent
 *   computation path only. No 3GPP document publishes Annex A vectors; these are third-party known
 *   answers, consistent with our Milenage (which passes TS 35.208).
 * - AUTS: hostapd tests/test-milenage.c (TS 35.208 set 19 key material, SQN_MS = 1).
 */
import { expect } from 'chai'
import { createHmac } from 'node:crypto'
import { ckIkPrime, hresStar, kamf, kausf, kdf, kseaf, parseServingNetworkName, resStar, servingNetworkName } from '../../nf/udm/domain/kdf.ts'
import { f1, f2345, opcFromOp } from '../../nf/udm/domain/milenage.ts'
import {
  buildAuts,
  hasSeparationBit,
  nextSqn,
  splitSqn,
  sqnToBigInt,
  sqnToHex,
  usimAcceptSqn,
  verifyAuts,
  withSeparationBit,
} from '../../nf/udm/domain/sqn.ts'
import { generate5gHeAv, generateEapAkaPrimeAv, ueAuthenticate } from '../../nf/udm/domain/auth-vectors.ts'

const h = (s: string) => Buffer.from(s, 'hex')

const W = {
  k: '00112233445566778899aabbccddeeff',
  op: '00112233445566778899aabbccddeeff',
  opc: '62e75b8d6fa5bf46ec87a9276f9df54d',
  rand: '00112233445566778899aabbccddeeff',
  sqn: '000000000001',
  amf: '8000',
  snn: '5G:mnc001.mcc001.3gppnetwork.org',
  macA: '4af30b82a8531115',
  macS: '23fc01ba24031362',
  res: '700eb2300b2c4799',
  ck: 'b379874b3d183d2a21291d439e7761e1',
  ik: 'f4706f66629cf7ddf881d80025bf1255',
  ak: 'de656c8b0bce',
  akStar: 'b9ac50c48a83',
  resStar: '31b6d938a5290ccc65bc829f9820a8d9',
  autn: 'de656c8b0bcf80004af30b82a8531115',
  kausf: 'fe8d2546b6971c510329cd8ae34c177d6569486aa9b71159cc3b5c752a93bd10',
  /** The name the walkthrough used for KAUSF and KSEAF (see the header). */
  snnWalkthrough: '5G:mnc01.mcc001.3gppnetwork.org',
  hxresStar: '3308fb7cf06a35f1cd086b904ce82ecf',
  kseaf: '442ac77e2366d8084cb447883b03311065ea6bbd8753cf87e92c0669019cf829',
}

describe('key derivations (TS 33.220 B.2, TS 33.501 Annex A)', () => {
  it('generic KDF is HMAC-SHA-256 over FC || P0 || L0 || P1 || L1 (independent computation)', () => {
    const key = Buffer.alloc(32, 7)
    const s = Buffer.concat([Buffer.from([0x6a]), Buffer.from('abc'), Buffer.from([0, 3]), h('0102'), Buffer.from([0, 2])])
    expect(kdf(key, 0x6a, 'abc', h('0102')).toString('hex')).to.equal(createHmac('sha256', key).update(s).digest('hex'))
  })

  it('wmnsk vector: Milenage outputs for K = OP = RAND = 0011…eeff, SQN 1', () => {
    expect(opcFromOp(h(W.k), h(W.op)).toString('hex')).to.equal(W.opc)
    const a = f1(h(W.k), h(W.opc), h(W.rand), h(W.sqn), h(W.amf))
    expect(a.macA.toString('hex')).to.equal(W.macA)
    expect(a.macS.toString('hex')).to.equal(W.macS)
    const b = f2345(h(W.k), h(W.opc), h(W.rand))
    expect([b.res, b.ck, b.ik, b.ak, b.akStar].map((x) => x.toString('hex'))).to.deep.equal([W.res, W.ck, W.ik, W.ak, W.akStar])
  })

  it('RES* / XRES* (A.4) for serving network 001/01', () => {
    expect(resStar(h(W.ck), h(W.ik), W.snn, h(W.rand), h(W.res)).toString('hex')).to.equal(W.resStar)
  })

  it('KAUSF (A.2), HXRES* (A.5), KSEAF (A.6) against the walkthrough', () => {
    const sqnXorAk = h(W.autn).subarray(0, 6)
    const ka = kausf(h(W.ck), h(W.ik), W.snnWalkthrough, sqnXorAk)
    expect(ka.toString('hex')).to.equal(W.kausf)
    expect(hresStar(h(W.rand), h(W.resStar)).toString('hex')).to.equal(W.hxresStar)
    expect(kseaf(ka, W.snnWalkthrough).toString('hex')).to.equal(W.kseaf)
  })

  it('KAUSF and KAMF by an independent computation path (HMAC over the hand-built S)', () => {
    const ckik = Buffer.concat([h(W.ck), h(W.ik)])
    const snn = Buffer.from(W.snn)
    const s = Buffer.concat([Buffer.from([0x6a]), snn, Buffer.from([0, snn.length]), h(W.autn).subarray(0, 6), Buffer.from([0, 6])])
    expect(kausf(h(W.ck), h(W.ik), W.snn, h(W.autn).subarray(0, 6)).toString('hex')).to.equal(createHmac('sha256', ckik).update(s).digest('hex'))
    const ks = Buffer.alloc(32, 3)
    const s2 = Buffer.concat([Buffer.from([0x6d]), Buffer.from('001010123456789'), Buffer.from([0, 15]), h('0000'), Buffer.from([0, 2])])
    expect(kamf(ks, '001010123456789', h('0000')).toString('hex')).to.equal(createHmac('sha256', ks).update(s2).digest('hex'))
  })

  it("CK'/IK' (TS 33.402 A.2): RFC 5448 Appendix C case 1", () => {
    const { ckPrime, ikPrime } = ckIkPrime(h('5349fbe098649f948f5d2e973a81c00f'), h('9744871ad32bf9bbd1dd5ce54e3e2e5a'), 'WLAN', h('bb52e91c747a'))
    expect(ckPrime.toString('hex')).to.equal('0093962d0dd84aa5684b045c9edffa04')
    expect(ikPrime.toString('hex')).to.equal('ccfc230ca74fcc96c0a5d61164f5a76c')
  })

  it('serving network names', () => {
    expect(servingNetworkName('208', '93')).to.equal('5G:mnc093.mcc208.3gppnetwork.org')
    expect(parseServingNetworkName('5G:mnc093.mcc208.3gppnetwork.org')).to.deep.equal({ mcc: '208', mnc3: '093' })
    expect(parseServingNetworkName('5G:mnc070.mcc999.3gppnetwork.org:000000000AB')).to.deep.equal({ mcc: '999', mnc3: '070', nid: '000000000AB' })
    for (const bad of ['', '5G:mnc93.mcc208.3gppnetwork.org', '4G:mnc093.mcc208.3gppnetwork.org', '5G:mnc093.mcc208.3gppnetwork.org.evil', 'WLAN']) {
      expect(parseServingNetworkName(bad), bad).to.equal(undefined)
    }
  })
})

describe('authentication vectors and the UE side', () => {
  it('5G HE AV reproduces the published AUTN, XRES*, KAUSF', () => {
    const av = generate5gHeAv({ k: h(W.k), opc: h(W.opc), sqn: 1n, amf: h(W.amf), rand: h(W.rand), snn: W.snn })
    expect(av.autn.toString('hex')).to.equal(W.autn)
    expect(av.xresStar.toString('hex')).to.equal(W.resStar)
    const av2 = generate5gHeAv({ k: h(W.k), opc: h(W.opc), sqn: 1n, amf: h(W.amf), rand: h(W.rand), snn: W.snnWalkthrough })
    expect(av2.kausf.toString('hex')).to.equal(W.kausf)
  })

  it("EAP-AKA' AV: XRES and CK'/IK' from CK, IK, SNN and SQN ⊕ AK", () => {
    const av = generateEapAkaPrimeAv({ k: h(W.k), opc: h(W.opc), sqn: 1n, amf: h(W.amf), rand: h(W.rand), snn: W.snn })
    expect(av.xres.toString('hex')).to.equal(W.res)
    expect(av.autn.toString('hex')).to.equal(W.autn)
    const { ckPrime, ikPrime } = ckIkPrime(h(W.ck), h(W.ik), W.snn, h(W.autn).subarray(0, 6))
    expect(av.ckPrime.toString('hex')).to.equal(ckPrime.toString('hex'))
    expect(av.ikPrime.toString('hex')).to.equal(ikPrime.toString('hex'))
  })

  it('sets the AMF separation bit even when the subscribed AMF lacks it', () => {
    const av = generate5gHeAv({ k: h(W.k), opc: h(W.opc), sqn: 5n, amf: h('0000'), rand: h(W.rand), snn: W.snn })
    expect(av.autn.subarray(6, 8).toString('hex')).to.equal('8000')
    expect(hasSeparationBit(withSeparationBit(h('0001')))).to.equal(true)
  })

  it('the UE accepts the vector, recovers SQN and computes RES* = XRES* and the same KAUSF', () => {
    const av = generate5gHeAv({ k: h(W.k), opc: h(W.opc), sqn: 0x1234n, amf: h(W.amf), rand: h(W.rand), snn: W.snn })
    const ue = ueAuthenticate(h(W.k), h(W.opc), av.rand, av.autn, W.snn)
    expect(ue.ok).to.equal(true)
    if (!ue.ok) return
    expect(ue.sqn).to.equal(0x1234n)
    expect(ue.resStar.toString('hex')).to.equal(av.xresStar.toString('hex'))
    expect(ue.kausf.toString('hex')).to.equal(av.kausf.toString('hex'))
  })

  it('the UE detects a MAC failure with a different key', () => {
    const av = generate5gHeAv({ k: h(W.k), opc: h(W.opc), sqn: 1n, amf: h(W.amf), rand: h(W.rand), snn: W.snn })
    const k2 = Buffer.from(h(W.k))
    k2[0] = k2[0]! ^ 1
    expect(ueAuthenticate(k2, h(W.opc), av.rand, av.autn, W.snn)).to.deep.equal({ ok: false, reason: 'MAC_FAILURE' })
  })
})

describe('SQN (TS 33.102 Annex C)', () => {
  it('next SQN: SEQ + 1 and IND cycling over 2^indLength values; numerically increasing', () => {
    let s = 0n
    const seen = new Set<bigint>()
    for (let i = 0; i < 70; i++) {
      const n = nextSqn(s)
      expect(n > s).to.equal(true)
      expect(splitSqn(n).seq).to.equal(splitSqn(s).seq + 1n)
      expect(splitSqn(n).ind).to.equal((splitSqn(s).ind + 1) % 32)
      seen.add(n)
      s = n
    }
    expect(seen.size).to.equal(70)
    expect(sqnToHex(nextSqn(sqnToBigInt('000000000020')))).to.equal('000000000041')
  })

  it('a USIM doing the Annex C array check accepts each new SQN once, and rejects replays', () => {
    let arr: bigint[] = []
    let s = 0n
    for (let i = 0; i < 40; i++) {
      s = nextSqn(s)
      const next = usimAcceptSqn(arr, s)
      expect(next, `sqn ${s}`).to.not.equal(undefined)
      arr = next!
      expect(usimAcceptSqn(arr, s)).to.equal(undefined)
    }
  })

  it('AUTS: hostapd vector (TS 35.208 set 19 key, RAND) gives SQN_MS = 1', () => {
    const k = h('90dca4eda45b53cf0f12d7c9c3bc6a89')
    const opc = h('cb9cccc4b9258e6dca4760379fb82581')
    const rand = h('9fddc72092c6ad036b6e464789315b78')
    const r = verifyAuts(k, opc, rand, h('4f2039392ddd4bb4316ed4a14688'))
    expect(r).to.deep.equal({ ok: true, sqnMs: 1n })
    expect(buildAuts(k, opc, rand, 1n).toString('hex')).to.equal('4f2039392ddd4bb4316ed4a14688')
  })

  it('AUTS with a wrong MAC-S is refused', () => {
    const auts = buildAuts(h(W.k), h(W.opc), h(W.rand), 0x99n)
    auts[13] = auts[13]! ^ 0x01
    expect(verifyAuts(h(W.k), h(W.opc), h(W.rand), auts)).to.deep.equal({ ok: false, reason: 'MAC_S_FAILURE' })
    expect(verifyAuts(h(W.k), h(W.opc), h(W.rand), auts.subarray(0, 10))).to.deep.equal({ ok: false, reason: 'BAD_AUTS' })
  })
})
