import { describe, expect, test } from 'vitest'
import { CityEngine } from '../../simulator/engine.js'
import { planFleet } from '../../simulator/fleet.js'
import { scenarioFor } from '../../simulator/scenario.js'
import type { SimulatedMessage } from '../../simulator/sources.js'

const hour = 3_600_000
const start = Date.parse('2026-01-12T00:00:00Z')

function run(seed: number, hours = 48, scale = 1): SimulatedMessage[] {
  const engine = new CityEngine(planFleet('demo-city', scale, seed), 'demo-city', seed, scenarioFor(start, hours))
  return engine.takeUntil(start + hours * hour)
}

describe('CityEngine', () => {
  test('the same seed should give the same (topic, payload, time) sequence; another seed another one', () => {
    const first = run(7)
    expect(first.length).toBeGreaterThan(1000)
    expect(run(7)).toEqual(first)
    const other = run(8)
    expect(other.map((m) => m.payload)).not.toEqual(first.map((m) => m.payload))
  })

  test('messages should come in simulated-time order and never after the time asked for', () => {
    const engine = new CityEngine(planFleet('demo-city', 2, 3), 'demo-city', 3, scenarioFor(start, 24))
    let last = start
    for (const limit of [start + 10 * 60_000, start + 3 * hour, start + 3 * hour, start + 24 * hour]) {
      for (const m of engine.takeUntil(limit)) {
        expect(m.time).toBeGreaterThanOrEqual(last)
        expect(m.time).toBeLessThanOrEqual(limit)
        last = m.time
      }
      expect(engine.peekTime()!).toBeGreaterThan(limit)
    }
  })

  test('takeUntil should stop at the cap and carry on where it stopped', () => {
    const whole = run(5, 6)
    const engine = new CityEngine(planFleet('demo-city', 1, 5), 'demo-city', 5, scenarioFor(start, 6))
    const parts: SimulatedMessage[] = []
    for (let batch = engine.takeUntil(start + 6 * hour, 7); batch.length > 0; batch = engine.takeUntil(start + 6 * hour, 7)) {
      expect(batch.length).toBeLessThanOrEqual(7)
      parts.push(...batch)
    }
    expect(parts).toEqual(whole)
  })

  test('every device should report, and the silent one should stop at its moment for good', () => {
    const plans = planFleet('demo-city', 1, 7)
    const messages = run(7)
    const scenario = scenarioFor(start, 48)
    for (const plan of plans) expect(messages.some((m) => m.deviceId === plan.id), plan.id).toBe(true)
    const silent = plans.find((p) => p.role === 'silent')!
    const its = messages.filter((m) => m.deviceId === silent.id)
    expect(its.at(-1)!.time).toBeLessThan(scenario.silentFrom)
    expect(its.at(-1)!.time).toBeGreaterThanOrEqual(scenario.silentFrom - 15 * 60_000)
  })
})
