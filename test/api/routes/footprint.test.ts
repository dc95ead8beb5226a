import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { allMetrics } from '../../../api/footprint/metric-catalogue.js'
import type { Point } from '../../../core/store/store.js'
import { loadFactorSets } from '../../../models/factors/factor-sets.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

interface FootprintBody {
  metric: string
  catalogue: string
  summary: string
  unit: string
  interval: string
  tenant: string
  site?: string
  from: string
  to: string
  indicative: boolean
  factorSet: { version: string; description: string; country: string } | null
  targets: { year: number; value: number; source: string }[]
  basis: { rollupPoints: number; devices: number }
  rows: { time: string; dims: Record<string, string>; value: number }[]
}

const day1 = Date.UTC(2026, 4, 1)
const day2 = Date.UTC(2026, 4, 2)
const range = 'from=2026-05-01T00:00:00Z&to=2026-05-03T00:00:00Z&interval=day'
const iso = (ms: number): string => new Date(ms).toISOString()

function flow(tenant: string, site: string, device: string, time: number, kg: number, tags: Record<string, string> = {}): Point {
  return { measurement: 'material_flow_rollup', tags: { tenant, site, device, interval: 'day', fraction: 'paper', direction: 'in', ...tags }, fields: { mass_kg: kg }, time }
}

