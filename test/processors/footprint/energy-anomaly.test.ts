import { describe, expect, test } from 'vitest'
import type { Point } from '../../../core/store/store.js'
import type { CanonicalReading } from '../../../models/reading.js'
import { deriveConsumption } from '../../../processors/footprint/derive-energy.js'
import { energyAnomalyBaseline } from '../../../models/energy-anomaly.js'
import { recordHourlyKwh } from '../../../processors/footprint/energy-anomaly.js'
import { emptyState } from '../../../processors/footprint/state.js'

const h = 3_600_000
const week = 168 * h
const target = Date.parse('2026-11-05T09:00:00Z')
const tags = { tenant: 'city', site: 'hall', device: 'meter-1' }
const anomalies = (points: readonly Point[]): Point[] => points.filter((p) => p.measurement === 'energy_anomaly')
const at = (points: readonly Point[], time: number): Point | undefined => anomalies(points).find((p) => p.time === time)

describe('energy anomaly (M5) points from a meter\'s hourly consumption', () => {
  test('an hour should be compared with the median of the same hour in the four weeks before, as soon as one of them has data', () => {
    const state = emptyState(0, '0')
    // The same hour four, three, two and one week before: 10, 12, 8, 30 kWh; then 16.5.
    expect(recordHourlyKwh(state, tags, 'electricity', [{ hour: target - 4 * week, amount: 10 }])).toEqual([])
    // One week of history is enough: baseline 10, (12 − 10) / 10 = 0.2.
    expect(recordHourlyKwh(state, tags, 'electricity', [{ hour: target - 3 * week, amount: 12 }])).toEqual([
      { measurement: 'energy_anomaly', tags: { ...tags, meter_type: 'electricity' }, fields: { kwh: 12, baseline_kwh: 10, anomaly: 0.2, baseline_weeks: 1 }, time: target - 3 * week },
    ])
    // Median of 10 and 12 is 11: (8 − 11) / 11.
    expect(at(recordHourlyKwh(state, tags, 'electricity', [{ hour: target - 2 * week, amount: 8 }]), target - 2 * week)?.fields.anomaly).toBeCloseTo(-3 / 11, 12)
    recordHourlyKwh(state, tags, 'electricity', [{ hour: target - week, amount: 30 }])
    // Median of 8, 10, 12, 30 is 11: (16.5 − 11) / 11 = 0.5.
    const [point] = recordHourlyKwh(state, tags, 'electricity', [{ hour: target, amount: 16.5 }])
    expect(point).toEqual({ measurement: 'energy_anomaly', tags: { ...tags, meter_type: 'electricity' }, fields: { kwh: 16.5, baseline_kwh: 11, anomaly: 0.5, baseline_weeks: 4 }, time: target })
  })

  test('weeks without data should be left out of the median, and a zero baseline should give no point', () => {
    const state = emptyState(0, '0')
    recordHourlyKwh(state, tags, 'heat', [{ hour: target - 4 * week, amount: 4 }])
    recordHourlyKwh(state, tags, 'heat', [{ hour: target - 2 * week, amount: 0 }])
    // History 4 and 0 (two weeks missing): median 2, (5 − 2) / 2 = 1.5.
    expect(at(recordHourlyKwh(state, tags, 'heat', [{ hour: target, amount: 5 }]), target)?.fields).toEqual({ kwh: 5, baseline_kwh: 2, anomaly: 1.5, baseline_weeks: 2 })
    const quiet = emptyState(0, '0')
    recordHourlyKwh(quiet, tags, 'heat', [{ hour: target - week, amount: 0 }])
    expect(recordHourlyKwh(quiet, tags, 'heat', [{ hour: target, amount: 3 }])).toEqual([])
  })

  test('a correction of an hour should re-emit its own anomaly and that of the same hour in the following four weeks', () => {
    const state = emptyState(0, '0')
    for (const [w, kwh] of [[-4, 10], [-3, 12], [-2, 8], [-1, 30], [0, 16.5]] as const) recordHourlyKwh(state, tags, 'electricity', [{ hour: target + w * week, amount: kwh }])
    // A late reading adds 2 kWh to the hour four weeks before the target: 10 becomes 12. That hour
    // has no baseline; the same hour of the four following weeks has it in its baseline.
    const points = recordHourlyKwh(state, tags, 'electricity', [{ hour: target - 4 * week, amount: 2 }])
    expect(anomalies(points).map((p) => (p.time - target) / week)).toEqual([-3, -2, -1, 0])
    // Three weeks before: 12 against 12. Two weeks before: 8 against the median of 12, 12.
    expect(at(points, target - 3 * week)?.fields).toEqual({ kwh: 12, baseline_kwh: 12, anomaly: 0, baseline_weeks: 1 })
    expect(at(points, target - 2 * week)?.fields).toMatchObject({ kwh: 8, baseline_kwh: 12, baseline_weeks: 2 })
    expect(at(points, target - 2 * week)?.fields.anomaly).toBeCloseTo(-1 / 3, 12)
    // One week before: median of 12, 12, 8 = 12, (30 − 12) / 12 = 1.5. Target: median of 12, 12, 8, 30 = 12, (16.5 − 12) / 12 = 0.375.
    expect(at(points, target - week)?.fields).toEqual({ kwh: 30, baseline_kwh: 12, anomaly: 1.5, baseline_weeks: 3 })
    expect(at(points, target)?.fields).toEqual({ kwh: 16.5, baseline_kwh: 12, anomaly: 0.375, baseline_weeks: 4 })
    // A correction of the week before re-emits its own hour and the target (a week later), nothing else: no later week has data.
    const again = recordHourlyKwh(state, tags, 'electricity', [{ hour: target - week, amount: 6 }])
    expect(anomalies(again).map((p) => (p.time - target) / week)).toEqual([-1, 0])
    // Median of 12, 12, 8, 36 is still 12.
    expect(at(again, target - week)?.fields).toEqual({ kwh: 36, baseline_kwh: 12, anomaly: 2, baseline_weeks: 3 })
  })

  test('the state should keep at most five weeks of hours and not emit an hour whose baseline reaches into dropped ones', () => {
    const state = emptyState(0, '0')
    const start = Date.parse('2026-01-05T00:00:00Z')
    // Six weeks of 1 kWh per hour, in one contribution each.
    for (let i = 0; i < 6 * 168; i++) recordHourlyKwh(state, tags, 'electricity', [{ hour: start + i * h, amount: 1 }])
    const hours = Object.keys(state.energyHours!.electricity!.hours).map(Number)
    expect(hours).toHaveLength(energyAnomalyBaseline.keepWeeks * 168)
    expect(Math.min(...hours) * h).toBe(start + 168 * h)
    expect(state.energyHours!.electricity!.droppedBefore! * h).toBe(start + 168 * h)
    // A late hour of the dropped first week is ignored.
    expect(recordHourlyKwh(state, tags, 'electricity', [{ hour: start, amount: 5 }])).toEqual([])
    expect(state.energyHours!.electricity!.hours[start / h]).toBeUndefined()
    // The oldest kept hours have an incomplete history left, so a correction re-emits only the
    // hours of later weeks whose four weeks before are all kept: hour 168 + 4 × 168 = 840 of the six weeks.
    const points = recordHourlyKwh(state, tags, 'electricity', [{ hour: start + 168 * h, amount: 1 }])
    expect(anomalies(points).map((p) => (p.time - start) / h)).toEqual([840])
    expect(at(points, start + 840 * h)?.fields).toEqual({ kwh: 1, baseline_kwh: 1, anomaly: 0, baseline_weeks: 4 })
  })

  test('a history read back from the changelog (a new object) should still be cut to five weeks at its next hour, and stay so', () => {
    const start = Date.parse('2026-01-05T00:00:00Z')
    const state = emptyState(0, '0')
    for (let i = 0; i < 5 * 168; i++) recordHourlyKwh(state, tags, 'electricity', [{ hour: start + i * h, amount: 1 }])
    const reloaded = JSON.parse(JSON.stringify(state)) as typeof state
    // A week later, hour by hour, as a meter reports.
    for (let i = 5 * 168; i < 6 * 168; i++) recordHourlyKwh(reloaded, tags, 'electricity', [{ hour: start + i * h, amount: 1 }])
    const hours = Object.keys(reloaded.energyHours!.electricity!.hours).map(Number)
    expect(hours).toHaveLength(energyAnomalyBaseline.keepWeeks * 168)
    expect(Math.min(...hours) * h).toBe(start + 168 * h)
    // After a silence of three months, the next hour leaves only itself within the five weeks.
    const later = start + 6 * 168 * h + 90 * 24 * h
    recordHourlyKwh(reloaded, tags, 'electricity', [{ hour: later, amount: 2 }])
    expect(Object.keys(reloaded.energyHours!.electricity!.hours).map(Number)).toEqual([later / h])
  })

  test('a meter register should feed the anomaly with the same hourly amounts as the hour rollup; gas in m3 should not', () => {
    const state = emptyState(0, '0')
    const register = (value: number, time: number): CanonicalReading => ({ attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value, unit: 'kWh', time })
    const spec = { meterType: 'electricity' as const, consumptionField: 'consumption_kwh' as const }
    deriveConsumption(state, tags, register(100, target - week), spec)
    deriveConsumption(state, tags, register(110, target - week + h), spec)
    // 167 hours between: 1 kWh each; then the target hour 15 kWh against the 10 a week before.
    deriveConsumption(state, tags, register(277, target), spec)
    const points = deriveConsumption(state, tags, register(292, target + h), spec)
    const hour = points.find((p) => p.measurement === 'energy_rollup' && p.tags.interval === 'hour' && p.time === target)
    expect(hour?.fields.consumption_kwh).toBe(15)
    expect(anomalies(points)).toEqual([{ measurement: 'energy_anomaly', tags: { ...tags, meter_type: 'electricity' }, fields: { kwh: 15, baseline_kwh: 10, anomaly: 0.5, baseline_weeks: 1 }, time: target }])
    const gas = emptyState(0, '0')
    const m3 = (value: number, time: number): CanonicalReading => ({ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value, unit: 'm3', time })
    for (let w = 0; w < 3; w++) {
      deriveConsumption(gas, tags, m3(w * 10, target - 2 * week + w * week), { meterType: 'gas', consumptionField: 'consumption_m3' })
      expect(anomalies(deriveConsumption(gas, tags, m3(w * 10 + 5, target - 2 * week + w * week + h), { meterType: 'gas', consumptionField: 'consumption_m3' }))).toEqual([])
    }
    expect(gas.energyHours).toBeUndefined()
  })
})
