/**
 * Stable NF instance ids. The free5GC NRF requires a UUID v4 (INTEROP §0.6) and both NRFs key the
 * profile by it, so a restarted NF must come back with the same id: we keep it in the store
 * (collection `nrfInstanceIds`, `_id` = NF name).
 */
import { randomUUID } from 'node:crypto'
import { DuplicateKeyError, type DocumentStore } from '../../store/port.ts'

export const INSTANCE_ID_COLLECTION = 'nrfInstanceIds'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

export function isUuidV4(s: string): boolean {
  return UUID_V4.test(s)
}

/**
 * The NF instance id of `nfName`: the configured one when given (it must be a UUID v4), else the
 * one stored on an earlier start, else a new random UUID v4 that is stored for the next start.
 */
export async function stableInstanceId(store: DocumentStore, nfName: string, configured?: string): Promise<string> {
  const coll = store.collection<{ _id: string; nfInstanceId: string }>(INSTANCE_ID_COLLECTION)
  if (configured) {
    if (!isUuidV4(configured)) throw new Error(`${nfName}.nfInstanceId must be a UUID v4 (free5GC's NRF rejects others): ${configured}`)
    const id = configured.toLowerCase()
    await coll.replaceOne({ _id: nfName }, { _id: nfName, nfInstanceId: id }, { upsert: true })
    return id
  }
  const existing = await coll.findOne({ _id: nfName })
  if (existing && isUuidV4(existing.nfInstanceId)) return existing.nfInstanceId
  const id = randomUUID()
  try {
    if (existing) await coll.replaceOne({ _id: nfName }, { _id: nfName, nfInstanceId: id })
    else await coll.insertOne({ _id: nfName, nfInstanceId: id })
  } catch (err) {
    // Another process of the same deployment (mvno start --workers) stored one first: use it.
    if (!(err instanceof DuplicateKeyError)) throw err
    const winner = await coll.findOne({ _id: nfName })
    if (winner) return winner.nfInstanceId
    throw err
  }
  return id
}
