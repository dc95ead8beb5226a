import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AuditLog } from '../../../core/registry/audit-log.js'
import { FileApiKeys } from '../../../core/registry/api-keys.js'
import { bearer } from '../../support/api-auth.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

interface KeyBody {
  id: string
  name: string
  tenant?: string
  role: string
  createdAt: string
  createdBy: string
  expiresAt?: string
  revokedAt?: string
}

const dayMs = 86_400_000

describe('/v1/admin/keys', () => {
  let f: ApiFixture
  /** A tenant admin of alpha whose subject the answers and the audit log must name. */
  let alphaAdmin: { id: string; headers: { authorization: string } }

  beforeAll(async () => {
    f = await apiFixture()
    const { key, token } = new FileApiKeys(f.config.auth.apiKeysFile).create({ name: 'alpha admin', tenant: 'alpha', role: 'admin', createdBy: 'cli:test' })
    alphaAdmin = { id: key.id, headers: bearer(token) }
  })
  afterAll(() => f.close())

  const create = (headers: Record<string, string>, payload: Record<string, unknown>) => f.app.inject({ method: 'POST', url: '/v1/admin/keys', headers, payload })
  const error = (response: { json<T>(): T }) => response.json<{ error: { code: string; message: string; parameter?: string } }>().error
  const auditOf = (tenant?: string) => new AuditLog(f.config.auth.auditLogFile).read({ ...(tenant !== undefined ? { tenant } : {}), limit: 100 })

  test('a tenant admin creates a key of its own tenant, valid for 365 days by default, whose token works; the creation is audited', async () => {
    const before = Date.now()
    const response = await create(alphaAdmin.headers, { name: 'grafana', role: 'analyst' })
    expect(response.statusCode).toBe(201)
    const { key, token } = response.json<{ key: KeyBody; token: string }>()
    expect(key).toMatchObject({ name: 'grafana', tenant: 'alpha', role: 'analyst', createdBy: `key:${alphaAdmin.id}` })
    expect(key.revokedAt).toBeUndefined()
    const lifetime = Date.parse(key.expiresAt ?? '') - before
    expect(lifetime).toBeGreaterThanOrEqual(365 * dayMs - 1000)
    expect(lifetime).toBeLessThanOrEqual(365 * dayMs + 60_000)
    expect((await f.app.inject({ method: 'GET', url: '/v1/devices', headers: bearer(token) })).statusCode).toBe(200)
    // An analyst key reaches no admin route.
    expect((await f.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: bearer(token) })).statusCode).toBe(403)
    expect(auditOf('alpha')[0]).toMatchObject({ actor: `key:${alphaAdmin.id}`, action: 'key.create', tenant: 'alpha', target: key.id, details: { role: 'analyst', name: 'grafana', expiresAt: key.expiresAt } })
  })

  test('a tenant admin cannot create a key of another tenant', async () => {
    const response = await create(alphaAdmin.headers, { name: 'x', role: 'analyst', tenant: 'beta' })
    expect(response.statusCode).toBe(403)
    expect(error(response).code).toBe('TENANT_FORBIDDEN')
  })

  test('a platform admin must name the tenant of a key, or ask for a platform key', async () => {
    const unnamed = await create(f.admin, { name: 'x', role: 'analyst' })
    expect(unnamed.statusCode).toBe(400)
    expect(error(unnamed)).toMatchObject({ code: 'INVALID_PARAMETER', parameter: 'tenant' })
    const named = await create(f.admin, { name: 'beta ops', role: 'operator', tenant: 'beta', expiresInDays: 7 })
    expect(named.statusCode).toBe(201)
    const { key } = named.json<{ key: KeyBody }>()
    expect(key).toMatchObject({ tenant: 'beta', role: 'operator' })
    expect(Date.parse(key.expiresAt ?? '') - Date.parse(key.createdAt)).toBe(7 * dayMs)
  })

  test('a platform key is an admin key of no tenant, and only a platform admin can make one', async () => {
    const withTenant = await create(f.admin, { name: 'p', role: 'admin', platform: true, tenant: 'alpha' })
    expect(withTenant.statusCode).toBe(400)
    expect(error(withTenant)).toMatchObject({ code: 'INVALID_PARAMETER', parameter: 'tenant' })
    const notAdmin = await create(f.admin, { name: 'p', role: 'analyst', platform: true })
    expect(notAdmin.statusCode).toBe(400)
    expect(error(notAdmin)).toMatchObject({ code: 'INVALID_PARAMETER', parameter: 'role' })
    expect((await create(alphaAdmin.headers, { name: 'p', role: 'admin', platform: true })).statusCode).toBe(403)

    const created = await create(f.admin, { name: 'second operator', role: 'admin', platform: true })
    expect(created.statusCode).toBe(201)
    const { key, token } = created.json<{ key: KeyBody; token: string }>()
    expect(key.tenant).toBeUndefined()
    // Platform routes take it.
    expect((await f.app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) })).statusCode).toBe(200)
    const entry = auditOf().find((e) => e.target === key.id)
    expect(entry).toMatchObject({ action: 'key.create', details: { role: 'admin' } })
    expect(entry?.tenant).toBeUndefined()
  })

  test('the request body is checked: unknown fields, an empty name, a lifetime out of range', async () => {
    for (const [payload, parameter] of [
      [{ name: 'x', role: 'analyst', tenant: 'alpha', owner: 'me' }, 'owner'],
      [{ name: '', role: 'analyst', tenant: 'alpha' }, 'name'],
      [{ name: 'x', role: 'root', tenant: 'alpha' }, 'role'],
      [{ name: 'x', role: 'analyst', tenant: 'alpha', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'x', role: 'analyst', tenant: 'alpha', expiresInDays: 3651 }, 'expiresInDays'],
    ] as const) {
      const response = await create(f.admin, payload)
      expect(response.statusCode, parameter).toBe(400)
      expect(error(response), parameter).toMatchObject({ code: 'INVALID_PARAMETER', parameter })
    }
  })

  test('the list shows a tenant admin its own tenant\'s keys and a platform admin any tenant\'s, never a secret', async () => {
    const list = async (headers: Record<string, string>, query = '') => f.app.inject({ method: 'GET', url: `/v1/admin/keys${query}`, headers })
    const tenantsIn = async (headers: Record<string, string>, query = '') => new Set((await list(headers, query)).json<{ keys: KeyBody[] }>().keys.map((k) => k.tenant))
    expect(await tenantsIn(alphaAdmin.headers)).toEqual(new Set(['alpha']))
    expect(await tenantsIn(f.admin, '?tenant=beta')).toEqual(new Set(['beta']))
    expect(await tenantsIn(f.admin)).toEqual(new Set(['alpha', 'beta', undefined]))
    const forbidden = await list(alphaAdmin.headers, '?tenant=beta')
    expect(forbidden.statusCode).toBe(403)
    expect(error(forbidden).code).toBe('TENANT_FORBIDDEN')
    expect((await list(f.admin)).body).not.toMatch(/hash|sha256\$/)
  })

  test('revoking: another tenant\'s key is answered like a missing one; a revocation is audited with the key\'s tenant', async () => {
    // Created through the API, whose key file the revocation reads: another process's new key shows up there within a second.
    const betaKey = (await create(f.admin, { name: 'beta bot', tenant: 'beta', role: 'analyst' })).json<{ key: KeyBody }>()
    const foreign = await f.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${betaKey.key.id}`, headers: alphaAdmin.headers })
    const missing = await f.app.inject({ method: 'DELETE', url: '/v1/admin/keys/0123456789abcdef', headers: alphaAdmin.headers })
    expect(foreign.statusCode).toBe(404)
    expect(error(foreign)).toEqual({ code: 'KEY_UNKNOWN', message: `no API key "${betaKey.key.id}"` })
    expect(missing.statusCode).toBe(404)
    expect(error(missing)).toEqual({ code: 'KEY_UNKNOWN', message: 'no API key "0123456789abcdef"' })
    expect(new FileApiKeys(f.config.auth.apiKeysFile).get(betaKey.key.id)?.revokedAt).toBeUndefined()

    const revoked = await f.app.inject({ method: 'DELETE', url: `/v1/admin/keys/${betaKey.key.id}`, headers: f.admin })
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json<KeyBody>()).toMatchObject({ id: betaKey.key.id, tenant: 'beta' })
    expect(revoked.json<KeyBody>().revokedAt).toMatch(/^\d{4}-/)
    expect(auditOf('beta')[0]).toMatchObject({ action: 'key.revoke', tenant: 'beta', target: betaKey.key.id, details: { role: 'analyst', name: 'beta bot' } })
    expect((await f.app.inject({ method: 'DELETE', url: '/v1/admin/keys/not-an-id', headers: f.admin })).statusCode).toBe(400)
  })
})
