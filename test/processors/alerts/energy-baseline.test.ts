import { describe, expect, test } from 'vitest'
import type { CanonicalReading } from '../../../models/reading.js'
import { addRegisterReading, anomalyVerdict, baselineOf, emptyEnergyBaseline, energyVerdicts, hourOfWeek, learnHour } from '../../../processors/alerts/energy-baseline.js'
import { median } from '../../../models/energy-anomaly.js'
import { builtInSettings } from '../../../core/alerts/rule-settings.js'

const hour = 3_600_000
const week = 168 * hour
/** A Monday, 00:00 UTC. */
const monday = Date.parse('2026-11-02T00:00:00Z')
const s = builtInSettings.energy_anomaly
const key = 'energy_ac.total_active_energy_import_kwh'

function register(time: number, kwh: number): CanonicalReading {
  return { attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value: kwh, unit: 'kWh', time }
}

describe('hourly consumption from a register', () => {
  test('an hour should be complete once a reading at or after its end arrived, with the differences spread over it', () => {
    const state = emptyEnergyBaseline()
    expect(addRegisterReading(state, key, 100, monday + 9 * hour, s)).toEqual([])
    expect(addRegisterReading(state, key, 100.5, monday + 9.5 * hour, s)).toEqual([])
    // 09:00–10:00: 0.5 + 1.0 = 1.5 kWh.
    expect(addRegisterReading(state, key, 101.5, monday + 10 * hour, s)).toEqual([{ start: monday + 9 * hour, amount: 1.5, estimated: false }])
    // 10:00–12:00 in one interval of 2 h (within the 120-minute gap): 4 kWh, 2 per hour.
    expect(addRegisterReading(state, key, 105.5, monday + 12 * hour, s)).toEqual([
      { start: monday + 10 * hour, amount: 2, estimated: false },
      { start: monday + 11 * hour, amount: 2, estimated: false },
    ])
  })

  test('a register that went backwards should count as restarted from zero', () => {
    const state = emptyEnergyBaseline()
    addRegisterReading(state, key, 1000, monday, s)
    // Reset to zero and counted up to 4 kWh since: 4 kWh, not −996.
    expect(addRegisterReading(state, key, 4, monday + hour, s)).toEqual([{ start: monday, amount: 4, estimated: false }])
  })

  test('a gap longer than maxReadingGapMinutes and the partly covered first hour should be estimates', () => {
    const state = emptyEnergyBaseline()
    addRegisterReading(state, key, 0, monday + 0.5 * hour, s)
    expect(addRegisterReading(state, key, 1, monday + hour, s)).toEqual([{ start: monday, amount: 1, estimated: true }])
    // 3 h without a reading: 6 kWh spread as 2 per hour, none of them measured.
    expect(addRegisterReading(state, key, 7, monday + 4 * hour, s).map((h) => [h.amount, h.estimated])).toEqual([
      [2, true],
      [2, true],
      [2, true],
    ])
  })

  test('an older reading and a second register should change nothing', () => {
    const state = emptyEnergyBaseline()
    addRegisterReading(state, key, 10, monday + hour, s)
    expect(addRegisterReading(state, key, 5, monday, s)).toEqual([])
    expect(addRegisterReading(state, 'utility_meter.total_consumption_kwh', 50, monday + 2 * hour, s)).toEqual([])
    expect(state.register).toEqual({ key, value: 10, time: monday + hour })
  })
})

