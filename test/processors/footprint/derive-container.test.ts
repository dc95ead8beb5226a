import { describe, expect, test } from 'vitest'
import { defaultContainerSettings, deriveFromFill, deriveFromWeight } from '../../../processors/footprint/derive-container.js'
import { emptyState } from '../../../processors/footprint/state.js'

const h = 3_600_000
const t0 = Date.parse('2026-03-02T00:00:00Z')
const tags = { tenant: 'city', site: 'north', device: 'bin-1', fraction: 'plastic' }

describe('container derivations', () => {
  test('a steady fill should give its rate per day and the time until the 80 % threshold', () => {
    const state = emptyState(0, '0')
    deriveFromFill(state, tags, 0.1, t0, defaultContainerSettings)
    deriveFromFill(state, tags, 0.2, t0 + 10 * h, defaultContainerSettings)
    const points = deriveFromFill(state, tags, 0.3, t0 + 20 * h, defaultContainerSettings)
    // 0.01 per hour = 0.24 per day; from 0.3 to 0.8 takes 50 h.
    const forecast = points.find((p) => p.measurement === 'container_forecast')!
    expect(forecast.fields.fill_rate_per_day).toBeCloseTo(0.24, 9)
    expect(forecast.fields.time_to_full_h).toBeCloseTo(50, 9)
    expect(forecast.fields.forecast_full_at).toBeCloseTo(t0 + 70 * h, 0)
  })

  test('a drop from 0.45 to 0.05 should be a low-fill collection with the last weight, and restart the fill rate', () => {
    const state = emptyState(0, '0')
    deriveFromFill(state, tags, 0.3, t0, defaultContainerSettings)
    deriveFromWeight(state, tags, 41.5, t0 + h)
    deriveFromFill(state, tags, 0.45, t0 + 2 * h, defaultContainerSettings)
    const points = deriveFromFill(state, tags, 0.05, t0 + 3 * h, defaultContainerSettings)
    expect(points.find((p) => p.measurement === 'container_collection')).toEqual({
      measurement: 'container_collection',
      tags,
      fields: { fill_at_collection: 0.45, low_fill: true, mass_at_collection_kg: 41.5 },
      time: t0 + 3 * h,
    })
    const daily = points.find((p) => p.measurement === 'collection_rollup' && p.tags.interval === 'day')
    expect(daily?.fields).toEqual({ collections: 1, low_fill_collections: 1, fill_at_collection_sum: 0.45, collected_kg: 41.5 })
    expect(state.container?.fit.n).toBe(1)
  })

  test('a container at 100 % should report the overflow period once it drops again', () => {
    const state = emptyState(0, '0')
    deriveFromFill(state, tags, 0.9, t0, defaultContainerSettings)
    deriveFromFill(state, tags, 1, t0 + h, defaultContainerSettings)
    deriveFromFill(state, tags, 1, t0 + 2 * h, defaultContainerSettings)
    const points = deriveFromFill(state, tags, 0.1, t0 + 4.5 * h, defaultContainerSettings)
    expect(points.find((p) => p.measurement === 'container_overflow')).toEqual({ measurement: 'container_overflow', tags, fields: { duration_h: 3.5 }, time: t0 + h })
  })

  test('a container without a fill sensor should be emptied when its weight halves by at least 5 kg', () => {
    const state = emptyState(0, '0')
    expect(deriveFromWeight(state, tags, 30, t0)).toEqual([])
    expect(deriveFromWeight(state, tags, 52, t0 + h)).toEqual([])
    const points = deriveFromWeight(state, tags, 3, t0 + 2 * h)
    expect(points.find((p) => p.measurement === 'container_collection')).toEqual({ measurement: 'container_collection', tags, fields: { mass_at_collection_kg: 52 }, time: t0 + 2 * h })
    expect(points.find((p) => p.measurement === 'collection_rollup' && p.tags.interval === 'month')?.fields).toEqual({ collections: 1, collected_kg: 52 })
    // A small drop (52 → 45) is not an emptying.
    const other = emptyState(0, '0')
    deriveFromWeight(other, tags, 52, t0)
    expect(deriveFromWeight(other, tags, 45, t0 + h)).toEqual([])
  })
})
