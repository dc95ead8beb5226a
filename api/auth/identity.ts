import { PlatformError } from '../../models/errors.js'
import type { Role } from '../../core/registry/api-key.js'

/** Who is calling, once their credentials have been checked. */
export interface Identity {
  /** `key:<id>` for an API key, `token:<sub>` for a bearer token; what the audit log records. */
  readonly subject: string
  /** The tenant the caller belongs to; undefined for a platform admin. */
  readonly tenant?: string
  readonly role: Role
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook when valid credentials came with the request. */
    identity: Identity | null
    /** Set instead when credentials came but were refused; the reason is for logs only. */
    authFailure: string | null
  }
}

export function isPlatformAdmin(identity: Identity): boolean {
  return identity.tenant === undefined && identity.role === 'admin'
}

/** The caller of a route the access table guards; the hook has already refused anonymous calls. */
export function identityOf(request: { identity: Identity | null }): Identity {
  if (!request.identity) throw new PlatformError('AUTH_REQUIRED', 'this endpoint needs an API key or a bearer token')
  return request.identity
}
