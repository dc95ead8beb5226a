import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { verifySecret } from '../../../core/registry/secret.js'
import { addDevice, apiFixture, type ApiFixture } from '../api-fixture.js'

interface Registered {
  device: Record<string, unknown> & { id: string; tenant: string; apiKey: string }
  credentials: { deviceId: string; username: string; clientId: string; secret: string; topics: Record<string, string> }
}

interface AuditEntries {
  entries: { action: string; target: string; actor: string; tenant?: string }[]
}

describe('POST /v1/devices and DELETE /v1/devices/:id: devices managed by admins', () => {
  let f: ApiFixture
  let alphaAdmin: { authorization: string }

  beforeAll(async () => {
    f = await apiFixture()
    // alpha may register three devices, every other tenant the built-in 10 000.
    writeFileSync(f.config.auth.tenantsFile, JSON.stringify({ version: 1, tenants: { alpha: { limits: { maxDevices: 3 } } } }))
    alphaAdmin = f.as('admin', 'alpha')
  })
  afterAll(() => f.close())

  const register = (headers: Record<string, string>, payload: Record<string, unknown>) => f.app.inject({ method: 'POST', url: '/v1/devices', headers, payload })
  const audit = async (tenant: string): Promise<AuditEntries> => (await f.app.inject({ method: 'GET', url: `/v1/admin/audit?tenant=${tenant}`, headers: f.admin })).json<AuditEntries>()

  test("a tenant admin registers a device in its own tenant and gets the secret once; only the secret's hash is stored; the registration is audited", async () => {
    const response = await register(alphaAdmin, {
      id: 'alpha-bin-1',
      site: 'north',
      kind: 'waste_container',
      format: 'senml',
      location: { type: 'Point', coordinates: [4.42, 51.21] },
      fullnessThreshold: 0.75,
    })
    expect(response.statusCode).toBe(201)
    const body = response.json<Registered>()
    expect(body.device).toMatchObject({ id: 'alpha-bin-1', tenant: 'alpha', site: 'north', kind: 'waste_container', format: 'senml', apiKey: 'alpha', fullnessThreshold: 0.75 })
    expect(body.device).not.toHaveProperty('secretHash')
    expect(body.credentials).toMatchObject({ deviceId: 'alpha-bin-1', username: 'alpha-bin-1', clientId: 'alpha-bin-1' })
    expect(body.credentials.topics.iotAgentJson).toBe('/json/alpha/alpha-bin-1/attrs')
    expect(body.credentials.secret).toMatch(/^[A-Za-z0-9_-]{32}$/)

    const stored = f.registry.get('alpha-bin-1')!
    expect(stored.secretHash).toMatch(/^sha256\$/)
    expect(await verifySecret(body.credentials.secret, stored.secretHash)).toBe(true)

    const listed = await f.app.inject({ method: 'GET', url: '/v1/devices', headers: alphaAdmin })
    expect(listed.json<{ devices: { id: string }[] }>().devices.map((d) => d.id)).toEqual(['alpha-bin-1'])
    expect(listed.body).not.toContain(body.credentials.secret)

    const entries = (await audit('alpha')).entries
    expect(entries[0]).toMatchObject({ action: 'device.add', target: 'alpha-bin-1', tenant: 'alpha' })
    expect(entries[0]!.actor).toMatch(/^key:[0-9a-f]{16}$/)
    expect(JSON.stringify(entries)).not.toContain(body.credentials.secret)
  })

  test("a tenant admin cannot register into another tenant; a platform admin must name the tenant and may name any", async () => {
    const foreign = await register(alphaAdmin, { id: 'sneaky', tenant: 'beta', site: 'north', kind: 'generic' })
    expect(foreign.statusCode).toBe(403)
    expect(foreign.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })

    const unnamed = await register(f.admin, { id: 'beta-meter', site: 'south', kind: 'energy_meter' })
    expect(unnamed.statusCode).toBe(400)
    expect(unnamed.json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'tenant' } })

    const named = await register(f.admin, { id: 'beta-meter', tenant: 'beta', site: 'south', kind: 'energy_meter', apiKey: 'beta-key' })
    expect(named.statusCode).toBe(201)
    expect(named.json<Registered>().device).toMatchObject({ tenant: 'beta', apiKey: 'beta-key', format: 'auto' })
    expect(f.registry.get('sneaky')).toBeUndefined()
  })

  test('the registration is checked like the CLI\'s: invalid fields and unknown fields are refused naming the field, and a taken id is a conflict', async () => {
    for (const [payload, parameter, fragment] of [
      [{ id: 'bad-fill', site: 'north', kind: 'waste_container', fullnessThreshold: 1.5 }, 'fullnessThreshold', 'body field "fullnessThreshold"'],
      [{ id: "x' OR 1=1", site: 'north', kind: 'generic' }, 'id', 'body field "id"'],
      [{ id: 'bad-kind', site: 'north', kind: 'toaster' }, 'kind', 'body field "kind"'],
      [{ id: 'bad-where', site: 'north', kind: 'generic', location: { type: 'Point', coordinates: [200, 51] } }, 'location', 'body field "location.coordinates.0"'],
      [{ id: 'with-hash', site: 'north', kind: 'generic', secretHash: 'scrypt$1$1$1$a$b' }, 'secretHash', 'unknown body field "secretHash"'],
    ] as const) {
      const response = await register(alphaAdmin, payload)
      expect(response.statusCode, JSON.stringify(payload)).toBe(400)
      const { error } = response.json<{ error: { code: string; parameter: string; message: string } }>()
      expect(error.code).toBe('INVALID_PARAMETER')
      expect(error.parameter).toBe(parameter)
      expect(error.message).toContain(fragment)
    }
    const taken = await register(alphaAdmin, { id: 'alpha-bin-1', site: 'north', kind: 'generic' })
    expect(taken.statusCode).toBe(409)
    expect(taken.json()).toEqual({ error: { code: 'DEVICE_EXISTS', message: 'device "alpha-bin-1" is already registered' } })
  })

  test("an API key spelled like a protocol prefix, or another tenant's, is refused with 409 API_KEY_TAKEN, which does not say whose it is", async () => {
    const gamma = f.as('admin', 'gamma')
    for (const apiKey of ['json', 'ul', 'beta-key', 'alpha']) {
      const refused = await register(gamma, { id: `gamma-${apiKey}`, site: 'east', kind: 'generic', apiKey })
      expect(refused.statusCode, apiKey).toBe(409)
      const { error } = refused.json<{ error: { code: string; parameter: string; message: string } }>()
      expect([error.code, error.parameter]).toEqual(['API_KEY_TAKEN', 'apiKey'])
      expect(error.message).toMatch(apiKey === 'json' || apiKey === 'ul' ? /protocol prefix/ : /belongs to another tenant/)
      expect(error.message).not.toContain('"beta"')
      expect(f.registry.get(`gamma-${apiKey}`)).toBeUndefined()
    }
    expect((await register(gamma, { id: 'gamma-own', site: 'east', kind: 'generic', apiKey: 'gamma-key' })).statusCode).toBe(201)
  })

  test("a tenant at its maxDevices is refused with 409 TENANT_LIMIT_REACHED; after a revocation it may register again", async () => {
    expect((await register(alphaAdmin, { id: 'alpha-bin-2', site: 'north', kind: 'generic' })).statusCode).toBe(201)
    await addDevice(f.registry, { id: 'alpha-bin-3', tenant: 'alpha' })
    const refused = await register(alphaAdmin, { id: 'alpha-bin-4', site: 'north', kind: 'generic' })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toEqual({
      error: { code: 'TENANT_LIMIT_REACHED', message: 'tenant "alpha" has its maximum of 3 devices registered; remove one or raise limits.maxDevices in the tenants file' },
    })
    expect(f.registry.get('alpha-bin-4')).toBeUndefined()
    // Other tenants are not held to alpha's limit.
    expect((await register(f.admin, { id: 'beta-bin-9', tenant: 'beta', site: 'south', kind: 'generic' })).statusCode).toBe(201)

    expect((await f.app.inject({ method: 'DELETE', url: '/v1/devices/alpha-bin-3', headers: alphaAdmin })).statusCode).toBe(200)
    expect((await register(alphaAdmin, { id: 'alpha-bin-4', site: 'north', kind: 'generic' })).statusCode).toBe(201)
  })

  test("a tenant admin revokes its own devices only: another tenant's device answers 404 and stays; the revocation is audited", async () => {
    const foreign = await f.app.inject({ method: 'DELETE', url: '/v1/devices/beta-meter', headers: alphaAdmin })
    expect(foreign.statusCode).toBe(404)
    expect(foreign.json()).toEqual({ error: { code: 'DEVICE_UNKNOWN', message: 'no device "beta-meter" is registered' } })
    expect(f.registry.get('beta-meter')).toBeDefined()

    const own = await f.app.inject({ method: 'DELETE', url: '/v1/devices/alpha-bin-2', headers: alphaAdmin })
    expect(own.statusCode).toBe(200)
    expect(own.json<{ device: { id: string; tenant: string } }>().device).toMatchObject({ id: 'alpha-bin-2', tenant: 'alpha' })
    expect(own.body).not.toMatch(/scrypt\$|sha256\$|secretHash/)
    expect(f.registry.get('alpha-bin-2')).toBeUndefined()
    expect((await f.app.inject({ method: 'DELETE', url: '/v1/devices/alpha-bin-2', headers: alphaAdmin })).statusCode).toBe(404)
    expect((await audit('alpha')).entries[0]).toMatchObject({ action: 'device.remove', target: 'alpha-bin-2', tenant: 'alpha' })

    // A platform admin revokes any tenant's device.
    expect((await f.app.inject({ method: 'DELETE', url: '/v1/devices/beta-meter', headers: f.admin })).statusCode).toBe(200)
    expect((await audit('beta')).entries[0]).toMatchObject({ action: 'device.remove', target: 'beta-meter' })
  })

  test('operators and analysts can neither register nor revoke', async () => {
    for (const role of ['analyst', 'operator'] as const) {
      const headers = f.as(role, 'alpha')
      expect((await register(headers, { id: `by-${role}`, site: 'north', kind: 'generic' })).statusCode).toBe(403)
      expect((await f.app.inject({ method: 'DELETE', url: '/v1/devices/alpha-bin-1', headers })).statusCode).toBe(403)
    }
    expect(f.registry.get('alpha-bin-1')).toBeDefined()
  })

  test('the OpenAPI document lists the refusals of both routes', async () => {
    const document = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>()
    expect(Object.keys(document.paths['/v1/devices']!.post!.responses).sort()).toEqual(['201', '400', '401', '403', '409'])
    expect(Object.keys(document.paths['/v1/devices/{id}']!.delete!.responses).sort()).toEqual(['200', '400', '401', '403', '404'])
  })
})
