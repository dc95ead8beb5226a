import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import Fastify from 'fastify'
import { accessControl } from '../../api/auth/access-control.js'
import { routeAccess, type Access } from '../../api/auth/route-access.js'
import { FileApiKeys } from '../../core/registry/api-keys.js'
import { apiFixture, type ApiFixture } from '../api/api-fixture.js'

/** One concrete request per route of the access table; a route added without one fails below. */
const samples: Record<string, { url: string; body?: Record<string, unknown> }> = {
  'GET /': { url: '/' },
  'GET /web/*': { url: '/web/main.js' },
  'GET /health': { url: '/health' },
  'GET /openapi.json': { url: '/openapi.json' },
  'GET /v1/open/:tenant/metrics': { url: '/v1/open/alpha/metrics' },
  'GET /v1/open/:tenant/footprint': { url: '/v1/open/alpha/footprint?metric=recycling_rate' },
  'GET /metrics': { url: '/metrics' },
  'GET /v1/devices': { url: '/v1/devices' },
  // Admin of alpha registers it; the platform admin then finds the id taken (409).
  'POST /v1/devices': { url: '/v1/devices', body: { id: 'roles-bin', tenant: 'alpha', site: 'north', kind: 'generic' } },
  'DELETE /v1/devices/:id': { url: '/v1/devices/no-such-bin' },
  'GET /v1/devices/:id/latest': { url: '/v1/devices/a-bin/latest' },
  'GET /v1/devices/:id/readings': { url: '/v1/devices/a-bin/readings' },
  'GET /v1/devices/:id/status': { url: '/v1/devices/a-bin/status' },
  'GET /v1/devices/:id/commands': { url: '/v1/devices/a-bin/commands' },
  'POST /v1/devices/:id/commands': { url: '/v1/devices/a-bin/commands', body: { command: 'ping' } },
  'GET /v1/footprint': { url: '/v1/footprint?metric=recycling_rate&tenant=alpha' },
  'GET /v1/sites/:id/kpis': { url: '/v1/sites/north/kpis?tenant=alpha' },
  'GET /v1/containers/forecast': { url: '/v1/containers/forecast?tenant=alpha' },
  'GET /v1/alerts': { url: '/v1/alerts?tenant=alpha' },
  'GET /v1/alerts/:id': { url: '/v1/alerts/zzzzzz-0123456789abcdef' },
  'POST /v1/alerts/:id/ack': { url: '/v1/alerts/zzzzzz-0123456789abcdef/ack', body: { by: 'crew' } },
  'GET /v1/alerts/rules': { url: '/v1/alerts/rules?tenant=alpha' },
  'PUT /v1/alerts/rules': { url: '/v1/alerts/rules?tenant=alpha', body: { kinds: { waste_container: { fill: { threshold: 0.75 } } } } },
  'GET /v1/admin/keys': { url: '/v1/admin/keys' },
  'POST /v1/admin/keys': { url: '/v1/admin/keys', body: { name: 'n', role: 'analyst', tenant: 'alpha' } },
  'DELETE /v1/admin/keys/:id': { url: '/v1/admin/keys/0123456789abcdef' },
  'GET /v1/admin/audit': { url: '/v1/admin/audit' },
}

type Caller = 'anonymous' | 'analyst' | 'operator' | 'admin' | 'platform'
const callers: readonly Caller[] = ['anonymous', 'analyst', 'operator', 'admin', 'platform']
const rank: Record<Caller, number> = { anonymous: 0, analyst: 1, operator: 2, admin: 3, platform: 4 }
const needed: Record<Access, number> = { public: 0, analyst: 1, operator: 2, admin: 3, platform: 4 }

describe('access control: every route × every role', () => {
  let f: ApiFixture
  let headers: Record<Caller, Record<string, string>>

  beforeAll(async () => {
    f = await apiFixture({ commands: true })
    headers = { anonymous: {}, analyst: f.as('analyst', 'alpha'), operator: f.as('operator', 'alpha'), admin: f.as('admin', 'alpha'), platform: f.admin }
  })
  afterAll(() => f.close())

  test('the sample table and the access table name the same routes, and the OpenAPI paths are all in it', async () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(routeAccess).sort())
    const document = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>()
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) expect(routeAccess, `${method} ${path}`).toHaveProperty([`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`])
    }
  })

  for (const [route, access] of Object.entries(routeAccess)) {
    test(`${route} (${access})`, async () => {
      const method = route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'DELETE'
      const sample = samples[route]!
      for (const caller of callers) {
        const response = await f.app.inject({ method, url: sample.url, headers: headers[caller], ...(sample.body !== undefined ? { payload: sample.body } : {}) })
        const where = `${caller} ${route}`
        if (rank[caller] >= needed[access]) {
          expect([401, 403, 500], where).not.toContain(response.statusCode)
        } else if (caller === 'anonymous') {
          expect(response.statusCode, where).toBe(401)
          expect(response.json(), where).toMatchObject({ error: { code: 'AUTH_REQUIRED' } })
          expect(response.headers['www-authenticate'], where).toBe('Bearer')
        } else {
          expect(response.statusCode, where).toBe(403)
          expect(response.json(), where).toMatchObject({ error: { code: 'ROLE_FORBIDDEN' } })
        }
      }
    })
  }

  test('every route that needs credentials lists 401 and 403 in the OpenAPI document', async () => {
    const document = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>()
    const guarded = Object.entries(routeAccess).filter(([route, access]) => access !== 'public' && /^(GET|POST|PUT|DELETE) \/v1\/(devices|alerts|admin)/.test(route))
    expect(guarded.length).toBeGreaterThanOrEqual(13)
    for (const [route] of guarded) {
      const [method, url] = route.split(' ') as [string, string]
      const responses = document.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]?.responses
      expect(Object.keys(responses ?? {}), route).toEqual(expect.arrayContaining(['401', '403']))
    }
  })

  test('building an app with a route missing from the access table fails', async () => {
    const app = Fastify()
    await app.register(accessControl, { keys: new FileApiKeys(`${f.config.stateDir}/unused-keys.json`) })
    expect(() => app.get('/v1/forgotten', async () => 'open')).toThrow(/no entry in the access table/)
    await app.close()
  })
})

