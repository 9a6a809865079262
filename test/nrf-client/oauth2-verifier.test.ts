/**
 * Producer-side OAuth2 (nf/sbi/oauth2.ts): the verifier alone, and behind the real SBI server over
 * HTTP/2 so the status, problem+json and WWW-Authenticate header are what a peer sees.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SignJWT } from 'jose'
import { createAccessTokenVerifier } from '../../nf/sbi/oauth2.ts'
import { ProblemError } from '../../nf/sbi/types.ts'
import { createSbiServer, type SbiServer } from '../../nf/sbi/server.ts'
import { h2request } from '../helpers/h2.ts'
import { log } from './setup.ts'

const PCF_ID = '6fa459ea-ee8a-4ca4-894e-db77e160355e'
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString()

async function token(claims: Record<string, unknown>, o: { key?: KeyObject; alg?: string; expSec?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ iss: 'nrf', sub: 'smf-1', ...claims })
    .setProtectedHeader({ alg: o.alg ?? 'RS512', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expSec ?? 1000))
    .sign(o.key ?? rsa.privateKey)
}

async function rejection(p: Promise<unknown>): Promise<ProblemError> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(ProblemError)
    return err as ProblemError
  }
  throw new Error('expected a rejection')
}

describe('nf/sbi/oauth2: access token verifier', () => {
  const verify = createAccessTokenVerifier({ publicKey: pem(rsa.publicKey), nfInstanceId: PCF_ID, nfType: 'PCF' })

  it('accepts a valid RS512 token for our instance id with the service in its scope, and returns its claims', async () => {
    const claims = await verify(`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol npcf-am-policy-control' })}`, 'npcf-smpolicycontrol')
    expect(claims).to.include({ sub: 'smf-1', aud: PCF_ID })
  })

  it('accepts aud = our nfType, or an array naming us; RS256 and ES256 too', async () => {
    await verify(`Bearer ${await token({ aud: 'PCF', scope: 'npcf-smpolicycontrol' })}`, 'npcf-smpolicycontrol')
    await verify(`Bearer ${await token({ aud: ['UDM', PCF_ID], scope: 'npcf-smpolicycontrol' }, { alg: 'RS256' })}`, 'npcf-smpolicycontrol')
    const ecVerify = createAccessTokenVerifier({ publicKey: pem(ec.publicKey), nfInstanceId: PCF_ID, nfType: 'PCF' })
    await ecVerify(`Bearer ${await token({ aud: 'PCF', scope: 'npcf-smpolicycontrol' }, { key: ec.privateKey, alg: 'ES256' })}`, 'npcf-smpolicycontrol')
  })

  it('missing token: 401 invalid_token with WWW-Authenticate', async () => {
    const e = await rejection(verify(undefined, 'npcf-smpolicycontrol'))
    expect(e.status).to.equal(401)
    expect(e.cause3gpp).to.equal(undefined)
    expect(e.headers?.['www-authenticate']).to.match(/^Bearer error="invalid_token"/)
  })

  it('expired token: 401', async () => {
    const e = await rejection(verify(`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' }, { expSec: -60 })}`, 'npcf-smpolicycontrol'))
    expect(e.status).to.equal(401)
    expect(e.message).to.match(/expired/)
  })

  it('wrong scope: 403 insufficient_scope', async () => {
    const e = await rejection(verify(`Bearer ${await token({ aud: PCF_ID, scope: 'nudm-sdm' })}`, 'npcf-smpolicycontrol'))
    expect(e.status).to.equal(403)
    expect(e.headers?.['www-authenticate']).to.equal('Bearer error="insufficient_scope", scope="npcf-smpolicycontrol"')
  })

  it('wrong signature (another key): 401', async () => {
    const e = await rejection(verify(`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' }, { key: otherRsa.privateKey })}`, 'npcf-smpolicycontrol'))
    expect(e.status).to.equal(401)
    expect(e.message).to.match(/signature/)
  })

  it('wrong audience, no audience (strict), unsupported alg, malformed header: 401', async () => {
    for (const auth of [
      `Bearer ${await token({ aud: 'UDM', scope: 'npcf-smpolicycontrol' })}`,
      `Bearer ${await token({ scope: 'npcf-smpolicycontrol' })}`,
      `Bearer ${await new SignJWT({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new Uint8Array(32))}`,
      'Basic dXNlcjpwYXNz',
      'Bearer not-a-jwt',
    ]) {
      expect((await rejection(verify(auth, 'npcf-smpolicycontrol'))).status, auth.slice(0, 20)).to.equal(401)
    }
  })

  it("audience 'if-present' accepts free5GC tokens without aud but still refuses a wrong one", async () => {
    const lenient = createAccessTokenVerifier({ publicKey: pem(rsa.publicKey), nfInstanceId: PCF_ID, nfType: 'PCF', audience: 'if-present' })
    await lenient(`Bearer ${await token({ aud: '', scope: 'npcf-smpolicycontrol' })}`, 'npcf-smpolicycontrol')
    expect((await rejection(lenient(`Bearer ${await token({ aud: 'UDM', scope: 'npcf-smpolicycontrol' })}`, 'npcf-smpolicycontrol'))).status).to.equal(401)
  })

  it('takes the NRF certificate (PEM, like free5GC cert/nrf.pem) as the key', async function () {
    const dir = mkdtempSync(path.join(tmpdir(), 'nrf-cert-'))
    try {
      const keyFile = path.join(dir, 'nrf.key')
      writeFileSync(keyFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))
      try {
        execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=nrf', '-days', '1', '-out', path.join(dir, 'nrf.pem')], { stdio: 'ignore' })
      } catch {
        this.skip() // no openssl on this machine
      }
      const fromCert = createAccessTokenVerifier({ publicKey: readFileSync(path.join(dir, 'nrf.pem'), 'utf8'), nfInstanceId: PCF_ID, nfType: 'PCF' })
      await fromCert(`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' })}`, 'npcf-smpolicycontrol')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('nf/sbi/oauth2: behind the SBI server (HTTP/2)', function () {
  this.timeout(20000)
  let server: SbiServer

  before(async () => {
    server = createSbiServer({
      nf: 'pcf',
      host: '127.0.0.1',
      port: 0,
      log,
      oauth2: createAccessTokenVerifier({ publicKey: pem(rsa.publicKey), nfInstanceId: PCF_ID, nfType: 'PCF' }),
      services: [
        // Any document with an operation will do; the NRF callback one is ours. Not noAuth here.
        {
          name: 'npcf-smpolicycontrol',
          spec: 'nrf-callbacks.yaml',
          basePaths: ['/npcf-smpolicycontrol/v1'],
          handlers: { NfStatusNotify: (req) => ({ status: 200, body: { sub: req.auth?.claims.sub } }) },
        },
      ],
    })
    await server.listen()
  })

  after(async () => {
    await server.close()
  })

  const call = async (authorization?: string) =>
    h2request(server.url, {
      method: 'POST',
      path: '/npcf-smpolicycontrol/v1/nf-status-notify',
      body: { event: 'NF_REGISTERED', nfInstanceUri: 'http://nrf/x' },
      headers: authorization ? { authorization } : {},
    })

  it('valid token: the handler runs (200) and sees the claims', async () => {
    const res = await call(`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' })}`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({ sub: 'smf-1' })
  })

  it('missing 401, expired 401, wrong signature 401, wrong scope 403 — problem+json with WWW-Authenticate', async () => {
    const cases: Array<[string | undefined, number, RegExp]> = [
      [undefined, 401, /invalid_token/],
      [`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' }, { expSec: -60 })}`, 401, /invalid_token/],
      [`Bearer ${await token({ aud: PCF_ID, scope: 'npcf-smpolicycontrol' }, { key: otherRsa.privateKey })}`, 401, /invalid_token/],
      [`Bearer ${await token({ aud: PCF_ID, scope: 'nudm-sdm' })}`, 403, /insufficient_scope/],
    ]
    for (const [auth, status, challenge] of cases) {
      const res = await call(auth)
      expect(res.status).to.equal(status)
      expect(String(res.headers['content-type'])).to.match(/^application\/problem\+json/)
      expect(res.body.status).to.equal(status)
      expect(String(res.headers['www-authenticate'])).to.match(challenge)
    }
  })
})
