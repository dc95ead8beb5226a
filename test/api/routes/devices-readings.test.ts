import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Device } from '../../../core/registry/device.js'
import { addDevice, apiFixture, seriesTags, type ApiFixture } from '../api-fixture.js'

const t0 = Date.UTC(2026, 0, 15, 8, 0, 0, 250)
const iso = (ms: number): string => new Date(ms).toISOString()
const range = `from=${iso(t0 - 3_600_000)}&to=${iso(t0 + 3_600_000)}`

interface ErrorBody {
  error: { code: string; message: string; parameter?: string }
}

describe('GET /v1/devices/:id/readings', () => {
  let f: ApiFixture
  let bin: Device

  beforeAll(async () => {
    f = await apiFixture()
    bin = await addDevice(f.registry, { id: 'bin-1' })
    const tags = seriesTags(bin)
    await f.store.write([
      { measurement: 'waste_container', tags, fields: { filling_level: 0.5, lid_open: true }, time: t0 + 2000 },
      { measurement: 'waste_container', tags, fields: { filling_level: 0.25, cargo_weight_kg: 40.5, status: 'ok' }, time: t0 },
      { measurement: 'device_health', tags, fields: { battery_level: 0.75, rssi_dbm: -97 }, time: t0 + 1000 },
      { measurement: 'waste_container', tags: { ...seriesTags({ ...bin, id: 'bin-2' }) }, fields: { filling_level: 0.9 }, time: t0 + 500 },
      { measurement: 'waste_container', tags: { ...tags, tenant: 'other' }, fields: { filling_level: 0.8 }, time: t0 + 600 },
    ])
  })
  afterAll(() => f.close())

  async function get(query: string, id = 'bin-1'): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
    const response = await f.app.inject({ method: 'GET', headers: f.admin, url: `/v1/devices/${id}/readings?${query}` })
    return { status: response.statusCode, body: response.json(), headers: response.headers }
  }

  it('should return the device\'s readings oldest first, in canonical units, with ISO times', async () => {
    const { status, body } = await get(range)
    expect(status).toBe(200)
    expect(body).toEqual({
      deviceId: 'bin-1',
      from: iso(t0 - 3_600_000),
      to: iso(t0 + 3_600_000),
      readings: [
        { time: iso(t0), measurement: 'waste_container', field: 'cargo_weight_kg', value: 40.5, unit: 'kg' },
        { time: iso(t0), measurement: 'waste_container', field: 'filling_level', value: 0.25, unit: 'ratio' },
        { time: iso(t0), measurement: 'waste_container', field: 'status', value: 'ok', unit: '' },
        { time: iso(t0 + 1000), measurement: 'device_health', field: 'battery_level', value: 0.75, unit: 'ratio' },
        { time: iso(t0 + 1000), measurement: 'device_health', field: 'rssi_dbm', value: -97, unit: 'dBm' },
        { time: iso(t0 + 2000), measurement: 'waste_container', field: 'filling_level', value: 0.5, unit: 'ratio' },
        { time: iso(t0 + 2000), measurement: 'waste_container', field: 'lid_open', value: true, unit: '' },
      ],
    })
  })

  it('should take fields repeated or comma-separated', async () => {
    const fields = (body: unknown): string[] => (body as { readings: { field: string }[] }).readings.map((r) => r.field)
    expect(fields((await get(`${range}&field=filling_level`)).body)).toEqual(['filling_level', 'filling_level'])
    expect(fields((await get(`${range}&field=filling_level,battery_level`)).body)).toEqual(['filling_level', 'battery_level', 'filling_level'])
    expect(fields((await get(`${range}&field=status&field=battery_level`)).body)).toEqual(['status', 'battery_level'])
  })

  it('should apply the limit per field and the range bounds: from inclusive, to exclusive', async () => {
    const limited = (await get(`${range}&field=filling_level&limit=1`)).body as { readings: { value: unknown }[] }
    expect(limited.readings.map((r) => r.value)).toEqual([0.25])
    const bounded = (await get(`from=${iso(t0 + 1000)}&to=${iso(t0 + 2000)}`)).body as { readings: { field: string }[] }
    expect(bounded.readings.map((r) => r.field)).toEqual(['battery_level', 'rssi_dbm'])
  })

  it('should accept offsets and default to the last 24 hours', async () => {
    const withOffset = await get(`from=2026-01-15T09:00:00.250%2B01:00&to=2026-01-15T09:00:01.250%2B01:00`)
    expect(withOffset.status).toBe(200)
    expect(withOffset.body).toMatchObject({ from: iso(t0), to: iso(t0 + 1000) })

    const before = Date.now()
    const defaults = await get('')
    const { from, to, readings } = defaults.body as { from: string; to: string; readings: unknown[] }
    expect(Date.parse(to) - Date.parse(from)).toBe(24 * 3_600_000)
    expect(Date.parse(to)).toBeGreaterThanOrEqual(before - 1)
    expect(readings).toEqual([])
  })

  it('should answer 404 DEVICE_UNKNOWN for an unregistered device', async () => {
    const { status, body } = await get(range, 'bin-2')
    expect(status).toBe(404)
    expect((body as ErrorBody).error.code).toBe('DEVICE_UNKNOWN')
  })

  it('should refuse invalid parameters with 400 naming the parameter and what is wrong', async () => {
    const cases: [query: string, parameter: string, problem: RegExp][] = [
      ['from=yesterday', 'from', /ISO 8601/],
      ['from=2026-01-15T08:00:00', 'from', /time zone/],
      [`to=not-a-date`, 'to', /ISO 8601/],
      [`from=${iso(t0)}&to=${iso(t0 - 1)}`, 'to', /later than "from"/],
      [`from=${iso(t0)}&to=${iso(t0)}`, 'to', /later than "from"/],
      [`from=${iso(t0 - 367 * 86_400_000)}&to=${iso(t0)}`, 'from', /366 days/],
      ['field=x;DROP', 'field', /letters, digits and underscores/],
      ['field=filling_level,x%27%20OR%201=1', 'field', /letters, digits and underscores/],
      ['field=filling_levle', 'field', /not a stored field/],
      ['field=', 'field', /letters, digits and underscores/],
      ['limit=0', 'limit', /at least 1/],
      ['limit=100001', 'limit', /at most 100000/],
      ['limit=2.5', 'limit', /whole number/],
      ['limit=ten', 'limit', /whole number/],
      ['limt=10', 'limt', /unknown query parameter/],
    ]
    for (const [query, parameter, problem] of cases) {
      const { status, body } = await get(query)
      expect(status, query).toBe(400)
      const { error } = body as ErrorBody
      expect(error.code, query).toBe('INVALID_PARAMETER')
      expect(error.parameter, query).toBe(parameter)
      expect(error.message, query).toContain(`"${parameter}"`)
      expect(error.message, query).toMatch(problem)
    }
  })
})
