import { describe, expect, test } from 'vitest'
import type { z } from 'zod'
import { deviceParams, devicesBody, devicesQuery, errorBody, errorResponses, healthBody, latestBody, maxReadingsLimit, readingsQuery } from '../../api/schemas.js'
import { storedFieldNames } from '../../api/stored-fields.js'

/** The issues of a refused input, as path and message: what the API turns into its 400. */
function issues(schema: z.ZodType, input: unknown): { path: string; message: string }[] {
  const result = schema.safeParse(input)
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${JSON.stringify(result.data)}`)
  return result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}

const notStored = (name: string): string => `"${name}" is not a stored field; known fields: ${[...storedFieldNames].join(', ')}`
const letters = 'must be field names made of letters, digits and underscores'

describe('readingsQuery', () => {
  test('should default to every field and 10 000 values, with no range of its own', () => {
    expect(readingsQuery.parse({})).toEqual({ field: [], limit: 10_000 })
  })

  test('fields should be taken repeated, comma-separated or both, in the order given', () => {
    expect(readingsQuery.parse({ field: 'filling_level' }).field).toEqual(['filling_level'])
    expect(readingsQuery.parse({ field: 'filling_level,battery_level' }).field).toEqual(['filling_level', 'battery_level'])
    expect(readingsQuery.parse({ field: ['status,temperature_c', 'rssi_dbm'] }).field).toEqual(['status', 'temperature_c', 'rssi_dbm'])
  })

  test('a field that is not stored should be refused naming it and the known fields, at its position', () => {
    expect(issues(readingsQuery, { field: ['filling_level,temperature', 'status'] })).toEqual([{ path: 'field.1', message: notStored('temperature') }])
    expect(issues(readingsQuery, { field: 'filling_levle' })).toEqual([{ path: 'field.0', message: notStored('filling_levle') }])
  })

  test('a name with other characters, or an empty one, should be refused for its characters first', () => {
    for (const [field, at, name] of [
      ["x'; DROP", 'field.0', "x'; DROP"],
      ['filling_level,', 'field.1', ''],
      ['', 'field.0', ''],
    ] as const) {
      const found = issues(readingsQuery, { field })
      expect(found[0], field).toEqual({ path: at, message: letters })
      // The stored-field check runs on as well and says the same name is unknown.
      expect(found.slice(1), field).toEqual([{ path: at, message: notStored(name) }])
    }
  })

  test('at most 100 fields should be named, repeats counted', () => {
    expect(readingsQuery.parse({ field: Array<string>(100).fill('status') }).field).toHaveLength(100)
    expect(issues(readingsQuery, { field: Array<string>(101).fill('status') })).toEqual([{ path: 'field', message: 'must name at most 100 fields' }])
    expect(issues(readingsQuery, { field: [Array<string>(60).fill('status').join(','), Array<string>(41).fill('status').join(',')] })).toEqual([{ path: 'field', message: 'must name at most 100 fields' }])
  })

  test('the limit should be a whole number from 1 to 100 000, read from the query string', () => {
    expect(maxReadingsLimit).toBe(100_000)
    expect(readingsQuery.parse({ limit: '1' }).limit).toBe(1)
    expect(readingsQuery.parse({ limit: '100000' }).limit).toBe(100_000)
    expect(issues(readingsQuery, { limit: '0' })).toEqual([{ path: 'limit', message: 'must be at least 1' }])
    expect(issues(readingsQuery, { limit: '100001' })).toEqual([{ path: 'limit', message: 'must be at most 100000' }])
    expect(issues(readingsQuery, { limit: '2.5' })).toEqual([{ path: 'limit', message: 'must be a whole number' }])
    expect(issues(readingsQuery, { limit: 'ten' })).toEqual([{ path: 'limit', message: 'must be a whole number' }])
  })

  test('from and to should be ISO 8601 date-times with a zone, Z or an offset, kept as written', () => {
    expect(readingsQuery.parse({ from: '2026-01-15T08:00:00+01:00', to: '2026-01-15T08:00:00.123Z' })).toMatchObject({ from: '2026-01-15T08:00:00+01:00', to: '2026-01-15T08:00:00.123Z' })
    const zone = 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T08:00:00Z'
    expect(issues(readingsQuery, { from: '2026-01-15T08:00:00' })).toEqual([{ path: 'from', message: zone }])
    expect(issues(readingsQuery, { to: '2026-01-15' })).toEqual([{ path: 'to', message: zone }])
    expect(issues(readingsQuery, { from: '2026-02-30T08:00:00Z' })).toEqual([{ path: 'from', message: zone }])
  })

  test('a parameter it does not know should be refused by name', () => {
    expect(issues(readingsQuery, { fields: 'status' })).toEqual([{ path: '', message: 'Unrecognized key: "fields"' }])
  })
})

describe('device parameters and filters', () => {
  test('a device id should be an identifier: letters, digits, _ . -, starting with a letter or digit, at most 128', () => {
    expect(deviceParams.parse({ id: 'bin.1_a-b' })).toEqual({ id: 'bin.1_a-b' })
    expect(deviceParams.parse({ id: 'a'.repeat(128) }).id).toHaveLength(128)
    const identifier = 'letters, digits, _ . - (max 128), starting with a letter or digit'
    for (const id of ['a/b', '-bin', 'a'.repeat(129), '']) expect(issues(deviceParams, { id }), id).toEqual([{ path: 'id', message: identifier }])
  })

  test('the device list should filter by tenant, site and kind, each optional, and refuse anything else', () => {
    expect(devicesQuery.parse({})).toEqual({})
    expect(devicesQuery.parse({ tenant: 'gent', site: 'depot-1', kind: 'waste_container' })).toEqual({ tenant: 'gent', site: 'depot-1', kind: 'waste_container' })
    expect(issues(devicesQuery, { kind: 'toaster' }).map((i) => i.path)).toEqual(['kind'])
    expect(issues(devicesQuery, { tenant: 'gent', limit: '5' })).toEqual([{ path: '', message: 'Unrecognized key: "limit"' }])
  })
})

describe('response shapes', () => {
  test('a device in a response should never carry its secret hash', () => {
    const device = { id: 'bin-1', tenant: 'gent', site: 'depot-1', kind: 'generic', format: 'senml', apiKey: 'gent', secretHash: 'scrypt$16384$8$1$salt$hash', createdAt: '2026-01-01T00:00:00Z' }
    const { devices } = devicesBody.parse({ devices: [device] })
    expect(devices[0]).not.toHaveProperty('secretHash')
    expect(devices[0]).toMatchObject({ id: 'bin-1', tenant: 'gent', apiKey: 'gent' })
  })

  test('times in a response should be UTC; values a number, text or a flag', () => {
    const value = (time: string, v: unknown) => ({ deviceId: 'bin-1', values: [{ measurement: 'waste_container', field: 'f', value: v, unit: '', time }] })
    for (const v of [0.5, 'ok', true]) expect(latestBody.safeParse(value('2026-01-15T08:00:00.000Z', v)).success, String(v)).toBe(true)
    expect(issues(latestBody, value('2026-01-15T09:00:00+01:00', 1)).map((i) => i.path)).toEqual(['values.0.time'])
    expect(issues(latestBody, value('2026-01-15T08:00:00.000Z', null)).map((i) => i.path)).toEqual(['values.0.value'])
  })

  test('health should be ok or degraded with the backends it names, and nothing it does not', () => {
    expect(healthBody.parse({ status: 'degraded', embeddedBus: { reachable: true }, influxdb: { reachable: false } })).toEqual({ status: 'degraded', embeddedBus: { reachable: true }, influxdb: { reachable: false } })
    // A backend it does not know is left out of the answer.
    expect(healthBody.parse({ status: 'ok', embeddedStore: { reachable: true }, mosquitto: { reachable: true } })).toEqual({ status: 'ok', embeddedStore: { reachable: true } })
    expect(issues(healthBody, { status: 'fine' }).map((i) => i.path)).toEqual(['status'])
  })

  test('errorResponses should give each status the error body', () => {
    const responses = errorResponses(400, 404, 500)
    expect(Object.keys(responses)).toEqual(['400', '404', '500'])
    for (const schema of Object.values(responses)) expect(schema).toBe(errorBody)
    expect(errorBody.safeParse({ error: { code: 'INVALID_PARAMETER', message: 'm', parameter: 'limit' } }).success).toBe(true)
    expect(issues(errorBody, { error: { message: 'no code' } }).map((i) => i.path)).toEqual(['error.code'])
  })
})
