/**
 * nf/udm/crypto-pool.ts: SUCIs de-concealed and authentication vectors computed in worker threads are
 * what the domain functions give (a UE accepts the vectors), errors come back per job (a SUCI's as the
 * SuciError with its code), and a worker that dies loses no request (its jobs are computed on the event
 * loop, logged once).
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { createCryptoPool } from '../../nf/udm/crypto-pool.ts'
import { authenticationVector, ueAuthenticate, type AvInput } from '../../nf/udm/domain/auth-vectors.ts'
import { ckIkPrime } from '../../nf/udm/domain/kdf.ts'
import { f2345 } from '../../nf/udm/domain/milenage.ts'
import { eciesEncrypt, encodeBcdMsin, p256PublicOf, SuciError, x25519PublicOf, type HomeNetworkKey } from '../../nf/udm/domain/suci.ts'

// TS 35.208 test set 1
const K = Buffer.from('465b5ce8b199b49faa5f0a2ee238a6bc', 'hex')
const OPC = Buffer.from('cd63cb71954a9f4e48a5994e37a02baf', 'hex')
const SNN = '5G:mnc093.mcc208.3gppnetwork.org'

function input(i: number, k = K): AvInput {
  return { k, opc: OPC, sqn: 0x20n + 32n * BigInt(i), amf: Buffer.from('8000', 'hex'), rand: randomBytes(16), snn: SNN }
}

// TS 33.501 Annex C.4 home-network private keys (Profile A X25519, Profile B P-256)
const HN: HomeNetworkKey[] = [
  { id: 1, profile: 'A', privateKey: Buffer.from('c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d', 'hex') },
  { id: 2, profile: 'B', privateKey: Buffer.from('f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda', 'hex') },
]

function suciOf(profile: 'A' | 'B', msin: string): string {
  const pub = profile === 'A' ? x25519PublicOf(HN[0]!.privateKey) : p256PublicOf(HN[1]!.privateKey)
  const eph = profile === 'A' ? randomBytes(32) : Buffer.from('99798858a1dc6a2c68637149a4b1dbfd1fdff5addd62a2142f06699ed7602529', 'hex')
  return `suci-0-208-93-0000-${profile === 'A' ? 1 : 2}-${profile === 'A' ? 1 : 2}-${eciesEncrypt(profile, pub, eph, encodeBcdMsin(msin))}`
}

function spyLog() {
  const errors: unknown[][] = []
  const log = { error: (...a: unknown[]) => errors.push(a), warn() {}, info() {}, debug() {} }
  return { errors, log: log as never }
}

describe('UDM SUCI de-concealment and authentication vectors in worker threads (nf/udm/crypto-pool.ts)', () => {
  it('gives, from two workers, the vectors the domain computes for 5G_AKA and EAP_AKA_PRIME, and a UE accepts them', async () => {
    const { errors, log } = spyLog()
    const pool = createCryptoPool({ threads: 2, log })
    try {
      const inputs = Array.from({ length: 200 }, (_, i) => input(i))
      const got = await Promise.all(inputs.map((x, i) => pool.vector(i % 2 ? 'EAP_AKA_PRIME' : '5G_AKA', x)))
      expect(errors, 'no worker failed (the vectors came from the threads)').to.deep.equal([])
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i]!
        expect(got[i]).to.deep.equal(authenticationVector(i % 2 ? 'EAP_AKA_PRIME' : '5G_AKA', x))
        const av = got[i]!
        const ue = ueAuthenticate(K, OPC, Buffer.from(av.rand, 'hex'), Buffer.from(av.autn, 'hex'), SNN)
        expect(ue.ok).to.equal(true)
        if (!ue.ok) continue
        expect(ue.sqn).to.equal(x.sqn)
        if (av.avType === '5G_HE_AKA') {
          expect(av.xresStar).to.equal(ue.resStar.toString('hex'))
          expect(av.kausf).to.equal(ue.kausf.toString('hex'))
        } else {
          const { ck, ik, res } = f2345(K, OPC, x.rand)
          expect(av.xres).to.equal(res.toString('hex'))
          const p = ckIkPrime(ck, ik, SNN, Buffer.from(av.autn, 'hex').subarray(0, 6))
          expect(av.ckPrime).to.equal(p.ckPrime.toString('hex'))
          expect(av.ikPrime).to.equal(p.ikPrime.toString('hex'))
        }
      }
    } finally {
      await pool.close()
    }
  })

  it('de-conceals Profile A and B SUCIs in the workers, and answers a bad MAC or an unknown key id with the SuciError and its code', async () => {
    const { errors, log } = spyLog()
    const pool = createCryptoPool({ threads: 2, log })
    try {
      const msins = Array.from({ length: 40 }, (_, i) => String(1000000000 + i).slice(1) + '1')
      const got = await Promise.all(msins.map((m, i) => pool.deconceal(suciOf(i % 2 ? 'B' : 'A', m), HN)))
      expect(got).to.deep.equal(msins.map((m) => `imsi-20893${m}`))
      const good = suciOf('A', '0000000001')
      const tampered = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0')
      const [mac, key] = await Promise.allSettled([pool.deconceal(tampered, HN), pool.deconceal(good.replace('-1-1-', '-1-7-'), HN)])
      expect((mac as PromiseRejectedResult).reason).to.be.instanceOf(SuciError).with.property('code', 'MAC_FAILURE')
      expect((key as PromiseRejectedResult).reason).to.be.instanceOf(SuciError).with.property('code', 'UNKNOWN_KEY_ID')
      expect(errors).to.deep.equal([])
    } finally {
      await pool.close()
    }
  })

  it('rejects only the vector whose input is bad, with the domain’s message', async () => {
    const pool = createCryptoPool({ threads: 1 })
    try {
      const [good, bad] = await Promise.allSettled([pool.vector('5G_AKA', input(1)), pool.vector('5G_AKA', input(2, Buffer.alloc(8)))])
      expect(good.status).to.equal('fulfilled')
      expect(bad.status).to.equal('rejected')
      expect(String((bad as PromiseRejectedResult).reason.message)).to.match(/K must be 16 bytes/)
    } finally {
      await pool.close()
    }
  })

  it('a worker that dies loses no vector: they are computed on the event loop, and the failure is logged once', async () => {
    const { errors, log } = spyLog()
    const pool = createCryptoPool({ threads: 1, log, entry: new URL('./fixtures/dying-crypto-worker.ts', import.meta.url).href })
    try {
      const first = Array.from({ length: 20 }, (_, i) => input(i))
      const got = await Promise.all(first.map((x) => pool.vector('5G_AKA', x)))
      got.forEach((av, i) => expect(av).to.deep.equal(authenticationVector('5G_AKA', first[i]!)))
      const later = input(99)
      expect(await pool.vector('5G_AKA', later)).to.deep.equal(authenticationVector('5G_AKA', later))
      expect(errors).to.have.length(1)
      expect(JSON.stringify(errors[0])).to.match(/exited with code 3/)
      expect(JSON.stringify(errors), 'no key material in the log').to.not.include(K.toString('hex'))
    } finally {
      await pool.close()
    }
  })

  it('warm() starts the workers (createUdm calls it at start); one that cannot load leaves its slot on the event loop, logged once', async () => {
    const ok = spyLog()
    const pool = createCryptoPool({ threads: 2, log: ok.log })
    await pool.warm()
    const x = input(5)
    expect(await pool.vector('5G_AKA', x)).to.deep.equal(authenticationVector('5G_AKA', x))
    expect(ok.errors).to.deep.equal([])
    await pool.close()

    const broken = spyLog()
    const bad = createCryptoPool({ threads: 1, log: broken.log, entry: new URL('./fixtures/broken-crypto-worker.ts', import.meta.url).href })
    await bad.warm()
    expect(broken.errors).to.have.length(1)
    expect(JSON.stringify(broken.errors[0])).to.match(/does not load/)
    expect(await bad.vector('5G_AKA', x)).to.deep.equal(authenticationVector('5G_AKA', x))
    expect(await bad.deconceal(suciOf('A', '0000000002'), HN)).to.equal('imsi-208930000000002')
    await bad.close()
  })

  it('a job the worker cannot be sent (not cloneable) is computed on the event loop; the worker keeps serving', async () => {
    const { errors, log } = spyLog()
    const pool = createCryptoPool({ threads: 1, log })
    try {
      const odd = [{ ...HN[0]!, extra: () => undefined }] as unknown as HomeNetworkKey[]
      expect(await pool.deconceal(suciOf('A', '0000000003'), odd)).to.equal('imsi-208930000000003')
      expect(errors).to.have.length(1)
      const x = input(7)
      expect(await pool.vector('5G_AKA', x)).to.deep.equal(authenticationVector('5G_AKA', x))
      expect(errors).to.have.length(1)
    } finally {
      await pool.close()
    }
  })

  it('close() answers the vectors still queued or in flight', async () => {
    const pool = createCryptoPool({ threads: 1 })
    await pool.vector('5G_AKA', input(0)) // the worker is up
    const inputs = Array.from({ length: 50 }, (_, i) => input(i))
    const pending = inputs.map((x) => pool.vector('5G_AKA', x))
    await pool.close()
    const got = await Promise.all(pending)
    got.forEach((av, i) => expect(av).to.deep.equal(authenticationVector('5G_AKA', inputs[i]!)))
  })

  it('threads: 0 computes on the calling thread', async () => {
    const pool = createCryptoPool({ threads: 0 })
    const x = input(3)
    expect(await pool.vector('EAP_AKA_PRIME', x)).to.deep.equal(authenticationVector('EAP_AKA_PRIME', x))
    await pool.close()
  })
})
