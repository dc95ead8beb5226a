import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Config } from '../../../core/config.js'
import { PlatformError } from '../../../models/errors.js'
import { InfluxStore } from '../../../core/store/influx-store.js'
import type { Point } from '../../../core/store/store.js'
import { closedPort, countPoints, databaseExists, dropDatabase, influxQuery, silentLogger, testInfluxConfig } from './test-database.js'

const databases: string[] = []
const stores: InfluxStore[] = []

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
  await Promise.all(databases.splice(0).map(dropDatabase))
})

async function readyStore(overrides: Partial<Config['influx']> = {}): Promise<InfluxStore> {
  const store = unreadyStore(overrides)
  await store.ensureReady()
  return store
}

function unreadyStore(overrides: Partial<Config['influx']> = {}): InfluxStore {
  const config = testInfluxConfig(overrides)
  databases.push(config.database)
  const store = new InfluxStore(config, silentLogger)
  stores.push(store)
  return store
}

function bin(time: number, fields: Point['fields'], device = 'bin-1'): Point {
  return { measurement: 'waste_container', tags: { tenant: 'city', site: 'north', device, kind: 'waste_container' }, fields, time }
}

const t0 = Date.UTC(2026, 0, 15, 8, 0, 0, 123)
const everything = { from: t0 - 86_400_000, to: t0 + 86_400_000, fields: [], limit: 10_000 }

