import { expect } from 'chai'
import { readdirSync } from 'node:fs'
import { OpenAPIBackend } from 'openapi-backend'
import { loadOpenApiDocument, OPENAPI_DIR, basePathOf } from '../../nf/sbi/openapi.ts'

/**
 * The runtime loads our documents in openapi-backend's quick mode (no whole-document validation at
 * start), so every document is validated here against the OpenAPI 3.0 schema instead.
 */
describe('our OpenAPI documents (openapi/*.yaml)', () => {
  for (const file of readdirSync(OPENAPI_DIR).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} is a valid OpenAPI 3.0 document with an operationId on every operation`, async () => {
      const api = new OpenAPIBackend({ definition: loadOpenApiDocument(file), strict: true, quick: false, validate: true })
      await api.init()
      const ops = api.getOperations()
      expect(ops.length).to.be.greaterThan(0)
      for (const op of ops) expect(op.operationId, `${op.method.toUpperCase()} ${op.path}`).to.be.a('string')
      if (file !== 'bss.yaml') expect(basePathOf(loadOpenApiDocument(file)), 'servers[0].url is {apiRoot}/<service>/<version>').to.match(/^\/[a-z0-9-]+\/v\d+$/)
    })
  }
})
