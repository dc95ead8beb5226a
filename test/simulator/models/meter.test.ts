import { describe, expect, test } from 'vitest'
import { MeterModel, type MeterSettings } from '../../../simulator/models/meter.js'
import { Rng } from '../../../simulator/prng.js'
import { electricityLoad } from '../../../simulator/rhythms.js'

const minute = 60_000
const iso = (text: string): number => Date.parse(text)

const settings: MeterSettings = { timeZone: 'Europe/Brussels', meanPerHour: 10, rhythm: electricityLoad, initialRegister: 1000, decimals: 3, noise: 0 }

describe('MeterModel', () => {
  test('the register should rise by the profile: 10 kWh/h × 1.7 (10 h) × 1.1 (Wednesday) over 15 minutes is 4.675 kWh', () => {
    const start = iso('2026-01-14T09:00:00Z')
    const meter = new MeterModel(settings, new Rng(1), start)
    expect(meter.observe(start + 15 * minute)).toEqual({ time: start + 15 * minute, register: 1004.675, ratePerHour: 18.7 })
    // At night the same building draws 10 × 0.4 × 1.1 = 4.4 kWh/h.
    const night = new MeterModel(settings, new Rng(1), iso('2026-01-14T01:00:00Z'))
    expect(night.observe(iso('2026-01-14T02:00:00Z')).register).toBe(1004.4)
  })

  test('a swapped meter should start again from zero, once', () => {
    const start = iso('2026-01-14T09:00:00Z')
    const meter = new MeterModel({ ...settings, resetAt: start + 30 * minute }, new Rng(1), start)
    const readings = Array.from({ length: 96 }, (_, i) => meter.observe(start + (i + 1) * 15 * minute).register)
    // The reading at the swap shows the new meter's zero, the next one its first 15 minutes.
    expect(readings.slice(0, 3)).toEqual([1004.675, 0, 4.675])
    const decreases = readings.filter((r, i) => i > 0 && r < readings[i - 1]!)
    expect(decreases).toEqual([0])
  })

  test('the register should never fall without a reset, noise or not', () => {
    const start = iso('2026-01-12T00:00:00Z')
    const meter = new MeterModel({ ...settings, noise: 0.3 }, new Rng(9), start)
    const readings = Array.from({ length: 7 * 96 }, (_, i) => meter.observe(start + (i + 1) * 15 * minute).register)
    expect(readings.every((r, i) => i === 0 || r >= readings[i - 1]!)).toBe(true)
  })
})
