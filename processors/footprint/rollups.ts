import type { Point } from '../../core/store/store.js'
import type { DeviceState, WindowState } from './state.js'
import { intervals, windowEnd, windowStart } from '../../models/windows.js'

export interface Contribution {
  /** Rollup measurement, e.g. `energy_rollup`. */
  readonly measurement: string
  /** Bounded dimensions the rollup is split by (meter type, fraction, destination …). */
  readonly dims: Readonly<Record<string, string>>
  /** Event time the amounts belong to. */
  readonly time: number
  /** Amounts to add, e.g. `{ consumption_kwh: 1.5 }`. */
  readonly add: Readonly<Record<string, number>>
  /** Values to keep the largest of, e.g. `{ temperature_max_c: 31 }`. */
  readonly max?: Readonly<Record<string, number>>
  /** Values of which the one observed last wins, e.g. `{ fill_level_last: 0.4 }`. */
  readonly last?: Readonly<Record<string, number>>
}

/**
 * Adds a contribution to the device's hour, day and month windows and returns the corrected
 * points of those windows. A window is always re-emitted whole, under the same series and
 * timestamp, so a late contribution overwrites the stored rollup instead of adding a second one.
 */
export function contribute(state: DeviceState, tags: Readonly<Record<string, string>>, c: Contribution): Point[] {
  const points: Point[] = []
  for (const interval of intervals) {
    const start = windowStart(interval, c.time)
    const key = `${c.measurement}|${interval}|${start}|${JSON.stringify(c.dims)}`
    let window: WindowState | undefined = state.windows[key]
    if (!window) {
      state.windows[key] = window = { measurement: c.measurement, interval, start, dims: c.dims, fields: {} }
      // Unknown stays unknown: the next eviction walks every window.
      const known = firstEnd.get(state)
      if (known !== undefined) firstEnd.set(state, Math.min(known, windowEnd(interval, start)))
    }
    for (const [field, amount] of Object.entries(c.add)) window.fields[field] = (window.fields[field] ?? 0) + amount
    for (const [field, value] of Object.entries(c.max ?? {})) window.fields[field] = Math.max(window.fields[field] ?? -Infinity, value)
    if (c.last) {
      // Out-of-order readings must not overwrite a newer "last" value.
      const lastAt = window.fields.last_observed_at ?? -Infinity
      if (c.time >= lastAt) {
        Object.assign(window.fields, c.last)
        window.fields.last_observed_at = c.time
      }
    }
    points.push({ measurement: c.measurement, tags: { ...tags, ...c.dims, interval }, fields: { ...window.fields }, time: start })
  }
  return points
}

/**
 * The earliest end among a state's open windows, as far as this process knows it: lets eviction
 * skip the walk over every window while the watermark has not reached any. Kept beside the state
 * (by object identity), not in it, so it is never serialised; a state read from the changelog
 * starts without one and is walked once.
 */
const firstEnd = new WeakMap<DeviceState, number>()

/** Forgets windows that ended before the watermark: no reading can change them any more. */
export function evictClosedWindows(state: DeviceState, watermark: number): void {
  const known = firstEnd.get(state)
  if (known !== undefined && known > watermark) return
  let earliest = Infinity
  for (const [key, window] of Object.entries(state.windows)) {
    const end = windowEnd(window.interval, window.start)
    if (end <= watermark) delete state.windows[key]
    else earliest = Math.min(earliest, end)
  }
  firstEnd.set(state, earliest)
}