describe('baseline per hour of the week', () => {
  test('hours of the week should count from Monday 00:00 UTC', () => {
    expect(hourOfWeek(monday)).toBe(0)
    expect(hourOfWeek(monday + 9 * hour + 59 * 60_000)).toBe(9)
    expect(hourOfWeek(monday + 6 * 24 * hour + 23 * hour)).toBe(167)
    expect(hourOfWeek(monday + week + 9 * hour)).toBe(9)
  })

  test('the median of the weeks learned, kept to baselineWeeks, only from minWeeks on', () => {
    expect(median([1, 3, 2])).toBe(2)
    expect(median([1, 3, 2, 10])).toBe(2.5)
    const state = emptyEnergyBaseline()
    const at = (w: number): number => monday + w * week + 9 * hour
    learnHour(state, { start: at(0), amount: 1, estimated: false }, s)
    learnHour(state, { start: at(1), amount: 3, estimated: false }, s)
    expect(baselineOf(state, at(2), s)).toBeUndefined()
    learnHour(state, { start: at(2), amount: 2, estimated: true }, s)
    expect(baselineOf(state, at(2), s)).toBeUndefined()
    learnHour(state, { start: at(2), amount: 2, estimated: false }, s)
    expect(baselineOf(state, at(3), s)).toEqual({ value: 2, weeks: 3 })
    learnHour(state, { start: at(3), amount: 10, estimated: false }, s)
    expect(baselineOf(state, at(4), s)).toEqual({ value: 2.5, weeks: 4 })
    // A fifth week pushes out the first (1): median of 3, 2, 10, 4 is 3.5.
    learnHour(state, { start: at(4), amount: 4, estimated: false }, s)
    expect(state.history[9]).toEqual([3, 2, 10, 4])
    expect(baselineOf(state, at(5), s)).toEqual({ value: 3.5, weeks: 4 })
    // Another hour of the week has its own baseline.
    expect(baselineOf(state, at(5) + hour, s)).toBeUndefined()
  })

  test('the M5 ratio should raise at +100 % or −80 % and clear only inside the hysteresis band', () => {
    const baseline = { value: 2, weeks: 4 }
    const verdict = (amount: number, estimated = false): string => anomalyVerdict({ start: monday, amount, estimated }, baseline, 'kWh', s).kind
    expect(verdict(4)).toBe('raise') // (4 − 2) / 2 = 1.0
    expect(verdict(3.9)).toBe('hold') // 0.95: above 1 − 0.2
    expect(verdict(3.5)).toBe('clear') // 0.75
    expect(verdict(0.4)).toBe('raise') // −0.8
    expect(verdict(0.5)).toBe('hold') // −0.75: below −0.8 + 0.2
    expect(verdict(0.9)).toBe('clear') // −0.55
    expect(verdict(40, true)).toBe('hold')
    expect(anomalyVerdict({ start: monday, amount: 5, estimated: false }, { value: 0.05, weeks: 4 }, 'kWh', s).kind).toBe('hold')
    expect(anomalyVerdict({ start: monday + 9 * hour, amount: 4, estimated: false }, baseline, 'kWh', s)).toEqual({
      kind: 'raise',
      value: 4,
      reason: '4 kWh in the hour from 2026-11-02T09:00:00.000Z, +100 % against the median 2 kWh of the same hour in 4 weeks',
    })
  })

  test('each complete hour should be judged against the weeks before it, then learned', () => {
    const state = emptyEnergyBaseline()
    let kwh = 0
    const verdicts: [number, string][] = []
    // Three weeks at 1 kWh every hour, then, in week four, 3 kWh from 09:00 to 10:00 on Monday.
    for (let t = monday; t <= monday + 3 * week + 11 * hour; t += hour) {
      for (const v of energyVerdicts(state, [register(t, kwh)], s)) if (v.verdict.kind !== 'hold') verdicts.push([(v.at - monday - 3 * week) / hour, v.verdict.kind])
      kwh += t === monday + 3 * week + 9 * hour ? 3 : 1
    }
    // Weeks 1–3 hold (too few weeks); in week 4 each hour clears at its end, but the 09:00 hour raises.
    expect(verdicts).toEqual(Array.from({ length: 11 }, (_, i) => [i + 1, i + 1 === 10 ? 'raise' : 'clear']))
    expect(state.history[9]).toEqual([1, 1, 1, 3])
  })
})
