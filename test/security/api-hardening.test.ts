import { request as httpsRequest } from 'node:https'
import { Writable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { startApi } from '../../api/server.js'
import { createLogger } from '../../core/logger.js'
import { addDevice, apiFixture, type ApiFixture } from '../api/api-fixture.js'
import { createTestCa, type TestCa } from '../support/test-ca.js'

let fixture: ApiFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

describe('rate limiting', () => {
  test('each key has its own budget per minute; beyond it the API answers 429 RATE_LIMITED with Retry-After', async () => {
    const f = (fixture = await apiFixture({ env: { API_RATE_LIMIT_PER_MINUTE: '5' } }))
    const first = f.as('analyst', 'alpha')
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await f.app.inject({ method: 'GET', url: '/v1/devices', headers: first })).statusCode)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    const limited = await f.app.inject({ method: 'GET', url: '/v1/devices', headers: first })
    expect(limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // Another key is not slowed down by the first one's traffic.
    expect((await f.app.inject({ method: 'GET', url: '/v1/devices', headers: f.as('analyst', 'alpha') })).statusCode).toBe(200)
  })

  test('anyone guessing keys is limited per address, before the credentials are refused', async () => {
    const f = (fixture = await apiFixture({ env: { API_RATE_LIMIT_PER_MINUTE: '3' } }))
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await f.app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Bearer ck_${'0'.repeat(15)}${i}_${'A'.repeat(43)}` } })).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429, 429])
  })
})

describe('security headers and errors', () => {
  test('every answer carries the helmet headers, a request id and no-store', async () => {
    const f = (fixture = await apiFixture())
    for (const [url, headers] of [['/health', {}], ['/v1/devices', f.admin], ['/v1/devices', {}], ['/nowhere', {}]] as const) {
      const response = await f.app.inject({ method: 'GET', url, headers })
      expect(response.headers['x-content-type-options'], url).toBe('nosniff')
      expect(response.headers['strict-transport-security'], url).toMatch(/max-age=\d+/)
      expect(response.headers['x-frame-options'], url).toBe('SAMEORIGIN')
      expect(response.headers['content-security-policy'], url).toContain("default-src 'self'")
      expect(response.headers['x-request-id'], url).toMatch(/^[0-9a-f-]{36}$/)
      expect(response.headers['cache-control'], url).toBe('no-store')
    }
  })

  test('a client-chosen request id is ignored, so a 500 quotes only an id the server made', async () => {
    const f = (fixture = await apiFixture())
    const response = await f.app.inject({ method: 'GET', url: '/health', headers: { 'request-id': 'attacker-chosen' } })
    expect(response.headers['x-request-id']).not.toBe('attacker-chosen')
  })
})

describe('log redaction', () => {
  test('tokens, passwords and authorization headers never reach the log, even at trace level', async () => {
    let written = ''
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((written += chunk.toString()), done()) })
    const logger = createLogger('trace', 'test', sink)
    const f = (fixture = await apiFixture({
      logger,
      registry: (real) => ({ list: () => real.list(), get: () => { throw new TypeError('registry exploded') } }),
    }))
    const created = await f.app.inject({ method: 'POST', url: '/v1/admin/keys', headers: f.admin, payload: { name: 'grafana', role: 'analyst', tenant: 'alpha' } })
    const token = created.json<{ token: string }>().token
    const crash = await f.app.inject({ method: 'GET', url: '/v1/devices/x/latest', headers: { authorization: `Bearer ${token}` } })
    await f.app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: 'Bearer ck_0123456789abcdef_wrongwrongwrongwrongwrongwrongwrongwrongwro' } })
    // What components log about their settings and requests, through the same logger.
    logger.info({ config: { kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'kafka-pass-123' } }, influx: { password: 'influx-pass-456', token: 'influx-token-789' } } }, 'settings')
    logger.info({ headers: { authorization: `Bearer ${token}` }, req: { headers: { authorization: 'Bearer jwt.jwt.jwt', 'x-api-key': 'xkey-999' } } }, 'request seen')
    logger.info({ webhook: { url: 'https://x', secret: 'hook-secret-000' }, token: 'top-level-token' }, 'delivery')
    logger.flush()

    expect(crash.statusCode).toBe(500)
    const correlationId = crash.json<{ error: { correlationId: string } }>().error.correlationId
    expect(written).toContain(correlationId)
    expect(written).toContain('registry exploded')
    expect(written).toContain('[redacted]')
    for (const secret of [token, token.slice(20), f.admin.authorization.slice(7), 'kafka-pass-123', 'influx-pass-456', 'influx-token-789', 'jwt.jwt.jwt', 'xkey-999', 'hook-secret-000', 'top-level-token']) {
      expect(written, secret).not.toContain(secret)
    }
  })
})

describe('HTTPS', () => {
  let ca: TestCa
  beforeAll(() => {
    ca = createTestCa()
  })
  afterAll(() => ca.cleanup())

  test('with API_TLS_CERT_FILE and API_TLS_KEY_FILE the API speaks HTTPS, verifiable against the test CA', async () => {
    const f = (fixture = await apiFixture({ env: { API_TLS_CERT_FILE: ca.server.certFile, API_TLS_KEY_FILE: ca.server.keyFile } }))
    await addDevice(f.registry, { id: 'bin-1', tenant: 'alpha' })
    const address = await startApi(f.app, { host: '127.0.0.1', port: 0 })
    expect(address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${address}/v1/devices`, { ca: ca.caPem, headers: f.as('analyst', 'alpha') }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      req.end()
    })
    expect(JSON.parse(body)).toMatchObject({ devices: [{ id: 'bin-1' }] })
    // A client that does not trust the CA refuses the connection.
    await expect(fetch(`${address}/health`)).rejects.toThrow()
  })
})
