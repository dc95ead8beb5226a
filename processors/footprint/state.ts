import type { Point } from '../../core/store/store.js'
import type { SeenMessages } from '../reading-identity.js'

/** An open rollup window of one device: running sums of its fields for one dimension combination. */
export interface WindowState {
  readonly measurement: string
  readonly interval: 'hour' | 'day' | 'month'
  readonly start: number
  readonly dims: Readonly<Record<string, string>>
  fields: Record<string, number>
}

/** What the container derivations remember between readings (M14–M16). */
export interface ContainerState {
  lastFill?: { value: number; time: number }
  lastWeightKg?: { value: number; time: number }
  /** Least-squares sums of (hours since the first point, fill) since the last emptying. */
  fit: { t0: number; n: number; st: number; sf: number; stt: number; stf: number }
  overflowSince?: number
}

/** One meter's hourly kWh, by hour index (hour start ÷ 1 h), over the last `keepWeeks` weeks. */
export interface MeterHours {
  hours: Record<string, number>
  /** Hours before this index were dropped: an hour whose baseline reaches back there is not emitted again. */
  droppedBefore?: number
}

/**
 * Everything the footprint processor knows about one device. It is written to a compacted
 * changelog topic together with the bus position it reflects, so a restarted processor resumes
 * exactly where the state left off and never applies a record twice.
 */
export interface DeviceState {
  partition: number
  /** Offset of the last readings record applied to this state. */
  offset: string
  /** Newest observation time seen; the device's watermark is this minus the allowed lateness. */
  maxEventTime: number
  /** The device's messages within the allowed lateness, to skip one that comes again (see reading-identity.ts). */
  seenMessages?: SeenMessages
  /** The last 128 identities, without times, as states written before `seenMessages` kept them; taken over on first use. */
  recentReadings?: string[]
  counters: Record<string, { value: number; time: number }>
  container?: ContainerState
  windows: Record<string, WindowState>
  /** Per meter type measured in kWh, the hourly consumption of the last weeks for the energy anomaly (M5). */
  energyHours?: Record<string, MeterHours>
}

export function emptyState(partition: number, offset: string): DeviceState {
  return { partition, offset, maxEventTime: 0, counters: {}, windows: {} }
}

/** What applying one readings record produced. */
export interface Derived {
  readonly points: Point[]
  /** Readings that arrived after their window closed: not in any rollup, reported, not dropped. */
  readonly tooLate: { attribute: string; time: number }[]
}
