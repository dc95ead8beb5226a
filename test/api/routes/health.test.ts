import { afterEach, describe, expect, it } from 'vitest'
import { closedPort } from '../../core/store/test-database.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'
import { embeddedApi, type EmbeddedApi } from '../embedded-api.js'

let fixture: ApiFixture | EmbeddedApi | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

async function open(options: Parameters<typeof apiFixture>[0] = {}): Promise<ApiFixture> {
  const opened = await apiFixture(options)
  fixture = opened
  return opened
}

async function openEmbedded(options: Parameters<typeof embeddedApi>[0] = {}): Promise<EmbeddedApi> {
  const opened = await embeddedApi(options)
  fixture = opened
  return opened
}

describe('GET /health', () => {
  it('should be ok when Kafka and InfluxDB are both reachable', async () => {
    const { app } = await open({ bus: async () => true })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', kafka: { reachable: true }, influxdb: { reachable: true } })
  })

  it('should be degraded with 503 when Kafka is not reachable', async () => {
    const { app } = await open({ bus: async () => false })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'degraded', kafka: { reachable: false }, influxdb: { reachable: true } })
  })

  it('should report InfluxDB unreachable, and a throwing probe as unreachable', async () => {
    const { app } = await open({ influxUrl: `http://127.0.0.1:${await closedPort()}`, bus: () => Promise.reject(new Error('broker down')) })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'degraded', kafka: { reachable: false }, influxdb: { reachable: false } })
  })
})

describe('GET /health on the embedded bus and store', () => {
  it('should be ok, naming the embedded bus and store, when both are reachable', async () => {
    const { app } = await openEmbedded({ bus: async () => true })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', embeddedBus: { reachable: true }, embeddedStore: { reachable: true } })
  })

  it('should be degraded with 503 when the embedded bus probe fails', async () => {
    const { app } = await openEmbedded({ bus: async () => false })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'degraded', embeddedBus: { reachable: false }, embeddedStore: { reachable: true } })
  })

  it('should report the embedded store unreachable once it is closed', async () => {
    const { app, store } = await openEmbedded()
    await store.close()
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'degraded', embeddedBus: { reachable: true }, embeddedStore: { reachable: false } })
  })

  it('should answer within the probe timeout when a probe never settles, counting it unreachable', async () => {
    const { app } = await openEmbedded({ bus: () => new Promise<boolean>(() => undefined) })
    const started = Date.now()
    const response = await app.inject({ method: 'GET', url: '/health' })
    const elapsed = Date.now() - started
    expect(response.statusCode).toBe(503)
    expect(response.json()).toEqual({ status: 'degraded', embeddedBus: { reachable: false }, embeddedStore: { reachable: true } })
    expect(elapsed).toBeGreaterThanOrEqual(2900)
    expect(elapsed).toBeLessThan(10_000)
  })
})