describe('InfluxStore against InfluxDB', () => {
  it('ensureReady should create the database and be safe to repeat', async () => {
    const store = unreadyStore()
    const database = databases[0] as string
    expect(await databaseExists(database)).toBe(false)
    await store.ensureReady()
    await store.ensureReady()
    expect(await databaseExists(database)).toBe(true)
    expect(await store.ping()).toBe(true)
  })

  it('write then readings should return the exact values and millisecond times, oldest first', async () => {
    const store = await readyStore()
    const outcome = await store.write([
      bin(t0 + 2, { filling_level: 0.75, status: 'ok', lid_open: false }),
      bin(t0, { filling_level: 0.1234567890123, cargo_weight_kg: 12 }),
      { measurement: 'device_health', tags: { tenant: 'city', device: 'bin-1' }, fields: { battery_level: 0.5 }, time: t0 + 1 },
    ])
    expect(outcome).toEqual({ written: 3, rejected: [] })

    const values = await store.readings({ measurements: ['waste_container', 'device_health'], tags: { device: 'bin-1', tenant: 'city' }, ...everything })
    expect(values).toEqual([
      { measurement: 'waste_container', field: 'cargo_weight_kg', value: 12, time: t0 },
      { measurement: 'waste_container', field: 'filling_level', value: 0.1234567890123, time: t0 },
      { measurement: 'device_health', field: 'battery_level', value: 0.5, time: t0 + 1 },
      { measurement: 'waste_container', field: 'filling_level', value: 0.75, time: t0 + 2 },
      { measurement: 'waste_container', field: 'lid_open', value: false, time: t0 + 2 },
      { measurement: 'waste_container', field: 'status', value: 'ok', time: t0 + 2 },
    ])
  })

  it('readings should honour the time range, the field list and the limit per field', async () => {
    const store = await readyStore()
    await store.write([0, 1, 2, 3, 4].map((i) => bin(t0 + i * 1000, { filling_level: i / 10, cargo_weight_kg: i })))
    const base = { measurements: ['waste_container'], tags: { device: 'bin-1' } }

    const ranged = await store.readings({ ...base, from: t0 + 1000, to: t0 + 3000, fields: ['filling_level'], limit: 100 })
    expect(ranged.map((v) => [v.time - t0, v.value])).toEqual([
      [1000, 0.1],
      [2000, 0.2],
    ])

    const limited = await store.readings({ ...base, from: t0, to: t0 + 10_000, fields: [], limit: 2 })
    expect(limited.map((v) => `${v.field}@${v.time - t0}`)).toEqual(['cargo_weight_kg@0', 'filling_level@0', 'cargo_weight_kg@1000', 'filling_level@1000'])

    expect(await store.readings({ ...base, from: t0, to: t0 + 10_000, fields: ['no_such_field'], limit: 10 })).toEqual([])
    expect(await store.readings({ ...base, measurements: [], from: t0, to: t0 + 10_000, fields: [], limit: 10 })).toEqual([])
  })

  it('writing the same series and time again should overwrite, not add', async () => {
    const store = await readyStore()
    const database = databases[0] as string
    await store.write([bin(t0, { filling_level: 0.2 })])
    await store.write([bin(t0, { filling_level: 0.3 })])
    await store.write([bin(t0, { filling_level: 0.3 })])
    expect(await countPoints(database, 'waste_container', 'filling_level')).toBe(1)
    const [value] = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })
    expect(value?.value).toBe(0.3)
  })

  it('write should find by bisection the one point with a conflicting field type among many', async () => {
    const store = await readyStore()
    const database = databases[0] as string
    await store.write([bin(t0 - 1, { filling_level: 0.5 })])

    const batch = Array.from({ length: 300 }, (_, i) => bin(t0 + i, { filling_level: i / 1000 }))
    const conflicting = bin(t0 + 137, { filling_level: 'full' })
    batch[137] = conflicting
    const outcome = await store.write(batch)

    expect(outcome.written).toBe(299)
    expect(outcome.rejected).toHaveLength(1)
    expect(outcome.rejected[0]?.point).toBe(conflicting)
    expect(outcome.rejected[0]?.reason).toMatch(/^field type conflict: input field "filling_level" on measurement "waste_container" is type string, already exists as type float$/)
    expect(await countPoints(database, 'waste_container', 'filling_level')).toBe(300)
  })

  it('write should report points line protocol cannot carry without sending them', async () => {
    const store = await readyStore()
    const bad = bin(t0, { filling_level: Number.NaN })
    const outcome = await store.write([bad, bin(t0 + 1, { filling_level: 0.1 })])
    expect(outcome.written).toBe(1)
    expect(outcome.rejected).toEqual([{ point: bad, reason: 'field "filling_level" is NaN, which line protocol cannot store' }])
  })

  it('write should split large batches into several requests and store them all', async () => {
    const store = await readyStore()
    const database = databases[0] as string
    const points = Array.from({ length: 12_345 }, (_, i) => bin(t0 + i, { filling_level: (i % 100) / 100 }))
    expect(await store.write(points)).toEqual({ written: 12_345, rejected: [] })
    expect(await countPoints(database, 'waste_container', 'filling_level')).toBe(12_345)
  })

  it('write should create a missing database and retry', async () => {
    const store = unreadyStore()
    const database = databases[0] as string
    expect(await store.write([bin(t0, { filling_level: 0.4 })])).toEqual({ written: 1, rejected: [] })
    expect(await databaseExists(database)).toBe(true)
  })

  it('latest should return the newest value of each field with that value\'s own time', async () => {
    const store = await readyStore()
    await store.write([
      bin(t0, { filling_level: 0.1, temperature_c: 20, status: 'ok' }),
      bin(t0 + 1000, { filling_level: 0.2, temperature_c: 21 }),
      bin(t0 + 2000, { filling_level: 0.3 }),
      bin(t0 + 9000, { filling_level: 0.9, status: 'burning' }, 'bin-2'),
      { measurement: 'device_health', tags: { device: 'bin-1' }, fields: { battery_level: 0.8 }, time: t0 + 500 },
    ])
    const latest = await store.latest({ measurements: ['waste_container', 'device_health'], tags: { device: 'bin-1' } })
    expect(latest).toEqual([
      { measurement: 'device_health', field: 'battery_level', value: 0.8, time: t0 + 500 },
      { measurement: 'waste_container', field: 'filling_level', value: 0.3, time: t0 + 2000 },
      { measurement: 'waste_container', field: 'status', value: 'ok', time: t0 },
      { measurement: 'waste_container', field: 'temperature_c', value: 21, time: t0 + 1000 },
    ])
    expect(await store.latest({ measurements: ['waste_container'], tags: { device: 'nobody' } })).toEqual([])
  })

  it('names with every character line protocol and InfluxQL escape should round-trip', async () => {
    const store = await readyStore()
    const measurement = 'm,1 x=y"\'/.*/'
    const tags = { 'tag key,= "\'': 'a b,c=d\'"\\x', device: 'bin-1' }
    const field = 'f ,=k"\'\\x'
    const text = 'say "hi"\\ \'there\' /.*/'
    await store.write([{ measurement, tags, fields: { [field]: 1.5, note: text }, time: t0 }])

    const values = await store.readings({ measurements: [measurement], tags, ...everything })
    expect(values).toEqual([
      { measurement, field, value: 1.5, time: t0 },
      { measurement, field: 'note', value: text, time: t0 },
    ])
    expect(await store.latest({ measurements: [measurement], tags })).toHaveLength(2)
  })

  it('hostile tag values and names in a query should match nothing else and change nothing', async () => {
    const store = await readyStore()
    const database = databases[0] as string
    await store.write([bin(t0, { filling_level: 0.5 }, 'bin-1'), bin(t0, { filling_level: 0.6 }, 'bin-2')])
    const hostile = ["x' OR 1=1 --", "x' OR device =~ /.*/ --", '"; DROP DATABASE x', `'; DROP DATABASE "${database}"; --`, '\\', "\\'", '/.*/', 'a\nb', "bin-1' OR '1'='1"]

    for (const value of hostile) {
      expect(await store.readings({ measurements: ['waste_container'], tags: { device: value }, ...everything })).toEqual([])
      expect(await store.latest({ measurements: ['waste_container'], tags: { device: value } })).toEqual([])
      expect(await store.readings({ measurements: [value], tags: {}, ...everything })).toEqual([])
      expect(await store.readings({ measurements: ['waste_container'], tags: { [value]: 'bin-1' }, ...everything })).toEqual([])
      expect(await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything, fields: [value] })).toEqual([])
    }
    expect(await databaseExists(database)).toBe(true)
    expect(await countPoints(database, 'waste_container', 'filling_level')).toBe(2)
    const one = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })
    expect(one.map((v) => v.value)).toEqual([0.5])
  })

  it('a query InfluxDB refuses should fail with STORE_QUERY_FAILED and not echo the statement', async () => {
    const store = unreadyStore()
    const error = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything }).catch((e: unknown) => e)
    expect(PlatformError.is(error, 'STORE_QUERY_FAILED')).toBe(true)
    expect((error as PlatformError).canRetry).toBe(false)
    expect((error as PlatformError).message).toMatch(/database not found/)
    expect((error as PlatformError).message).not.toMatch(/SHOW|SELECT/)
  })

  it('close should make further calls fail as shutting down', async () => {
    const store = await readyStore()
    await store.close()
    expect(await store.ping()).toBe(false)
    await expect(store.write([bin(t0, { filling_level: 1 })])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' })
  })

  it('the test database should hold what InfluxDB says it holds', async () => {
    // Guards the helpers above: they read InfluxDB directly, not through the store.
    const store = await readyStore()
    const database = databases[0] as string
    await store.write([bin(t0, { filling_level: 0.5 })])
    expect(await influxQuery('SHOW MEASUREMENTS', database)).toMatchObject({ results: [{ series: [{ values: [['waste_container']] }] }] })
  })
})

