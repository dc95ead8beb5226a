import { describe, expect, test } from 'vitest'
import { scenarioFor } from '../../simulator/scenario.js'

const hour = 3_600_000
const start = Date.parse('2026-01-14T00:00:00Z')

describe('scenarioFor', () => {
  test('should spread the incidents over the history: reset at 40 %, low battery at 50 %, fire at 60 %, silence at 75 %', () => {
    expect(scenarioFor(start, 10)).toEqual({ startMs: start, counterResetAt: start + 4 * hour, lowBatteryAt: start + 5 * hour, fireAt: start + 6 * hour, silentFrom: start + 7.5 * hour })
  })

  test('should put them within the first two hours when there is no history', () => {
    const s = scenarioFor(start, 0)
    expect([s.counterResetAt, s.lowBatteryAt, s.fireAt, s.silentFrom].map((t) => (t - start) / 60_000)).toEqual([48, 60, 72, 90])
  })
})
