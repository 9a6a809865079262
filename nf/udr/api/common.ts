/** Shared parsing and error mapping for the Nudr_DR handlers. */
import { problem, ProblemError, type SbiRequest } from '../../sbi/types.ts'
import { NotFoundError } from '../store.ts'
import { PatchError } from '../domain/json-patch.ts'
import { q, jsonQuery, snssaiQuery, objectBody } from '../../sbi/query.ts'

export { q, jsonQuery, snssaiQuery, objectBody }


/** Maps the repository's typed errors to ProblemDetails; anything else stays a 500. */
export function mapError(err: unknown, notFoundCause?: string): never {
  if (err instanceof NotFoundError) {
    const cause = notFoundCause && err.cause3gpp !== 'USER_NOT_FOUND' ? notFoundCause : err.cause3gpp
    throw problem(404, cause, err.message)
  }
  if (err instanceof PatchError) {
    if (err.kind === 'TEST_FAILED') throw new ProblemError(409, 'MODIFICATION_NOT_ALLOWED', `json-patch test failed: ${err.message}`)
    throw problem(400, 'MANDATORY_IE_INCORRECT', err.message)
  }
  throw err
}

export async function guard<T>(fn: () => Promise<T>, notFoundCause?: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    mapError(err, notFoundCause)
  }
}

export const pduSessionIdParam = (req: SbiRequest): number => {
  const n = Number(req.params.pduSessionId)
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw problem(400, 'MANDATORY_IE_INCORRECT', 'pduSessionId must be 0..255', [{ param: 'pduSessionId', reason: 'integer 0..255' }])
  return n
}
