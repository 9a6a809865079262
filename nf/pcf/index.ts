/**
 * PCF: Npcf_SMPolicyControl and Npcf_AMPolicyControl, with policy from the UDR's policy-data and the
 * plan's profile, spending limits from the CHF, and live changes pushed to SMFs and AMFs
 * (nf/pcf/README.md). Wires the rooms, nothing else.
 */
import type { NfContext, NfModule } from '../sbi/ports.ts'
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

export function createPcf(ctx: NfContext, opts: PcfOptions = {}): NfModule {
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
  return {
    name: 'pcf',
    nfType: 'PCF',
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
    },
    async stop() {
      await subs.stop()
    },
  }
}
