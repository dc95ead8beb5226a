import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

const day = Date.UTC(2026, 4, 1)
const range = `from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z&interval=day`

describe('open data: only what the tenant\'s policy marks public, aggregated', () => {
  let f: ApiFixture

  beforeAll(async () => {
    const tenantsFile = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json')
    writeFileSync(tenantsFile, JSON.stringify({ version: 1, tenants: { alpha: { openData: { metrics: ['waste_received_kg', 'telemetry_completeness'] } }, beta: {} } }))
    f = await apiFixture({ env: { TENANTS_FILE: tenantsFile } })
    const flow = (tenant: string, device: string, kg: number) => ({
      measurement: 'material_flow_rollup',
      tags: { tenant, site: 'north', device, interval: 'day', fraction: 'paper', direction: 'in' },
      fields: { mass_kg: kg },
      time: day,
    })
    await f.store.write([
      flow('alpha', 'scale-1', 100),
      flow('alpha', 'scale-2', 50),
      flow('beta', 'scale-9', 999),
      { measurement: 'telemetry_rollup', tags: { tenant: 'alpha', site: 'north', device: 'scale-1', interval: 'hour' }, fields: { heard: 1 }, time: day },
      { measurement: 'waste_container', tags: { tenant: 'alpha', site: 'north', device: 'bin-1', kind: 'waste_container' }, fields: { filling_level: 0.5 }, time: day },
    ])
  })
  afterAll(() => f.close())

  const open = (url: string) => f.app.inject({ method: 'GET', url })

  test('lists the public metrics without a key, never a per-device one', async () => {
    const response = await open('/v1/open/alpha/metrics')
    expect(response.statusCode).toBe(200)
    expect(response.json<{ metrics: { id: string }[] }>().metrics.map((m) => m.id)).toEqual(['waste_received_kg'])
    expect((await open('/v1/open/beta/metrics')).json()).toEqual({ tenant: 'beta', metrics: [] })
  })

  test('serves a public metric tenant-wide, summed over devices, from that tenant only', async () => {
    const response = await open(`/v1/open/alpha/footprint?metric=waste_received_kg&${range}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ tenant: 'alpha', unit: 'kg', rows: [{ time: '2026-05-01T00:00:00.000Z', dims: { fraction: 'paper' }, value: 150 }] })
    expect(response.body).not.toContain('scale-')
    expect(response.body).not.toContain('999')
  })

  test('refuses metrics the policy does not list, per-device metrics, raw readings and hourly detail', async () => {
    for (const url of [
      `/v1/open/beta/footprint?metric=waste_received_kg&${range}`,
      `/v1/open/alpha/footprint?metric=recycling_rate&${range}`,
      `/v1/open/alpha/footprint?metric=telemetry_completeness&${range}`,
      `/v1/open/nobody/footprint?metric=waste_received_kg&${range}`,
    ]) {
      const response = await open(url)
      expect(response.statusCode, url).toBe(404)
      expect(response.json(), url).toMatchObject({ error: { code: 'METRIC_NOT_PUBLIC' } })
    }
    expect((await open('/v1/open/alpha/footprint?metric=waste_received_kg&interval=hour')).statusCode).toBe(400)
    expect((await open('/v1/open/alpha/footprint?metric=waste_received_kg&site=north')).statusCode).toBe(400)
    for (const url of ['/v1/open/alpha/readings', '/v1/open/alpha/devices', '/v1/devices/bin-1/readings', '/v1/footprint?metric=waste_received_kg&tenant=alpha']) {
      expect([401, 404], url).toContain((await open(url)).statusCode)
    }
  })
})
