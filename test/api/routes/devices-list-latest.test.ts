import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Device } from '../../../core/registry/device.js'
import { addDevice, apiFixture, seriesTags, type ApiFixture } from '../api-fixture.js'

const t0 = Date.UTC(2026, 0, 15, 8, 0, 0, 250)

describe('GET /v1/devices', () => {
  let f: ApiFixture

  beforeAll(async () => {
    f = await apiFixture()
    await addDevice(f.registry, { id: 'bin-2', site: 'south' })
    await addDevice(f.registry, { id: 'bin-1', location: { type: 'Point', coordinates: [4.42, 51.21] } })
    await addDevice(f.registry, { id: 'scale-1', tenant: 'other', kind: 'weighing_device', format: 'senml' })
  })
  afterAll(() => f.close())

  it('should list every registered device by id, without the secret hash', async () => {
    const response = await f.app.inject({ method: 'GET', headers: f.admin, url: '/v1/devices' })
    expect(response.statusCode).toBe(200)
    const body = response.json<{ devices: Record<string, unknown>[] }>()
    expect(body.devices.map((d) => d.id)).toEqual(['bin-1', 'bin-2', 'scale-1'])
    expect(body.devices[0]).toEqual({
      id: 'bin-1',
      tenant: 'city',
      site: 'north',
      kind: 'waste_container',
      format: 'ngsi-ld',
      apiKey: 'city-key',
      location: { type: 'Point', coordinates: [4.42, 51.21] },
      createdAt: '2026-01-01T00:00:00.000Z',
    })
    expect(response.body).not.toContain('secretHash')
    expect(response.body).not.toMatch(/scrypt\$|sha256\$|secretHash/)
  })

  it('should filter by tenant, site and kind together', async () => {
    const ids = async (query: string): Promise<unknown[]> =>
      (await f.app.inject({ method: 'GET', headers: f.admin, url: `/v1/devices?${query}` })).json<{ devices: Device[] }>().devices.map((d) => d.id)
    expect(await ids('tenant=city')).toEqual(['bin-1', 'bin-2'])
    expect(await ids('tenant=city&site=south')).toEqual(['bin-2'])
    expect(await ids('kind=weighing_device')).toEqual(['scale-1'])
    expect(await ids('tenant=nobody')).toEqual([])
  })

  it('should refuse invalid filters with 400 naming the parameter', async () => {
    for (const [query, parameter] of [
      ["tenant=x'%20OR%201=1", 'tenant'],
      ['site=a%2Fb', 'site'],
      ['kind=toaster', 'kind'],
      ['tenat=city', 'tenat'],
    ] as const) {
      const response = await f.app.inject({ method: 'GET', headers: f.admin, url: `/v1/devices?${query}` })
      expect(response.statusCode, query).toBe(400)
      const { error } = response.json<{ error: { code: string; message: string; parameter: string } }>()
      expect(error.code).toBe('INVALID_PARAMETER')
      expect(error.parameter).toBe(parameter)
      expect(error.message).toContain(`"${parameter}"`)
    }
  })
})

describe('GET /v1/devices/:id/latest', () => {
  let f: ApiFixture
  let bin: Device

  beforeAll(async () => {
    f = await apiFixture()
    bin = await addDevice(f.registry, { id: 'bin-1' })
    await addDevice(f.registry, { id: 'bin-quiet' })
    const tags = seriesTags(bin)
    await f.store.write([
      { measurement: 'waste_container', tags, fields: { filling_level: 0.2, temperature_c: 19.5, status: 'ok' }, time: t0 },
      { measurement: 'waste_container', tags, fields: { filling_level: 0.35 }, time: t0 + 60_000 },
      { measurement: 'device_health', tags, fields: { battery_level: 0.9 }, time: t0 + 30_000 },
      // Same device id in another tenant: not this device's data.
      { measurement: 'waste_container', tags: { ...tags, tenant: 'other' }, fields: { filling_level: 0.99 }, time: t0 + 120_000 },
    ])
  })
  afterAll(() => f.close())

  it('should return the newest value of each field with its own time and unit', async () => {
    const response = await f.app.inject({ method: 'GET', headers: f.admin, url: '/v1/devices/bin-1/latest' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      deviceId: 'bin-1',
      values: [
        { measurement: 'device_health', field: 'battery_level', value: 0.9, unit: 'ratio', time: new Date(t0 + 30_000).toISOString() },
        { measurement: 'waste_container', field: 'filling_level', value: 0.35, unit: 'ratio', time: new Date(t0 + 60_000).toISOString() },
        { measurement: 'waste_container', field: 'status', value: 'ok', unit: '', time: new Date(t0).toISOString() },
        { measurement: 'waste_container', field: 'temperature_c', value: 19.5, unit: 'Cel', time: new Date(t0).toISOString() },
      ],
    })
  })

  it('should return no values for a registered device that has reported nothing', async () => {
    const response = await f.app.inject({ method: 'GET', headers: f.admin, url: '/v1/devices/bin-quiet/latest' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ deviceId: 'bin-quiet', values: [] })
  })

  it('should answer 404 DEVICE_UNKNOWN for an unregistered device', async () => {
    const response = await f.app.inject({ method: 'GET', headers: f.admin, url: '/v1/devices/bin-404/latest' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { code: 'DEVICE_UNKNOWN', message: 'no device "bin-404" is registered' } })
  })

  it('should refuse hostile ids with 400 naming the id and query nothing', async () => {
    for (const id of ["bin-1'%20OR%20'1'='1", '%22%3B%20DROP%20DATABASE%20x', 'bin-1%0A', '..%2F..%2Fetc', '%2F.*%2F', 'a'.repeat(129)]) {
      const response = await f.app.inject({ method: 'GET', headers: f.admin, url: `/v1/devices/${id}/latest` })
      expect(response.statusCode, id).toBe(400)
      expect(response.json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'id' } })
    }
    const longest = await f.app.inject({ method: 'GET', headers: f.admin, url: `/v1/devices/${'a'.repeat(128)}/latest` })
    expect(longest.statusCode).toBe(404)
  })
})
