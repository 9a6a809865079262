/**
 * UDM: Nudm_UEAU (api/ueau.ts), Nudm_SDM (api/sdm.ts), Nudm_UECM (api/uecm.ts) and the callbacks the
 * UDR's change notifications arrive on (api/udr-callback.ts; subscription withdrawal: api/withdrawal.ts). Stateless: every subscriber datum is read
 * from and written to the UDR over Nudr_DR (clients/), found through ctx.peers.
 */
import type { NfContext, NfModule } from '../sbi/ports.ts'
import { ueauService } from './api/ueau.ts'
import { sdmService } from './api/sdm.ts'
import { uecmService } from './api/uecm.ts'
import { udrCallbackService } from './api/udr-callback.ts'
import { createUdrSdmClient } from './clients/udr-sdm.ts'
import { credentialCacheHandle } from './api/withdrawal.ts'
import { createCryptoPool } from './crypto-pool.ts'

export function createUdm(ctx: NfContext): NfModule {
  const udr = createUdrSdmClient(ctx)
  const credentials = credentialCacheHandle()
  const crypto = createCryptoPool({ threads: ctx.config.udm?.cryptoThreads ?? 1, log: ctx.log })
  return {
    name: 'udm',
    nfType: 'UDM',
    services: [ueauService({ ctx, credentials, crypto }), sdmService({ ctx, udr }), uecmService({ ctx, udr }), udrCallbackService(ctx, udr, credentials)],
    profileInfo: { udmInfo: {} },
    start: () => crypto.warm(),
    stop: () => crypto.close(),
  }
}
