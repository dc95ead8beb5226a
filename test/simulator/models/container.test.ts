import { describe, expect, test } from 'vitest'
import { ContainerModel, type ContainerSettings } from '../../../simulator/models/container.js'
import { Rng } from '../../../simulator/prng.js'

const minute = 60_000
const hour = 60 * minute
const iso = (text: string): number => Date.parse(text)

/** Noise off, so every value can be worked out by hand from the hourly factors. */
const settings: ContainerSettings = {
  timeZone: 'Europe/Brussels',
  fillPerDay: 2.4,
  initialFill: 0.1,
  residualFill: 0.02,
  volumeM3: 3,
  densityKgM3: 60,
  noise: 0,
  battery: { start: 0.3, drainPerDay: 0.1 },
}

function run(s: ContainerSettings, start: number, end: number, step = 15 * minute): ReturnType<ContainerModel['observe']>[] {
  const model = new ContainerModel(s, new Rng(1), start)
  const out = []
  for (let t = start + step; t <= end; t += step) out.push(model.observe(t))
  return out
}

describe('ContainerModel', () => {
  test('fill should rise with the rhythm: 0.018 in a night hour, 0.162 in an evening hour (Wednesday, 0.1 per hour on average)', () => {
    // Wednesday 2026-01-14, Brussels = UTC+1: 03:00–04:00 local has factor 0.2 × 0.9, 19:00–20:00 local 1.8 × 0.9.
    const night = new ContainerModel(settings, new Rng(1), iso('2026-01-14T02:00:00Z')).observe(iso('2026-01-14T03:00:00Z'))
    const evening = new ContainerModel(settings, new Rng(1), iso('2026-01-14T18:00:00Z')).observe(iso('2026-01-14T19:00:00Z'))
    expect(night.fill).toBe(0.118)
    expect(evening.fill).toBe(0.262)
    // 3 m³ of paper at 60 kg/m³.
    expect(evening.cargoKg).toBe(Math.round(0.262 * 3 * 60 * 10) / 10)
  })

  test('a collection round should empty the container once, at its time on its day', () => {
    const round: ContainerSettings = { ...settings, fillPerDay: 0.24, initialFill: 0.5, collection: { days: [3], minuteOfDay: 7 * 60 } }
    const seen = run(round, iso('2026-01-14T04:00:00Z'), iso('2026-01-14T06:15:00Z'))
    const at = (t: string) => seen.find((o) => o.time === iso(t))!
    // 05–06 local: 0.01 × 0.3 × 0.9 = 0.0027; 06:00–06:45 local: 0.75 × 0.01 × 0.8 × 0.9 = 0.0054.
    expect(at('2026-01-14T05:45:00Z').fill).toBe(0.508)
    // 07:00 local: the truck has been; the sensor reads what is left.
    expect(at('2026-01-14T06:00:00Z').fill).toBe(0.02)
    // Then it fills again: 0.25 h × 0.01 × 1.4 × 0.9 = 0.00315.
    expect(at('2026-01-14T06:15:00Z').fill).toBe(0.023)

    // Over a week a Monday-and-Thursday round empties it exactly twice, each time a drop the footprint processor counts (≥ 0.3 down to ≤ 0.25).
    const week = run({ ...settings, fillPerDay: 0.25, initialFill: 0.5, collection: { days: [1, 4], minuteOfDay: 6 * 60 + 30 } }, iso('2026-01-12T00:00:00Z'), iso('2026-01-19T00:00:00Z'))
    const drops = week.slice(1).filter((o, i) => o.fill < week[i]!.fill)
    expect(drops.map((o) => new Date(o.time).toISOString())).toEqual(['2026-01-12T05:30:00.000Z', '2026-01-15T05:30:00.000Z'])
    for (const drop of drops) {
      const before = week[week.indexOf(drop) - 1]!
      expect(before.fill - drop.fill).toBeGreaterThanOrEqual(0.3)
      expect(drop.fill).toBeLessThanOrEqual(0.25)
    }
  })

  test('a container the rounds miss should pass its threshold, reach 1 and stay full', () => {
    const missed = run({ ...settings, fillPerDay: 0.3, initialFill: 0.75 }, iso('2026-01-12T00:00:00Z'), iso('2026-01-15T00:00:00Z'))
    expect(missed.find((o) => o.fill >= 0.8)!.time - iso('2026-01-12T00:00:00Z')).toBeLessThan(12 * hour)
    const full = missed.findIndex((o) => o.fill === 1)
    expect(full).toBeGreaterThan(0)
    expect(missed.slice(full).every((o) => o.fill === 1)).toBe(true)
    expect(missed.every((o, i) => i === 0 || o.fill >= missed[i - 1]!.fill)).toBe(true)
  })

  test('a container the rounds miss should be emptied when its street is cleared, the set time after it first reads full, each time it fills up', () => {
    const start = iso('2026-01-12T00:00:00Z')
    const seen = run({ ...settings, fillPerDay: 0.6, initialFill: 0.75, clearedAfterFullMs: 12 * hour }, start, start + 6 * 24 * hour)
    const emptied = seen.filter((o, i) => i > 0 && o.fill < seen[i - 1]!.fill)
    expect(emptied.length).toBeGreaterThanOrEqual(2)
    let since = start
    for (const e of emptied) {
      // The first full reading since the last emptying, twelve hours before the crew comes; then what a collection leaves.
      const firstFull = seen.find((o) => o.time > since && o.fill === 1)!
      expect(e.time - firstFull.time).toBe(12 * hour)
      expect(e.fill).toBe(0.02)
      since = e.time
    }
  })

  test('a fire should heat the container by more than 20 °C within minutes and report burning until it is put out', () => {
    // 13:00Z is 14:00 in Brussels, when the ambient model gives exactly 15 °C.
    const fireAt = iso('2026-01-14T13:00:00Z')
    const model = new ContainerModel({ ...settings, fire: { at: fireAt, durationMs: 40 * minute } }, new Rng(1), fireAt - 15 * minute)
    // 13:59 local: 9 + 6 sin(5π/12) = 14.80 °C.
    expect(model.observe(fireAt - minute)).toMatchObject({ temperatureC: 14.8, status: 'ok' })
    // 110 × (1 − e^(−2/6)) = 31.18 °C above ambient after 2 minutes.
    expect(model.observe(fireAt + 2 * minute)).toMatchObject({ temperatureC: 46.2, status: 'burning' })
    // 110 × (1 − e^(−10/6)) = 89.2 °C above ambient after 10 minutes.
    expect(model.observe(fireAt + 10 * minute)).toMatchObject({ temperatureC: 104.2, status: 'burning' })
    // Put out after 40 minutes at 110 × (1 − e^(−40/6)) = 109.86 °C above ambient…
    expect(model.observe(fireAt + 40 * minute)).toMatchObject({ temperatureC: 124.9, status: 'ok' })
    // …then cooling with a 15-minute time constant: 109.86 / e = 40.42.
    expect(model.observe(fireAt + 55 * minute)).toMatchObject({ temperatureC: 55.4, status: 'ok' })
  })

  test('the battery should drain linearly from its start level', () => {
    const start = iso('2026-01-14T00:00:00Z')
    const model = new ContainerModel(settings, new Rng(1), start)
    expect(model.observe(start + 12 * hour).battery).toBe(0.25)
    expect(model.observe(start + 24 * hour).battery).toBe(0.2)
  })
})
