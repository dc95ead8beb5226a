import { describe, expect, test } from 'vitest'
import { SimulationClock } from '../../simulator/clock.js'

const hour = 3_600_000

describe('SimulationClock', () => {
  const wallStart = Date.parse('2026-01-14T12:00:00Z')
  const clock = new SimulationClock(wallStart - 10 * hour, wallStart, 3600)

  test('should run speed times faster than the wall clock while replaying history', () => {
    expect(clock.at(wallStart)).toBe(wallStart - 10 * hour)
    // 5 s of wall time at 3600× are 5 simulated hours: 5 hours behind the wall clock.
    expect(clock.at(wallStart + 5000)).toBe(wallStart - 5 * hour)
    expect(clock.caughtUp(wallStart + 5000)).toBe(false)
  })

  test('should never run ahead of the wall clock once it has caught up', () => {
    // 10 h behind, gaining 3599 ms per ms: caught up after 36 000 000 / 3599 ≈ 10 002.8 ms.
    expect(clock.at(wallStart + 10_002)).toBe(wallStart + 7_200)
    expect(clock.caughtUp(wallStart + 10_002)).toBe(false)
    expect(clock.at(wallStart + 10_003)).toBe(wallStart + 10_003)
    expect(clock.caughtUp(wallStart + 10_003)).toBe(true)
    expect(clock.at(wallStart + 20_000)).toBe(wallStart + 20_000)
    expect(clock.at(wallStart + hour)).toBe(wallStart + hour)
  })
})