describe('InfluxStore when InfluxDB cannot be reached', () => {
  it('ping should be false and write should fail retryably on a closed port', async () => {
    const port = await closedPort()
    const store = new InfluxStore(testInfluxConfig({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 }), silentLogger)
    expect(await store.ping()).toBe(false)
    const error = await store.write([bin(t0, { filling_level: 0.5 })]).catch((e: unknown) => e)
    expect(PlatformError.is(error, 'STORE_UNAVAILABLE')).toBe(true)
    expect((error as PlatformError).canRetry).toBe(true)
    await expect(store.latest({ measurements: ['waste_container'], tags: {} })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
  })

  it('a request that gets no answer should time out as STORE_UNAVAILABLE', async () => {
    // Accepts connections and never answers, like a hung server.
    const silent = createTcpServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as { port: number }).port
      const store = new InfluxStore(testInfluxConfig({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 }), silentLogger)
      const started = Date.now()
      await expect(store.write([bin(t0, { filling_level: 0.5 })])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true, message: /timed out/ })
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      silent.close()
    }
  })
})

describe('InfluxStore requests on the wire (recording HTTP server)', () => {
  let server: Server | undefined
  afterEach(() => server?.close())

  /** Records each request's headers and answers with the given status and InfluxDB-style error. */
  async function recordingServer(status: number, error: string): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
    const seen: IncomingHttpHeaders[] = []
    server = createServer((request, response) => {
      seen.push(request.headers)
      request.resume()
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }))
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen }
  }

  it('should send basic credentials and treat 401 as a non-retryable STORE_AUTH_FAILED', async () => {
    const { url, seen } = await recordingServer(401, 'authorization failed')
    const store = new InfluxStore(testInfluxConfig({ url, username: 'writer', password: 's3cret' }), silentLogger)
    const error = await store.write([bin(t0, { filling_level: 0.5 })]).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'STORE_AUTH_FAILED', canRetry: false })
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('writer:s3cret').toString('base64')}`)
    expect((error as Error).message).not.toContain('s3cret')
  })

  it('should send a token as "Token <token>"', async () => {
    const { url, seen } = await recordingServer(403, 'forbidden')
    const store = new InfluxStore(testInfluxConfig({ url, token: 'tok-123' }), silentLogger)
    await expect(store.latest({ measurements: ['m'], tags: {} })).rejects.toMatchObject({ code: 'STORE_AUTH_FAILED' })
    expect(seen[0]?.authorization).toBe('Token tok-123')
  })

  it('should treat a 5xx answer as a retryable STORE_UNAVAILABLE', async () => {
    const { url } = await recordingServer(500, 'engine: cache-max-memory-size exceeded')
    const store = new InfluxStore(testInfluxConfig({ url }), silentLogger)
    await expect(store.write([bin(t0, { filling_level: 0.5 })])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true })
  })
})
