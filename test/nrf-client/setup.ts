/** Shared pieces of the nrf-client tests: config, a client over the real SBI client, fake NF modules. */
import pino from 'pino'
import type { MvnoConfig } from '../../config/schema.ts'
import { defaultConfig } from '../../config/defaults.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import type { NfModule, NfName, NfType, SbiClient } from '../../nf/sbi/ports.ts'
import type { DocumentStore } from '../../store/port.ts'
import { createNrfClient, type NrfClient, type NrfClientOptions } from '../../nf/nrf-client/index.ts'
import { mergeConfig, type DeepPartial } from '../helpers/nf.ts'
import { openTestStore } from '../helpers/store.ts'

export const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

export function testConfig(over?: DeepPartial<MvnoConfig>): MvnoConfig {
  return mergeConfig(defaultConfig(), over)
}

export function fakeModule(name: NfName, nfType: NfType, services: Array<{ name: string; basePaths?: string[] }>, profileInfo?: Record<string, unknown>): NfModule {
  return {
    name,
    nfType,
    services: services.map((s) => ({ name: s.name, spec: `${s.name}.yaml`, basePaths: s.basePaths, handlers: {} })),
    profileInfo,
  }
}

export const udrModule = () => fakeModule('udr', 'UDR', [{ name: 'nudr-dr', basePaths: ['/nudr-dr/v1', '/nudr-dr/v2'] }], { udrInfo: { supportedDataSets: ['SUBSCRIPTION', 'POLICY'] } })
export const pcfModule = () =>
  fakeModule('pcf', 'PCF', [{ name: 'npcf-smpolicycontrol' }, { name: 'npcf-am-policy-control' }], { pcfInfo: { dnnList: ['internet'] } })

export interface Harness {
  nrf: NrfClient
  client: SbiClient
  store: DocumentStore
  close(): Promise<void>
}

/** An NRF client over the real SBI client and a fresh store; fast back-off for tests. */
export async function harness(config: MvnoConfig, extra: Partial<NrfClientOptions> = {}): Promise<Harness> {
  const store = await openTestStore()
  const client = createSbiClient({ log, timeoutMs: 1000 })
  const nrf = createNrfClient({ config, store, client, log, backoff: { minMs: 100, maxMs: 400 }, ...extra })
  return {
    nrf,
    client,
    store,
    async close() {
      await nrf.stop()
      await client.close()
      await store.close()
    },
  }
}

export { sleep, until } from '../helpers/wait.ts'
