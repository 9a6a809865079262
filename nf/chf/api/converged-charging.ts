/** Nchf_ConvergedCharging handlers (TS 32.291): parse → ChargingService → SbiResponse. */
import { created, noContent, ok, problem, type OperationHandlers } from '../../sbi/types.ts'
import type { ChargingService } from '../charging.ts'
import type { ChargingDataRequest } from '../domain/session.ts'
import type { ChfStore } from '../store.ts'

export function convergedChargingHandlers(charging: ChargingService, store: ChfStore): OperationHandlers {
  return {
    ChargingDataCreate: async (req) => {
      const { ref, answer } = await charging.create(req.body as ChargingDataRequest)
      return created(`${req.apiRoot}${req.basePath}/chargingdata/${encodeURIComponent(ref)}`, answer)
    },
    ChargingDataUpdate: async (req) => ok(await charging.update(req.params.ChargingDataRef!, req.body as ChargingDataRequest)),
    ChargingDataRelease: async (req) => {
      await charging.release(req.params.ChargingDataRef!, req.body as ChargingDataRequest)
      return noContent()
    },
    // free5GC webconsole's top-up button (non-standard): re-authorise the UE's open sessions
    Recharging: async (req) => {
      const ueId = req.params.ueId!
      if (!(await store.getAccount(ueId))) throw problem(404, 'USER_UNKNOWN', `no account for ${ueId}`)
      const rg = req.query.ratingGroup !== undefined ? Number(req.query.ratingGroup) : undefined
      await charging.reauthorize(ueId, Number.isInteger(rg) ? rg : undefined)
      return noContent()
    },
  }
}
