import type { RegisterSpec } from '../../models/meter-registers.js'
import { registerIncrement } from '../../models/meter-registers.js'
import type { CanonicalReading } from '../../models/reading.js'
import { recordHourlyKwh } from './energy-anomaly.js'
import { contribute } from './rollups.js'
import type { DeviceState } from './state.js'
import type { Point } from '../../core/store/store.js'
import { spreadOverHours } from '../../models/windows.js'

/**
 * Interval consumption from a cumulative register (M1–M3 inputs): the non-negative difference to
 * the previous reading, spread over the hours in between. A register that went backwards was reset
 * or swapped: it is counted as restarted from zero (the current value is the consumption since)
 * and flagged in `counter_resets`, so an analyst can see and judge every such interval.
 */
export function deriveConsumption(state: DeviceState, tags: Readonly<Record<string, string>>, reading: CanonicalReading, spec: RegisterSpec): Point[] {
  const value = reading.value as number
  const key = `${reading.measurement}.${reading.field}`
  const last = state.counters[key]
  if (!last || reading.time > last.time) state.counters[key] = { value, time: reading.time }
  // The first reading only sets the baseline; an older one cannot extend the sequence.
  if (!last || reading.time <= last.time) return []
  const { consumed, reset } = registerIncrement(last.value, value)
  const dims = { meter_type: spec.meterType }
  const points: Point[] = []
  const parts = spreadOverHours(last.time, reading.time, consumed)
  for (const part of parts) {
    points.push(...contribute(state, tags, { measurement: 'energy_rollup', dims, time: part.hour, add: { [spec.consumptionField]: part.amount } }))
  }
  // The energy anomaly (M5) compares the same hourly amounts with their same-hour-of-week baseline.
  if (spec.consumptionField === 'consumption_kwh') points.push(...recordHourlyKwh(state, tags, spec.meterType, parts))
  if (reset) points.push(...contribute(state, tags, { measurement: 'energy_rollup', dims, time: reading.time, add: { counter_resets: 1 } }))
  return points
}