describe('API keys: expired, revoked, malformed', () => {
  let f: ApiFixture
  beforeAll(async () => {
    f = await apiFixture()
  })
  afterAll(() => f.close())

  const devices = (authorization: string) => f.app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization } })

  test('an expired key is refused with 401 AUTH_INVALID', async () => {
    const keys = new FileApiKeys(f.config.auth.apiKeysFile)
    const { token } = keys.create({ name: 'short', tenant: 'alpha', role: 'analyst', createdBy: 'cli:test', expiresAt: Date.now() - 1 })
    const response = await devices(`Bearer ${token}`)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toEqual({ error: { code: 'AUTH_INVALID', message: 'the credentials are invalid, expired or revoked' } })
    expect(response.headers['www-authenticate']).toContain('invalid_token')
  })

  test('a key works until it is revoked through the API, then is refused; the revocation is audited', async () => {
    const created = await f.app.inject({ method: 'POST', url: '/v1/admin/keys', headers: f.admin, payload: { name: 'grafana', role: 'analyst', tenant: 'alpha', expiresInDays: 30 } })
    expect(created.statusCode).toBe(201)
    const { key, token } = created.json<{ key: { id: string; expiresAt: string }; token: string }>()
    expect(Date.parse(key.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000)
    expect((await devices(`Bearer ${token}`)).statusCode).toBe(200)

    // The token is never shown again: not in the key list, not in the audit log.
    const list = await f.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: f.admin })
    expect(list.body).toContain(key.id)
    expect(list.body).not.toContain(token.slice(20))
    expect(list.body).not.toContain('sha256$')

    const revoked = await f.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${key.id}`, headers: f.admin })
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json<{ id: string; revokedAt?: string }>().id).toBe(key.id)
    expect(revoked.json<{ revokedAt?: string }>().revokedAt).toMatch(/^\d{4}-/)
    expect((await devices(`Bearer ${token}`)).statusCode).toBe(401)

    const audit = (await f.app.inject({ method: 'GET', url: '/v1/admin/audit?tenant=alpha', headers: f.admin })).json<{ entries: { action: string; target: string; actor: string }[] }>()
    expect(audit.entries.map((e) => `${e.action} ${e.target}`)).toEqual([`key.revoke ${key.id}`, `key.create ${key.id}`])
    expect(audit.entries[0]!.actor).toMatch(/^key:[0-9a-f]{16}$/)
    expect(JSON.stringify(audit)).not.toContain(token)
  })

  test('a tenant admin manages only its own tenant\'s keys and cannot mint platform keys', async () => {
    const alphaAdmin = f.as('admin', 'alpha')
    const betaKey = new FileApiKeys(f.config.auth.apiKeysFile).create({ name: 'b', tenant: 'beta', role: 'analyst', createdBy: 'cli:test' })
    expect((await f.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${betaKey.key.id}`, headers: alphaAdmin })).statusCode).toBe(404)
    expect((await devices(`Bearer ${betaKey.token}`)).statusCode).toBe(200)
    const platform = await f.app.inject({ method: 'POST', url: '/v1/admin/keys', headers: alphaAdmin, payload: { name: 'p', role: 'admin', platform: true } })
    expect(platform.statusCode).toBe(403)
    const listed = (await f.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: alphaAdmin })).json<{ keys: { tenant?: string }[] }>()
    expect(new Set(listed.keys.map((k) => k.tenant))).toEqual(new Set(['alpha']))
  })

  test('malformed, unknown and wrong-secret keys and other schemes are refused alike', async () => {
    const good = new FileApiKeys(f.config.auth.apiKeysFile).create({ name: 'g', tenant: 'alpha', role: 'analyst', createdBy: 'cli:test' }).token
    const wrongSecret = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    for (const authorization of [`Bearer ${wrongSecret}`, 'Bearer ck_0123456789abcdef_' + 'A'.repeat(43), 'Bearer ck_short', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer not.a.jwt', 'Bearer']) {
      const response = await devices(authorization)
      expect(response.statusCode, authorization).toBe(401)
      expect(response.json<{ error: { code: string } }>().error.code, authorization).toBe('AUTH_INVALID')
    }
    // A key in the query string is not a credential (it would land in access logs).
    const inQuery = await f.app.inject({ method: 'GET', url: `/v1/devices?access_token=${good}` })
    expect(inQuery.statusCode).toBe(401)
    expect(inQuery.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } })
  })
})
