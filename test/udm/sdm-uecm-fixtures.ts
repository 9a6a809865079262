/** A UDR with one provisioned subscriber and a UDM pointed at it (static peers), as in `mvno start`. */
import { createUdr } from '../../nf/udr/index.ts'
import { createUdm } from '../../nf/udm/index.ts'
import { startTestNf, type TestNf } from '../helpers/nf.ts'
import { provision } from '../udr/fixtures.ts'

export { SUPI, PLMN, AM_DATA, loadValidator, SKIP_SCHEMAS, type Validate } from '../udr/fixtures.ts'

export interface UdmUnderTest {
  udr: TestNf
  udm: TestNf
  close(): Promise<void>
}

export async function startUdrAndUdm(): Promise<UdmUnderTest> {
  const udr = await startTestNf(createUdr, { name: 'udr' })
  await provision(udr)
  const udm = await startTestNf(createUdm, { name: 'udm', peers: { udr: [udr.url] } })
  return {
    udr,
    udm,
    async close() {
      await udm.close()
      await udr.close()
    },
  }
}
