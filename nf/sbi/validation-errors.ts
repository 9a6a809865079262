/**
 * Maps openapi-backend (ajv) validation errors to TS 29.500 §5.2.7.2 ProblemDetails:
 * a missing body IE → 400 MANDATORY_IE_MISSING, a wrong one → 400 MANDATORY_IE_INCORRECT,
 * query parameters → MANDATORY_QUERY_PARAM_MISSING / INVALID_QUERY_PARAM, each with invalidParams.
 */
import type { ErrorObject } from 'ajv'
import { ProblemError, type InvalidParam } from './types.ts'

export function problemFromValidation(errors: ErrorObject[]): ProblemError {
  const invalid: InvalidParam[] = []
  let cause = 'MANDATORY_IE_INCORRECT'
  let rank = 0
  for (const e of errors) {
    const [, where, ...rest] = e.instancePath.split('/')
    let pointer = rest.length ? `/${rest.join('/')}` : ''
    const missing = e.keyword === 'required' ? String((e.params as { missingProperty?: string }).missingProperty) : undefined
    if (missing) pointer = `${pointer}/${missing}`
    if (where === 'query' || where === 'path' || where === 'header') {
      const c = missing ? 'MANDATORY_QUERY_PARAM_MISSING' : 'INVALID_QUERY_PARAM'
      if (rank < 2) {
        cause = c
        rank = 2
      }
      invalid.push({ param: pointer.replace(/^\//, '') || where, reason: e.message ?? e.keyword })
      continue
    }
    if (missing && rank < 1) {
      cause = 'MANDATORY_IE_MISSING'
      rank = 1
    }
    invalid.push({ param: pointer || '/', reason: missing ? 'missing' : (e.message ?? e.keyword) })
  }
  const detail = invalid.map((p) => `${p.param}: ${p.reason}`).join('; ') || 'invalid request'
  return new ProblemError(400, cause, detail, { invalidParams: invalid })
}
