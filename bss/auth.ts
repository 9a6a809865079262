/**
 * Access: a bearer JWT (HS256 with config.bss.jwtSecret, or RS256/ES256 when the secret is a PEM
 * public key; claims `role` and `sub`) or an X-API-Key from config.bss.apiKeys.
 */
import type { NextFunction, Request, Response } from 'express'
import { importSPKI, jwtVerify, type CryptoKey, type KeyObject } from 'jose'
import { timingSafeEqual } from 'node:crypto'
import type { MvnoConfig } from '../config/schema.ts'
import { BssError, forbidden, unauthorized } from './errors.ts'

export type Role = 'admin' | 'care' | 'selfcare'
export interface Principal {
  role: Role
  sub: string
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal
  }
}

const ROLES: Role[] = ['admin', 'care', 'selfcare']

export function authMiddleware(bss: MvnoConfig['bss']) {
  let keyP: Promise<Uint8Array | CryptoKey | KeyObject> | undefined
  const pem = bss.jwtSecret.includes('-----BEGIN')
  const getKey = () =>
    (keyP ??= pem
      ? importSPKI(bss.jwtSecret, bss.jwtSecret.includes('EC') ? 'ES256' : 'RS256')
      : Promise.resolve(new TextEncoder().encode(bss.jwtSecret)))
  const apiKeys = Object.entries(bss.apiKeys ?? {})
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const apiKey = req.header('x-api-key')
      const authz = req.header('authorization')
      if (apiKey) {
        const hit = apiKeys.find(([k]) => k.length === apiKey.length && timingSafeEqual(Buffer.from(k), Buffer.from(apiKey)))
        if (!hit) throw unauthorized('unknown API key')
        req.principal = { role: hit[1].role, sub: hit[1].subject ?? `apikey:${hit[0].slice(0, 4)}…` }
        return next()
      }
      if (!authz) throw unauthorized()
      const m = /^Bearer\s+(.+)$/i.exec(authz)
      if (!m) throw unauthorized('Authorization must be "Bearer <jwt>"')
      let payload
      try {
        ;({ payload } = await jwtVerify(m[1]!, await getKey(), { algorithms: pem ? ['RS256', 'ES256'] : ['HS256'] }))
      } catch (e) {
        throw unauthorized(`invalid token: ${(e as Error).message}`)
      }
      const role = payload.role as Role
      if (!ROLES.includes(role)) throw new BssError(403, 'FORBIDDEN', `token role must be one of ${ROLES.join(', ')}`)
      if (typeof payload.sub !== 'string' || !payload.sub) throw unauthorized('token has no sub')
      req.principal = { role, sub: payload.sub }
      next()
    } catch (e) {
      next(e)
    }
  }
}

/** Route guard: the principal's role must be one of `roles`. */
export function allow(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.principal) return next(unauthorized())
    if (!roles.includes(req.principal.role)) return next(forbidden(`role ${req.principal.role} may not ${req.method} ${req.baseUrl}${req.route?.path ?? ''}`))
    next()
  }
}
