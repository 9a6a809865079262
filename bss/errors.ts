/**
 * The BSS error shape (TMF630 Error: code, reason, message, status) plus `field` naming the offending
 * input. Domain and route code throw BssError; the error middleware in index.ts writes it.
 */
export class BssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'BssError'
  }
  toJSON(): Record<string, unknown> {
    const reason = REASONS[this.status] ?? 'Error'
    return {
      code: this.code,
      reason,
      message: this.message,
      status: String(this.status),
      ...(this.field ? { field: this.field } : {}),
      '@type': 'Error',
    }
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

export const badRequest = (field: string, message: string, code = 'INVALID_FIELD') =>
  new BssError(400, code, message.includes(field) ? message : `${field}: ${message}`, field)
export const notFound = (what: string, id: string) => new BssError(404, 'NOT_FOUND', `${what} ${id} not found`)
export const conflict = (message: string, code = 'CONFLICT', field?: string) => new BssError(409, code, message, field)
export const forbidden = (message = 'this role may not do that') => new BssError(403, 'FORBIDDEN', message)
export const unauthorized = (message = 'a bearer token or X-API-Key is required') => new BssError(401, 'UNAUTHORIZED', message)
