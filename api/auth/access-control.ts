import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import { PlatformError } from '../../models/errors.js'
import { isApiKeyToken, roleAtLeast } from '../../core/registry/api-key.js'
import type { FileApiKeys } from '../../core/registry/api-keys.js'
import { isPlatformAdmin, type Identity } from './identity.js'
import { accessOf } from './route-access.js'

export interface Authenticators {
  readonly keys: FileApiKeys
  /** Verifies a bearer token that is not an API key; absent when no OIDC issuer is configured. */
  readonly jwt?: (token: string) => Promise<Identity>
}

/**
 * Access control for the whole app, in three hooks so that no route can be left out:
 * `onRoute` refuses to register a route the access table does not list; `onRequest` reads the
 * credentials (refusing nothing yet, so that the rate limiter, which runs next, also slows down
 * anyone guessing keys); `preParsing` then refuses, before any body is read, every call the
 * route's access level does not allow.
 *
 * Wrapped with fastify-plugin so that it does not get a scope of its own: its hooks and request
 * decorations land on the instance registering it and reach every route registered after it,
 * in that instance and in every plugin below it.
 */
export const accessControl = fastifyPlugin<Authenticators>(async (app, auth) => addAccessControl(app, auth), { name: 'access-control', fastify: '5.x' })

function addAccessControl(app: FastifyInstance, auth: Authenticators): void {
  app.decorateRequest('identity', null)
  app.decorateRequest('authFailure', null)

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (accessOf(method, route.url) === undefined) throw new Error(`route ${method} ${route.url} has no entry in the access table (api/auth/route-access.ts)`)
    }
  })

  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request)
    if (token === undefined) return
    if (isApiKeyToken(token)) {
      const check = auth.keys.check(token)
      if (check.ok) request.identity = { subject: `key:${check.key.id}`, role: check.key.role, ...(check.key.tenant !== undefined ? { tenant: check.key.tenant } : {}) }
      else request.authFailure = `API key ${check.reason}`
      return
    }
    if (!auth.jwt) {
      request.authFailure = 'bearer token without an OIDC issuer configured'
      return
    }
    try {
      request.identity = await auth.jwt(token)
    } catch (error) {
      request.authFailure = `bearer token refused: ${(error as Error).message}`
    }
  })

  app.addHook('preParsing', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    enforce(request, reply)
    return payload
  })
}

function enforce(request: FastifyRequest, reply: FastifyReply): void {
  const url = request.routeOptions.url
  // No route matched: the not-found handler answers, whoever asks.
  if (url === undefined) return
  const access = accessOf(request.method, url)
  if (access === 'public') return
  if (request.authFailure !== null) {
    request.log.info({ reason: request.authFailure }, 'credentials refused')
    reply.header('www-authenticate', 'Bearer error="invalid_token"')
    throw new PlatformError('AUTH_INVALID', 'the credentials are invalid, expired or revoked')
  }
  const identity = request.identity
  if (identity === null) {
    reply.header('www-authenticate', 'Bearer')
    throw new PlatformError('AUTH_REQUIRED', 'this endpoint needs an API key or a bearer token: send "Authorization: Bearer <key>"')
  }
  const allowed = access === undefined ? false : access === 'platform' ? isPlatformAdmin(identity) : roleAtLeast(identity.role, access)
  if (!allowed) throw new PlatformError('ROLE_FORBIDDEN', `this endpoint needs the ${access ?? 'unknown'} role${access === 'platform' ? ' (a platform admin key)' : ' or higher'}`, { needed: access })
}

/** The token of `Authorization: Bearer <token>`; credentials anywhere else (query strings end up in logs) are ignored. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  const match = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header)
  return match ? match[1] : ''
}
