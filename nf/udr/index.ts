/**
 * UDR: Nudr_DataRepository (TS 29.504) for subscription-data and policy-data, served under both
 * /nudr-dr/v1 (what Open5GS's UDM and PCF call) and /nudr-dr/v2 (free5GC's) from one set of handlers.
 */
import type { NfContext, NfModule } from '../sbi/ports.ts'
import { UdrStore } from './store.ts'
import { subscriptionDataHandlers } from './api/subscription-data.ts'
import { policyDataHandlers } from './api/policy-data.ts'
import { changeNotifier, subsToNotifyHandlers } from './api/subs-to-notify.ts'

export { UdrStore } from './store.ts'

export function createUdr(ctx: NfContext): NfModule {
  const udr = new UdrStore(ctx.store, { kek: ctx.config.security.kek })
  udr.onChangeHandlers.push(
    changeNotifier({ udr, outbox: ctx.outbox, log: ctx.log, clock: ctx.clock, apiRoot: ctx.apiRoot }),
  )
  return {
    name: 'udr',
    nfType: 'UDR',
    services: [
      {
        name: 'nudr-dr',
        spec: 'nudr-dr.yaml',
        basePaths: ['/nudr-dr/v1', '/nudr-dr/v2'],
        handlers: {
          ...subscriptionDataHandlers(udr),
          ...policyDataHandlers(udr),
          ...subsToNotifyHandlers(udr),
        },
      },
    ],
    profileInfo: { udrInfo: { supportedDataSets: ['SUBSCRIPTION', 'POLICY'] } },
    async start() {
      await udr.init(ctx.log)
    },
  }
}
