import { afterEach, describe, expect, it } from 'vitest'
import { startApi } from '../../api/server.js'
import { PlatformError } from '../../models/errors.js'
import { closedPort } from '../core/store/test-database.js'
import { addDevice, apiFixture, type ApiFixture } from './api-fixture.js'

let fixture: ApiFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

async function open(options: Parameters<typeof apiFixture>[0] = {}): Promise<ApiFixture> {
  fixture = await apiFixture(options)
  return fixture
}

describe('startApi', () => {
  it('should listen on the configured host and port and return the address', async () => {
    const f = await open()
    const address = await startApi(f.app, { host: '127.0.0.1', port: 0 })
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await fetch(`${address}/v1/devices`, { headers: f.admin })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toEqual({ devices: [] })
  })
})

describe('GET /openapi.json', () => {
  it('should describe every endpoint with the parameters from the zod schemas', async () => {
    const { app } = await open()
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>> }>()
    expect(document.openapi).toMatch(/^3\./)
    expect(Object.keys(document.paths).sort()).toEqual([
      '/health',
      '/metrics',
      '/v1/admin/audit',
      '/v1/admin/keys',
      '/v1/admin/keys/{id}',
      '/v1/alerts',
      '/v1/alerts/rules',
      '/v1/alerts/{id}',
      '/v1/containers/forecast',
      '/v1/devices',
      '/v1/devices/{id}',
      '/v1/devices/{id}/commands',
      '/v1/devices/{id}/latest',
      '/v1/devices/{id}/readings',
      '/v1/devices/{id}/status',
      '/v1/footprint',
      '/v1/open/{tenant}/footprint',
      '/v1/open/{tenant}/metrics',
      '/v1/sites/{id}/kpis',
    ])
    const footprint = document.paths['/v1/footprint']?.get
    expect(footprint?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['query:factorSet', 'query:format', 'query:from', 'query:interval', 'query:metric', 'query:site', 'query:tenant', 'query:to'])
    const readings = document.paths['/v1/devices/{id}/readings']?.get
    expect(readings?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:field', 'query:from', 'query:limit', 'query:to'])
    expect(Object.keys(readings?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '502', '503'])
    expect(Object.keys(document.paths['/v1/devices']?.get?.responses ?? {})).toContain('200')
    expect(JSON.stringify(document)).not.toContain('secretHash')
  })
})

describe('API errors and headers', () => {
  it('should mark every response no-store, errors and unknown routes included', async () => {
    const { app, admin } = await open()
    for (const url of ['/health', '/v1/devices', '/openapi.json', '/v1/devices/nobody/latest', '/v1/devices?kind=toaster', '/no/such/route']) {
      const response = await app.inject({ method: 'GET', url, headers: admin })
      expect(response.headers['cache-control'], url).toBe('no-store')
    }
  })

  it('should answer an unknown route with 404 ROUTE_UNKNOWN', async () => {
    const { app } = await open()
    const response = await app.inject({ method: 'GET', url: '/v2/everything?x=1' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { code: 'ROUTE_UNKNOWN', message: 'no endpoint GET /v2/everything' } })
  })

  it('should refuse a large request body', async () => {
    const { app, admin } = await open()
    const response = await app.inject({ method: 'POST', url: '/v1/admin/keys', payload: JSON.stringify({ name: 'x'.repeat(64 * 1024), role: 'analyst' }), headers: { ...admin, 'content-type': 'application/json' } })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } })
  })

  it('should answer 503 STORE_UNAVAILABLE with Retry-After when InfluxDB is down', async () => {
    const f = await open({ influxUrl: `http://127.0.0.1:${await closedPort()}` })
    await addDevice(f.registry, { id: 'bin-1' })
    const response = await f.app.inject({ method: 'GET', url: '/v1/devices/bin-1/latest', headers: f.admin })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ error: { code: 'STORE_UNAVAILABLE', message: 'the time-series store is unreachable or failing' } })
    expect(response.body).not.toContain('127.0.0.1')
  })

  it('should answer 502 STORE_QUERY_FAILED without InfluxDB\'s text or the statement', async () => {
    const f = await open({ createDatabase: false })
    await addDevice(f.registry, { id: 'bin-1' })
    const response = await f.app.inject({ method: 'GET', url: '/v1/devices/bin-1/readings', headers: f.admin })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toEqual({ error: { code: 'STORE_QUERY_FAILED', message: 'the time-series store refused the query' } })
    expect(response.body).not.toMatch(/SHOW|SELECT|database not found/)
  })

  it('should answer an unexpected failure with 500 INTERNAL and nothing of its insides', async () => {
    const { app, counters, admin } = await open({
      registry: (real) => ({ list: () => real.list(), get: () => { throw new TypeError('cannot read /srv/registry.json: secret detail') } }),
    })
    const response = await app.inject({ method: 'GET', url: '/v1/devices/bin-1/latest', headers: admin })
    expect(response.statusCode).toBe(500)
    // Only the request id comes back, so the operator can find the logged error.
    const correlationId = response.headers['x-request-id']
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: 'an unexpected error occurred', correlationId } })
    expect(response.body).not.toMatch(/secret detail|TypeError|at /)
    expect(counters.snapshot()).toMatchObject({ requests: 1, server_errors: 1 })
  })

  it('should map a PlatformError from the store to its code with the catalogue summary', async () => {
    const { app, registry, admin } = await open({
      store: (real) => ({
        ensureReady: () => real.ensureReady(),
        write: (points) => real.write(points),
        readings: (query) => real.readings(query),
        points: (query) => real.points(query),
        latest: () => Promise.reject(new PlatformError('STORE_AUTH_FAILED', 'InfluxDB refused the credentials for user admin')),
        ping: () => real.ping(),
        close: () => real.close(),
      }),
    })
    await addDevice(registry, { id: 'bin-1' })
    const response = await app.inject({ method: 'GET', url: '/v1/devices/bin-1/latest', headers: admin })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toEqual({ error: { code: 'STORE_AUTH_FAILED', message: 'the time-series store refused the credentials' } })
  })

  it('should count requests and client errors', async () => {
    const { app, counters, admin } = await open()
    await app.inject({ method: 'GET', url: '/health' })
    await app.inject({ method: 'GET', url: '/v1/devices?kind=toaster', headers: admin })
    await app.inject({ method: 'GET', url: '/v1/devices/nobody/latest', headers: admin })
    expect(counters.snapshot()).toEqual({ requests: 3, client_errors: 2, server_errors: 0 })
  })
})
