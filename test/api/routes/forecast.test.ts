import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Point } from '../../../core/store/store.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

interface Forecast {
  tenant: string
  containers: { deviceId: string; site: string; fraction?: string; fillLevel: number; fillRatePerDay?: number; timeToFullHours?: number; forecastFullAt?: string; observedAt: string }[]
}

const hour = 3_600_000
const day = 24 * hour

describe('GET /v1/containers/forecast', () => {
  let f: ApiFixture
  let now: number

  /** A forecast point as the footprint processor writes it; fields beyond the fill level only once the fill rate is known. */
  function forecast(tenant: string, site: string, device: string, time: number, fill: number, ratePerDay?: number, extra: Record<string, string> = {}): Point {
    const fields: Record<string, number> = { fill_level: fill }
    if (ratePerDay !== undefined) {
      fields.fill_rate_per_day = ratePerDay
      fields.time_to_full_h = ((0.9 - fill) / ratePerDay) * 24
      fields.forecast_full_at = time + fields.time_to_full_h * hour
    }
    return { measurement: 'container_forecast', tags: { tenant, site, device, kind: 'waste_container', ...extra }, fields, time }
  }

  beforeAll(async () => {
    f = await apiFixture()
    now = Date.now()
    await f.store.write([
      // bin-a: an older forecast and a newer one; only the newer counts.
      forecast('alpha', 'north', 'bin-a', now - 3 * day, 0.2, 0.1),
      forecast('alpha', 'north', 'bin-a', now - hour, 0.5, 0.2, { fraction: 'glass' }),
      // bin-b: fuller sooner than bin-a.
      forecast('alpha', 'south', 'bin-b', now - 2 * hour, 0.8, 0.4),
      // bin-c: no fill rate yet, so no forecast.
      forecast('alpha', 'north', 'bin-c', now - 2 * hour, 0.1),
      // bin-old: not heard from in 40 days.
      forecast('alpha', 'north', 'bin-old', now - 40 * day, 0.6, 0.1),
      // Another tenant's container, soonest full of all.
      forecast('beta', 'north', 'bin-beta', now - hour, 0.89, 1),
    ])
  })
  afterAll(() => f.close())

  const get = (headers: Record<string, string>, query = '') => f.app.inject({ method: 'GET', url: `/v1/containers/forecast${query}`, headers })

  test('each container\'s newest forecast, the soonest full first and those without a forecast last', async () => {
    const response = await get(f.as('analyst', 'alpha'))
    expect(response.statusCode).toBe(200)
    const body = response.json<Forecast>()
    expect(body.tenant).toBe('alpha')
    expect(body.containers.map((c) => c.deviceId)).toEqual(['bin-b', 'bin-a', 'bin-c'])
    const binA = forecast('alpha', 'north', 'bin-a', now - hour, 0.5, 0.2)
    expect(body.containers[1]).toEqual({
      deviceId: 'bin-a',
      site: 'north',
      fraction: 'glass',
      fillLevel: 0.5,
      fillRatePerDay: 0.2,
      timeToFullHours: binA.fields.time_to_full_h,
      forecastFullAt: new Date(binA.fields.forecast_full_at as number).toISOString(),
      observedAt: new Date(now - hour).toISOString(),
    })
    expect(body.containers[2]).toEqual({ deviceId: 'bin-c', site: 'north', fillLevel: 0.1, observedAt: new Date(now - 2 * hour).toISOString() })
  })

  test('withinDays and site narrow the containers', async () => {
    const ids = async (query: string): Promise<string[]> => (await get(f.admin, query)).json<Forecast>().containers.map((c) => c.deviceId)
    // bin-old was due to be full 37 days ago: the soonest of all.
    expect(await ids('?tenant=alpha&withinDays=60')).toEqual(['bin-old', 'bin-b', 'bin-a', 'bin-c'])
    expect(await ids('?tenant=alpha&site=north')).toEqual(['bin-a', 'bin-c'])
    expect(await ids('?tenant=alpha&withinDays=1&site=south')).toEqual(['bin-b'])
    expect(await ids('?tenant=beta')).toEqual(['bin-beta'])
  })

  test('the tenant comes from the key; a platform admin must name one; withinDays is checked', async () => {
    const forbidden = await get(f.as('analyst', 'alpha'), '?tenant=beta')
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
    const unnamed = await get(f.admin)
    expect(unnamed.statusCode).toBe(400)
    expect(unnamed.json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'tenant' } })
    for (const withinDays of ['0', '367', 'soon']) {
      const response = await get(f.admin, `?tenant=alpha&withinDays=${withinDays}`)
      expect(response.statusCode, withinDays).toBe(400)
      expect(response.json(), withinDays).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'withinDays' } })
    }
  })
})
