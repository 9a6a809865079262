import { expect } from 'chai'
import { has3gppSpecs, SPECS_DIR, validate3gpp } from './schemas.ts'

const CD = 'TS29571_CommonData.yaml'

describe('test helper validate3gpp (../shared/3gpp)', function () {
  this.timeout(30000) // the first compile parses the YAML files it needs
  before(function () {
    if (!has3gppSpecs()) {
      console.log(`    skipped: 3GPP definitions not found in ${SPECS_DIR}`)
      this.skip()
    }
  })

  it('accepts valid TS 29.571 values', () => {
    expect(validate3gpp(CD, 'Snssai', { sst: 1, sd: '0A0b1C' })).to.deep.equal([])
    expect(validate3gpp(CD, 'PlmnId', { mcc: '001', mnc: '01' })).to.deep.equal([])
    expect(validate3gpp(CD, 'Supi', 'imsi-001010000000001')).to.deep.equal([])
  })

  it('reports every error with its path', () => {
    expect(validate3gpp(CD, 'Snssai', { sst: 256, sd: 'xyz' })).to.have.members([
      '/sst must be <= 255',
      '/sd must match pattern "^[A-Fa-f0-9]{6}$"',
    ])
    expect(validate3gpp(CD, 'PlmnId', { mcc: '001' })).to.deep.equal(["/ must have required property 'mnc'"])
    expect(validate3gpp(CD, 'Snssai', { sd: '000001' })).to.deep.equal(["/ must have required property 'sst'"])
  })

  it("understands OpenAPI 3.0 'nullable' and formats", () => {
    expect(validate3gpp(CD, 'DateTimeRm', null)).to.deep.equal([])
    expect(validate3gpp(CD, 'DateTime', null)).to.not.deep.equal([])
    expect(validate3gpp(CD, 'DateTime', '2026-11-29T09:00:00Z')).to.deep.equal([])
    expect(validate3gpp(CD, 'DateTime', 'yesterday')).to.deep.equal(['/ must match format "date-time"'])
    expect(validate3gpp(CD, 'Uint32', 12)).to.deep.equal([])
  })

  it('resolves $refs into other files (Nudm_SDM → TS 29.571 Snssai)', () => {
    const am = (sst: number) => ({ nssai: { defaultSingleNssais: [{ sst }] } })
    expect(validate3gpp('TS29503_Nudm_SDM.yaml', 'AccessAndMobilitySubscriptionData', am(1))).to.deep.equal([])
    expect(validate3gpp('TS29503_Nudm_SDM.yaml', 'AccessAndMobilitySubscriptionData', am(256))).to.deep.equal([
      '/nssai/defaultSingleNssais/0/sst must be <= 255',
    ])
  })

  it('takes a percent-encoded JSON pointer into the file (e.g. a request body schema)', () => {
    const body = '#/paths/~1%7BsupiOrSuci%7D~1security-information~1generate-auth-data/post/requestBody/content/application~1json/schema'
    const ok = { servingNetworkName: '5G:mnc001.mcc001.3gppnetwork.org', ausfInstanceId: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }
    expect(validate3gpp('TS29503_Nudm_UEAU.yaml', body, ok)).to.deep.equal([])
    expect(validate3gpp('TS29503_Nudm_UEAU.yaml', body, { servingNetworkName: ok.servingNetworkName })).to.deep.equal([
      "/ must have required property 'ausfInstanceId'",
    ])
  })
})
