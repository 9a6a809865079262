import { expect } from 'chai'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadConfig, ENV_OVERRIDES } from '../../config/load.ts'
import { ConfigError } from '../../config/validate.ts'
import { defaultConfig } from '../../config/defaults.ts'

function yamlFile(text: string): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'mvno-cfg-')), 'c.yaml')
  writeFileSync(f, text)
  return f
}

describe('configuration', () => {
  it('starts from defaults with no file and no environment', () => {
    const c = loadConfig({ env: {} })
    expect(c.udm.port).to.equal(29503)
    expect(c.mongodb.uri).to.equal(undefined)
    expect(c.nrf.uri).to.equal(undefined)
  })

  it('the documented example config/open-mvno.yaml loads and equals the defaults', () => {
    const c = loadConfig({ file: path.resolve('config/open-mvno.yaml'), env: {} })
    expect(JSON.parse(JSON.stringify(c))).to.deep.equal(JSON.parse(JSON.stringify(defaultConfig())))
  })

  it('applies the MVNO_* overrides, which keep their names', () => {
    const names = ENV_OVERRIDES.map((o) => o.env)
    for (const n of ['MVNO_DATA_DIR', 'MONGODB_URI', 'MVNO_NRF_URI', 'MVNO_SBI_HOST']) expect(names).to.include(n)
    const c = loadConfig({
      env: { MVNO_DATA_DIR: '/tmp/x', MONGODB_URI: 'mongodb://127.0.0.1:1/', MVNO_NRF_URI: 'http://127.0.0.10:8000', MVNO_SBI_HOST: '0.0.0.0', MVNO_UDM_PORT: '7777' },
    })
    expect(c.dataDir).to.equal('/tmp/x')
    expect(c.mongodb.uri).to.equal('mongodb://127.0.0.1:1/')
    expect(c.nrf.uri).to.equal('http://127.0.0.10:8000')
    expect(c.sbi.host).to.equal('0.0.0.0')
    expect(c.udm.port).to.equal(7777)
  })

  it('a wrong value stops with the field path and what was expected', () => {
    const f = yamlFile('udm:\n  port: seventy\nplmn: { mcc: "99", mnc: "70" }\nnrf: { oauth2: maybe }\n')
    try {
      loadConfig({ file: f, env: {} })
      expect.fail('should reject')
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError)
      const msg = (err as Error).message
      expect(msg).to.match(/udm\.port: must be integer \(got "seventy"\)/)
      expect(msg).to.match(/plmn\.mcc: must match/)
      expect(msg).to.match(/nrf\.oauth2: must be one of auto, on, off/)
    }
  })

  it('names the environment variable of a bad override, and rejects unknown keys', () => {
    expect(() => loadConfig({ env: { MVNO_PCF_PORT: '80a' } })).to.throw(ConfigError, /pcf\.port \(from MVNO_PCF_PORT\): must be an integer/)
    expect(() => loadConfig({ file: yamlFile('udrr: { port: 1 }\n'), env: {} })).to.throw(ConfigError, /udrr: unknown key/)
    expect(() => loadConfig({ env: { MVNO_NRF_URI: 'nrf.local' } })).to.throw(ConfigError, /nrf\.uri: must match/)
  })
})
