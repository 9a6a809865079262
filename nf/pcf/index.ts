/**
 * PCF: Npcf_SMPolicyControl and Npcf_AMPolicyControl, with policy from the UDR's policy-data and the
 * plan's profile, spending limits from the CHF, and live changes pushed to SMFs and AMFs
 * (nf/pcf/README.md). Wires the rooms, nothing else.
 */
import type { NfContext, NfModule } from '../sbi/ports.ts'
import { every, type Periodic } from '../sbi/periodic.ts'
import { AmPolicyService } from './am-policies.ts'
import { amPolicyHandlers } from './api/am-policy.ts'
import { callbackHandlers } from './api/callbacks.ts'
import { smPolicyHandlers } from './api/sm-policy.ts'
import { nchfSpendingLimit } from './clients/nchf-spendinglimitcontrol.ts'
import { nudrDr } from './clients/nudr-dr.ts'
import { PeerSubscriptions, type PeerSubscriptionOptions } from './peer-subscriptions.ts'
import { SmPolicyService } from './sm-policies.ts'
import { PcfStore } from './store.ts'

export type PcfOptions = PeerSubscriptionOptions

export interface PcfModule extends NfModule {
  sm: SmPolicyService
  am: AmPolicyService
}

export function createPcf(ctx: NfContext, opts: PcfOptions = {}): PcfModule {
  const store = new PcfStore(ctx.store)
  const udr = nudrDr(ctx)
  const lingerSec = ctx.config.pcf.subscriptionLingerSec
  const subs = new PeerSubscriptions(ctx, store, udr, nchfSpendingLimit(ctx), { ...(lingerSec !== undefined ? { subscriptionLingerMs: lingerSec * 1000 } : {}), ...opts })
  const sm = new SmPolicyService(ctx, store, udr, subs)
  const am = new AmPolicyService(ctx, store, udr, subs)
  subs.onRevived = async (supi) => {
    await subs.ensureUdr(supi)
    await sm.reevaluate(supi, 'resubscribed')
    await am.reevaluate(supi)
  }
  const terminatedGraceMs = (ctx.config.pcf.terminatedAssociationSec ?? 300) * 1000
  let purger: Periodic | undefined
  return {
    name: 'pcf',
    nfType: 'PCF',
    sm,
    am,
    services: [
      { name: 'npcf-smpolicycontrol', spec: 'npcf-smpolicycontrol.yaml', handlers: smPolicyHandlers(sm) },
      { name: 'npcf-am-policy-control', spec: 'npcf-am-policy-control.yaml', handlers: amPolicyHandlers(am) },
      // Our own UDR and CHF call these; they are not 3GPP services with an OAuth2 scope of their own.
      { name: 'npcf-callback', spec: 'npcf-callbacks.yaml', handlers: callbackHandlers({ sm, am, subs }), noAuth: true },
    ],
    profileInfo: { pcfInfo: { dnnList: ctx.config.dnns } },
    async start() {
      await store.init()
      subs.start()
      if (terminatedGraceMs > 0) {
        purger = every(
          Math.min(60_000, Math.max(1000, terminatedGraceMs / 2)),
          async () => {
            const n = await sm.purgeTerminated(terminatedGraceMs)
            if (n) ctx.log.info({ deleted: n }, 'terminated SM policy associations the SMF left behind deleted')
          },
          (err) => ctx.log.warn({ err }, 'purging terminated SM policy associations failed'),
        )
      }
    },
    async stop() {
      await purger?.stop()
      await subs.stop()
    },
  }
}