describe('GET /v1/footprint and GET /v1/sites/:id/kpis', () => {
  let f: ApiFixture
  let factorDir: string
  /** The built-in set, and a newer one with twice its Belgian grid factor. */
  const builtIn = loadFactorSets().get('2025.1')!
  const newerBelgianFactor = builtIn.electricity.BE!.value * 2

  beforeAll(async () => {
    factorDir = mkdtempSync(join(tmpdir(), 'circular-factors-'))
    const newer = JSON.parse(readFileSync(new URL('../../../models/factors/sets/2025.1.json', import.meta.url), 'utf8')) as { version: string; description: string; electricity: Record<string, { value: number }> }
    newer.version = '2026.1'
    newer.description = 'a newer set for this test'
    newer.electricity.BE!.value = newerBelgianFactor
    writeFileSync(join(factorDir, '2026.1.json'), JSON.stringify(newer))
    f = await apiFixture({ env: { FACTOR_SETS_DIR: factorDir, FOOTPRINT_DEFAULT_COUNTRY: 'BE' } })
    await f.store.write([
      flow('alpha', 'north', 'scale-1', day1, 100),
      flow('alpha', 'north', 'scale-2', day1, 50),
      flow('alpha', 'south', 'scale-3', day1, 30, { fraction: 'glass' }),
      flow('alpha', 'north', 'scale-1', day2, 20),
      // Sent out, not received: no part of the received mass.
      flow('alpha', 'north', 'scale-1', day2, 5, { direction: 'out', destination: 'recycling' }),
      // An hourly rollup of the same flows: only for interval=hour.
      flow('alpha', 'north', 'scale-1', day1 + 3_600_000, 7, { interval: 'hour' }),
      flow('beta', 'north', 'scale-9', day1, 999),
      flow('gamma', 'north', 'scale-g', day1, 12, { fraction: 'paper, "mixed"' }),
      { measurement: 'energy_rollup', tags: { tenant: 'alpha', site: 'north', device: 'meter-1', interval: 'day', meter_type: 'electricity' }, fields: { consumption_kwh: 1000 }, time: day1 },
    ])
  })
  afterAll(async () => {
    await f.close()
    rmSync(factorDir, { recursive: true, force: true })
  })

  const get = (url: string, headers: Record<string, string> = f.admin) => f.app.inject({ method: 'GET', url, headers })

  test('a metric per window over all sites of the tenant, with what it rests on', async () => {
    const response = await get(`/v1/footprint?metric=waste_received_kg&${range}`, f.as('analyst', 'alpha'))
    expect(response.statusCode).toBe(200)
    const definition = allMetrics.find((m) => m.id === 'waste_received_kg')!
    expect(response.json()).toEqual({
      metric: 'waste_received_kg',
      catalogue: definition.catalogue,
      summary: definition.summary,
      unit: 'kg',
      interval: 'day',
      tenant: 'alpha',
      from: iso(day1),
      to: '2026-05-03T00:00:00.000Z',
      indicative: false,
      factorSet: null,
      targets: [],
      // The five daily points of alpha, from three devices; the outflow is read but not received mass.
      basis: { rollupPoints: 5, devices: 3 },
      rows: [
        { time: iso(day1), dims: { fraction: 'glass' }, value: 30 },
        { time: iso(day1), dims: { fraction: 'paper' }, value: 150 },
        { time: iso(day2), dims: { fraction: 'paper' }, value: 20 },
      ],
    })
  })

  test('one site only, and the hourly rollups for interval=hour', async () => {
    const north = (await get(`/v1/footprint?metric=waste_received_kg&tenant=alpha&site=north&${range}`)).json<FootprintBody>()
    expect(north.site).toBe('north')
    expect(north.basis).toEqual({ rollupPoints: 4, devices: 2 })
    expect(north.rows.map((r) => r.value)).toEqual([150, 20])
    const hourly = (await get('/v1/footprint?metric=waste_received_kg&tenant=alpha&from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z&interval=hour')).json<FootprintBody>()
    expect(hourly.rows).toEqual([{ time: iso(day1 + 3_600_000), dims: { fraction: 'paper' }, value: 7 }])
  })

  test('CO2e with the newest factor set by default, or the one asked for, applied to the same past kWh', async () => {
    const newest = (await get(`/v1/footprint?metric=electricity_co2e&tenant=alpha&${range}`)).json<FootprintBody>()
    expect(newest.factorSet).toEqual({ version: '2026.1', description: 'a newer set for this test', country: 'BE' })
    expect(newest.rows).toEqual([{ time: iso(day1), dims: {}, value: 1000 * newerBelgianFactor }])
    const asked = (await get(`/v1/footprint?metric=electricity_co2e&tenant=alpha&factorSet=2025.1&${range}`)).json<FootprintBody>()
    expect(asked.factorSet).toEqual({ version: '2025.1', description: builtIn.description, country: 'BE' })
    expect(asked.rows).toEqual([{ time: iso(day1), dims: {}, value: 1000 * builtIn.electricity.BE!.value }])
    const unknown = await get(`/v1/footprint?metric=electricity_co2e&tenant=alpha&factorSet=2024.9&${range}`)
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json()).toEqual({ error: { code: 'INVALID_PARAMETER', message: 'query parameter "factorSet": is not a known factor set; known: 2025.1, 2026.1', parameter: 'factorSet' } })
  })

  test('CSV: provenance on top, one column per dimension, cells quoted where they must be', async () => {
    const response = await get(`/v1/footprint?metric=waste_received_kg&tenant=alpha&format=csv&${range}`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(response.body).toBe(['# metric=waste_received_kg unit=kg', 'time,fraction,value', `${iso(day1)},glass,30`, `${iso(day1)},paper,150`, `${iso(day2)},paper,20`, ''].join('\n'))
    const co2e = await get(`/v1/footprint?metric=electricity_co2e&tenant=alpha&format=csv&${range}`)
    expect(co2e.body.split('\n').slice(0, 2)).toEqual(['# metric=electricity_co2e unit=kg CO2e factorSet=2026.1', 'time,value'])
    const quoted = await get(`/v1/footprint?metric=waste_received_kg&tenant=gamma&format=csv&${range}`)
    expect(quoted.body.split('\n')[2]).toBe(`${iso(day1)},"paper, ""mixed""",12`)
  })

  test('the tenant comes from the key; the metric and range are checked', async () => {
    const forbidden = await get(`/v1/footprint?metric=waste_received_kg&tenant=beta&${range}`, f.as('analyst', 'alpha'))
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
    for (const [query, parameter] of [
      [`metric=waste_received_kg&${range}`, 'tenant'],
      [`metric=waste_recieved_kg&tenant=alpha&${range}`, 'metric'],
      ['metric=waste_received_kg&tenant=alpha&from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', 'to'],
      [`metric=waste_received_kg&tenant=alpha&interval=week`, 'interval'],
    ] as const) {
      const response = await get(`/v1/footprint?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json(), query).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter } })
    }
  })

  test('a site\'s KPIs: every metric not computed from hourly rollups, each for that site', async () => {
    const response = await get(`/v1/sites/north/kpis?tenant=alpha&${range}`, f.as('analyst', 'alpha'))
    expect(response.statusCode).toBe(200)
    const body = response.json<{ site: string; tenant: string; kpis: FootprintBody[] }>()
    expect(body.site).toBe('north')
    expect(body.tenant).toBe('alpha')
    expect(body.kpis.map((k) => k.metric)).toEqual(allMetrics.filter((m) => !m.fromHourly).map((m) => m.id))
    for (const kpi of body.kpis) expect(kpi, kpi.metric).toMatchObject({ site: 'north', tenant: 'alpha', interval: 'day' })
    expect(body.kpis.find((k) => k.metric === 'waste_received_kg')?.rows.map((r) => r.value)).toEqual([150, 20])
    expect(body.kpis.find((k) => k.metric === 'electricity_co2e')?.rows.map((r) => r.value)).toEqual([1000 * newerBelgianFactor])
    const hourly = await get('/v1/sites/north/kpis?tenant=alpha&interval=hour&from=2026-05-01T00:00:00Z')
    expect(hourly.statusCode).toBe(400)
    expect(hourly.json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'interval' } })
  })
})
