import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessControl } from '../../../api/auth/access-control.js'
import type { Identity } from '../../../api/auth/identity.js'
import { errorHandler, notFoundHandler } from '../../../api/errors.js'
import { FileApiKeys } from '../../../core/registry/api-keys.js'
import { bearer } from '../../support/api-auth.js'

/**
 * The access control plugin on an app of its own, guarding routes of the access table that are
 * declared in plugins registered after it, as the API's route modules are.
 */

const jwtIdentity: Identity = { subject: 'token:ops', role: 'operator', tenant: 'alpha' }

let directory: string
let keys: FileApiKeys
let app: FastifyInstance

function appWith(jwt?: (token: string) => Promise<Identity>): FastifyInstance {
  const built = Fastify()
  built.setErrorHandler(errorHandler)
  built.setNotFoundHandler(notFoundHandler)
  void built.register(accessControl, { keys, ...(jwt ? { jwt } : {}) })
  return built
}

/** Routes of the access table in a scope of their own, each answering with the caller it saw. */
async function tableRoutes(scope: FastifyInstance): Promise<void> {
  const caller = async (request: { identity: Identity | null }) => ({ identity: request.identity })
  scope.get('/health', caller)
  scope.get('/v1/devices', caller)
  scope.post('/v1/devices', caller)
  scope.get('/metrics', caller)
  await scope.register(async (nested) => {
    nested.get('/v1/admin/audit', caller)
  })
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'circular-access-control-'))
  keys = new FileApiKeys(join(directory, 'api-keys.json'))
  app = appWith(async (token) => {
    if (token === 'good.jwt.token') return jwtIdentity
    throw new Error('signature verification failed')
  })
  await app.register(tableRoutes)
  await app.ready()
})
afterAll(async () => {
  await app.close()
  rmSync(directory, { recursive: true, force: true })
})

const key = (role: 'analyst' | 'operator' | 'admin', tenant?: string): { id: string; headers: { authorization: string } } => {
  const { key: view, token } = keys.create({ name: 'test', role, createdBy: 'cli:test', ...(tenant !== undefined ? { tenant } : {}) })
  return { id: view.id, headers: bearer(token) }
}

describe('access control as a plugin', () => {
  it('should guard the routes of plugins registered after it, nested ones included', async () => {
    for (const url of ['/v1/devices', '/metrics', '/v1/admin/audit']) {
      const response = await app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(401)
      expect(response.json(), url).toMatchObject({ error: { code: 'AUTH_REQUIRED' } })
      expect(response.headers['www-authenticate'], url).toBe('Bearer')
    }
  })

  it('should hand the verified caller to the routes of those plugins', async () => {
    const analyst = key('analyst', 'alpha')
    const response = await app.inject({ method: 'GET', url: '/v1/devices', headers: analyst.headers })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ identity: { subject: `key:${analyst.id}`, role: 'analyst', tenant: 'alpha' } })
  })

  it('should refuse to register a route in such a plugin that the access table does not list', async () => {
    const incomplete = appWith()
    void incomplete.register(async (scope) => {
      scope.get('/v1/forgotten', async () => 'open')
    })
    await expect(incomplete.ready()).rejects.toThrow(/route GET \/v1\/forgotten has no entry in the access table/)
    await incomplete.close().catch(() => undefined)
  })
})

describe('access levels', () => {
  it('should let anyone call a public route, even with refused credentials', async () => {
    for (const headers of [{}, { authorization: 'Bearer ck_nonsense' }]) {
      const response = await app.inject({ method: 'GET', url: '/health', headers })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ identity: null })
    }
  })

  it('should refuse a role below the route\'s with 403 ROLE_FORBIDDEN naming the role needed', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/admin/audit', headers: key('operator', 'alpha').headers })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({ error: { code: 'ROLE_FORBIDDEN', message: 'this endpoint needs the admin role or higher' } })
  })

  it('should keep platform routes to platform admins: a tenant\'s admin is refused', async () => {
    const tenantAdmin = await app.inject({ method: 'GET', url: '/metrics', headers: key('admin', 'alpha').headers })
    expect(tenantAdmin.statusCode).toBe(403)
    expect(tenantAdmin.json()).toEqual({ error: { code: 'ROLE_FORBIDDEN', message: 'this endpoint needs the platform role (a platform admin key)' } })
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: key('admin').headers })).statusCode).toBe(200)
  })

  it('should refuse before the body is read, so a refused caller learns nothing from parsing', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/devices', headers: { ...key('analyst', 'alpha').headers, 'content-type': 'application/json' }, payload: '{"not json' })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ error: { code: 'ROLE_FORBIDDEN' } })
  })

  it('should leave a request no route matches to the not-found handler', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/nowhere' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ error: { code: 'ROUTE_UNKNOWN' } })
  })
})

describe('credentials', () => {
  it('should refuse a revoked or unknown API key with 401 AUTH_INVALID and say the token is invalid', async () => {
    const revoked = key('admin', 'alpha')
    keys.revoke(revoked.id)
    for (const headers of [revoked.headers, { authorization: `Bearer ck_${'0'.repeat(16)}_${'A'.repeat(43)}` }]) {
      const response = await app.inject({ method: 'GET', url: '/v1/devices', headers })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual({ error: { code: 'AUTH_INVALID', message: 'the credentials are invalid, expired or revoked' } })
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
    }
  })

  it('should take a bearer token that is not an API key as a token for the OIDC verifier', async () => {
    const accepted = await app.inject({ method: 'GET', url: '/v1/devices', headers: bearer('good.jwt.token') })
    expect(accepted.statusCode).toBe(200)
    expect(accepted.json()).toEqual({ identity: jwtIdentity })
    const refused = await app.inject({ method: 'GET', url: '/v1/devices', headers: bearer('forged.jwt.token') })
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({ error: { code: 'AUTH_INVALID' } })
  })

  it('should refuse such a token when no OIDC issuer is configured', async () => {
    const withoutOidc = appWith()
    await withoutOidc.register(tableRoutes)
    const response = await withoutOidc.inject({ method: 'GET', url: '/v1/devices', headers: bearer('good.jwt.token') })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toMatchObject({ error: { code: 'AUTH_INVALID' } })
    await withoutOidc.close()
  })

  it('should read credentials from the Authorization header only, and refuse other schemes', async () => {
    const { headers } = key('admin')
    const token = headers.authorization.slice('Bearer '.length)
    const inQuery = await app.inject({ method: 'GET', url: `/v1/devices?access_token=${token}` })
    expect(inQuery.statusCode).toBe(401)
    expect(inQuery.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } })
    const basic = await app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` } })
    expect(basic.statusCode).toBe(401)
    expect(basic.json()).toMatchObject({ error: { code: 'AUTH_INVALID' } })
  })
})
