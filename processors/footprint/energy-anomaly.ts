import type { Point } from '../../core/store/store.js'
import { energyAnomalyBaseline, energyAnomalyMeasurement, median, type AnomalyBaseline } from '../../models/energy-anomaly.js'
import type { DeviceState, MeterHours } from './state.js'

const hourMs = 3_600_000

/**
 * Adds hourly kWh contributions of one meter (the same ones the hour rollups get) and returns the
 * anomaly points they change: of each corrected hour and of the same hour in the following weeks
 * whose baseline it is part of, where those have data. Points are upserts (same series and time).
 */
export function recordHourlyKwh(
  state: DeviceState,
  tags: Readonly<Record<string, string>>,
  meterType: string,
  parts: readonly { hour: number; amount: number }[],
  baseline: AnomalyBaseline = energyAnomalyBaseline,
): Point[] {
  if (parts.length === 0) return []
  const meter: MeterHours = ((state.energyHours ??= {})[meterType] ??= { hours: {} })
  const changed = new Set<number>()
  for (const part of parts) {
    const index = Math.floor(part.hour / hourMs)
    if (meter.droppedBefore !== undefined && index < meter.droppedBefore) continue
    meter.hours[index] = (meter.hours[index] ?? 0) + part.amount
    // Unknown stays unknown: the next drop walks the history once.
    const lowest = lowestHour.get(meter)
    if (lowest !== undefined && index < lowest) lowestHour.set(meter, index)
    changed.add(index)
  }
  dropOldHours(meter, baseline.keepWeeks * 168, Math.max(...changed))
  const affected = new Set<number>()
  for (const index of changed) for (let w = 0; w <= baseline.weeks; w++) affected.add(index + w * 168)
  const points: Point[] = []
  for (const index of [...affected].sort((a, b) => a - b)) {
    const point = anomalyPoint(meter, tags, meterType, index, baseline)
    if (point) points.push(point)
  }
  return points
}

/**
 * The lowest hour index a meter's history holds, as far as this process knows it (by object
 * identity, never serialised): dropping old hours then costs the hours dropped, not a walk over
 * weeks of history per reading. A history read from the changelog is walked once.
 */
const lowestHour = new WeakMap<MeterHours, number>()

/** Keeps at most `keep` hours, up to `newest` (the newest hour just written), and remembers where it dropped some. */
function dropOldHours(meter: MeterHours, keep: number, newest: number): void {
  if (!Number.isFinite(newest)) return
  const oldest = newest - keep + 1
  let lowest = lowestHour.get(meter)
  let dropped = false
  if (lowest === undefined || oldest - lowest > 2 * keep) {
    // Unknown, or a long silence: walk the keys instead of every hour in between.
    lowest = Infinity
    for (const key in meter.hours) {
      const index = Number(key)
      if (index < oldest) {
        delete meter.hours[key]
        dropped = true
      } else lowest = Math.min(lowest, index)
    }
  } else {
    for (; lowest < oldest; lowest++) {
      if (meter.hours[lowest] === undefined) continue
      delete meter.hours[lowest]
      dropped = true
    }
  }
  lowestHour.set(meter, lowest)
  if (dropped) meter.droppedBefore = Math.max(meter.droppedBefore ?? -Infinity, oldest)
}

function anomalyPoint(meter: MeterHours, tags: Readonly<Record<string, string>>, meterType: string, index: number, baseline: AnomalyBaseline): Point | undefined {
  const kwh = meter.hours[index]
  if (kwh === undefined) return undefined
  // A baseline reaching into dropped hours would be computed from less than the data had.
  if (meter.droppedBefore !== undefined && index - baseline.weeks * 168 < meter.droppedBefore) return undefined
  const history: number[] = []
  for (let w = 1; w <= baseline.weeks; w++) {
    const value = meter.hours[index - w * 168]
    if (value !== undefined) history.push(value)
  }
  const baselineKwh = history.length >= baseline.minWeeks ? median(history) : undefined
  if (baselineKwh === undefined || baselineKwh <= 0) return undefined
  return {
    measurement: energyAnomalyMeasurement,
    tags: { ...tags, meter_type: meterType },
    fields: { kwh, baseline_kwh: baselineKwh, anomaly: (kwh - baselineKwh) / baselineKwh, baseline_weeks: history.length },
    time: index * hourMs,
  }
}
