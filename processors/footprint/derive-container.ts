import type { Point } from '../../core/store/store.js'
import { contribute } from './rollups.js'
import type { ContainerState, DeviceState } from './state.js'

export interface ContainerSettings {
  /** Fill ratio at which the container counts as full and should be collected (H). */
  readonly fullAt: number
  /** A collection below this fill ratio is a low-fill ("wasted") trip (L_low). */
  readonly lowFillBelow: number
  /** A drop of at least this much fill ratio, ending at or below `emptyBelow`, is an emptying. */
  readonly emptyingDrop: number
  readonly emptyBelow: number
}

export const defaultContainerSettings: ContainerSettings = { fullAt: 0.8, lowFillBelow: 0.5, emptyingDrop: 0.3, emptyBelow: 0.25 }

const hourMs = 3_600_000

/**
 * Collection KPIs from a container's fill level (M14–M16): emptying events with the fill (and
 * weight, when measured) just before them, the fill rate since the last emptying as a
 * least-squares slope, time-to-full against the container's threshold, and overflow periods
 * (fill at 100 %). Readings older than the newest one seen do not change these.
 */
export function deriveFromFill(state: DeviceState, tags: Readonly<Record<string, string>>, fill: number, time: number, settings: ContainerSettings): Point[] {
  const c: ContainerState = (state.container ??= { fit: { t0: time, n: 0, st: 0, sf: 0, stt: 0, stf: 0 } })
  // Window statistics take every reading, in any order; the event logic below needs them in order.
  const points: Point[] = contribute(state, tags, { measurement: 'container_rollup', dims: {}, time, add: { fill_sum: fill, fill_count: 1 }, max: { fill_max: fill }, last: { fill_last: fill } })
  if (c.lastFill && time <= c.lastFill.time) return points
  const previous = c.lastFill
  if (previous && previous.value - fill >= settings.emptyingDrop && fill <= settings.emptyBelow) {
    const fields: Record<string, number | boolean> = { fill_at_collection: previous.value, low_fill: previous.value < settings.lowFillBelow }
    if (c.lastWeightKg) fields.mass_at_collection_kg = c.lastWeightKg.value
    points.push({ measurement: 'container_collection', tags, fields, time })
    const add: Record<string, number> = { collections: 1, low_fill_collections: fields.low_fill ? 1 : 0, fill_at_collection_sum: previous.value }
    if (c.lastWeightKg) add.collected_kg = c.lastWeightKg.value
    points.push(...contribute(state, tags, { measurement: 'collection_rollup', dims: {}, time, add }))
    c.fit = { t0: time, n: 0, st: 0, sf: 0, stt: 0, stf: 0 }
  }
  if (fill >= 1 && c.overflowSince === undefined) c.overflowSince = time
  if (fill < 1 && c.overflowSince !== undefined) {
    const hours = (time - c.overflowSince) / hourMs
    points.push({ measurement: 'container_overflow', tags, fields: { duration_h: hours }, time: c.overflowSince })
    points.push(...contribute(state, tags, { measurement: 'collection_rollup', dims: {}, time: c.overflowSince, add: { overflow_events: 1, overflow_hours: hours } }))
    delete c.overflowSince
  }
  const t = (time - c.fit.t0) / hourMs
  c.fit.n++
  c.fit.st += t
  c.fit.sf += fill
  c.fit.stt += t * t
  c.fit.stf += t * fill
  c.lastFill = { value: fill, time }
  points.push(forecastPoint(c, tags, fill, time, settings))
  return points
}

/**
 * Remembers the container's weight for the next collection event. A container that reports weight
 * but no fill level is emptied when its weight halves and drops by at least 5 kg; with a fill
 * sensor the fill drop decides, so one emptying is never counted twice.
 */
export function deriveFromWeight(state: DeviceState, tags: Readonly<Record<string, string>>, kg: number, time: number): Point[] {
  const c = (state.container ??= { fit: { t0: time, n: 0, st: 0, sf: 0, stt: 0, stf: 0 } })
  if (c.lastWeightKg && time <= c.lastWeightKg.time) return []
  const previous = c.lastWeightKg
  c.lastWeightKg = { value: kg, time }
  if (c.lastFill !== undefined || !previous || previous.value - kg < Math.max(5, previous.value / 2)) return []
  return [
    { measurement: 'container_collection', tags, fields: { mass_at_collection_kg: previous.value }, time },
    ...contribute(state, tags, { measurement: 'collection_rollup', dims: {}, time, add: { collections: 1, collected_kg: previous.value } }),
  ]
}

/** Temperature per window: the maximum is what fire-risk review needs. */
export function rollUpTemperature(state: DeviceState, tags: Readonly<Record<string, string>>, celsius: number, time: number): Point[] {
  return contribute(state, tags, { measurement: 'container_rollup', dims: {}, time, add: {}, max: { temperature_max_c: celsius } })
}

/** The fill rate needs three points since the emptying; until then time-to-full is unknown. */
function forecastPoint(c: ContainerState, tags: Readonly<Record<string, string>>, fill: number, time: number, settings: ContainerSettings): Point {
  const { n, st, sf, stt, stf } = c.fit
  const denominator = n * stt - st * st
  const slopePerHour = n >= 3 && denominator > 0 ? (n * stf - st * sf) / denominator : undefined
  const fields: Record<string, number> = { fill_level: fill }
  if (slopePerHour !== undefined) {
    fields.fill_rate_per_day = slopePerHour * 24
    if (slopePerHour > 0) {
      const hoursToFull = Math.max(0, (settings.fullAt - fill) / slopePerHour)
      fields.time_to_full_h = hoursToFull
      fields.forecast_full_at = time + hoursToFull * hourMs
    }
  }
  return { measurement: 'container_forecast', tags, fields, time }
}
