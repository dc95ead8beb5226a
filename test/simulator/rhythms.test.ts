import { describe, expect, test } from 'vitest'
import { electricityLoad, gasLoad, heatLoad, wasteActivity } from '../../simulator/rhythms.js'

const wednesday = (hour: number) => ({ hour, minute: 0, weekday: 3 })
const sunday = (hour: number) => ({ hour, minute: 0, weekday: 0 })

describe('rhythms', () => {
  test('waste should pile up in the evening far faster than at night, and faster at the weekend', () => {
    expect(wasteActivity(wednesday(3))).toBeCloseTo(0.2 * 0.9, 12)
    expect(wasteActivity(wednesday(19))).toBeCloseTo(1.8 * 0.9, 12)
    expect(wasteActivity(sunday(19))).toBeCloseTo(1.8 * 1.3, 12)
  })

  test('a public building should draw most electricity in office hours on weekdays', () => {
    expect(electricityLoad(wednesday(10))).toBeCloseTo(1.7 * 1.1, 12)
    expect(electricityLoad(wednesday(2))).toBeCloseTo(0.4 * 1.1, 12)
    expect(electricityLoad(sunday(10))).toBeCloseTo(1.7 * 0.5, 12)
  })

  test('heat should peak with the morning warm-up and gas at breakfast and dinner', () => {
    expect(heatLoad(wednesday(6))).toBeGreaterThan(heatLoad(wednesday(14)))
    expect(gasLoad(wednesday(18))).toBeGreaterThan(gasLoad(wednesday(3)) * 5)
  })

  test('each rhythm should average about 1 over a week, so the mean rates mean what they say', () => {
    for (const rhythm of [wasteActivity, electricityLoad, heatLoad, gasLoad]) {
      let sum = 0
      for (let weekday = 0; weekday < 7; weekday++) for (let hour = 0; hour < 24; hour++) sum += rhythm({ hour, minute: 0, weekday })
      expect(sum / (7 * 24)).toBeGreaterThan(0.85)
      expect(sum / (7 * 24)).toBeLessThan(1.15)
    }
  })
})
