import { invalidParameter } from './errors.js'

const hourMs = 3_600_000
export const defaultRangeMs = 24 * hourMs
export const maxRangeMs = 366 * 24 * hourMs

export interface TimeRange {
  /** Inclusive, ms since the epoch. */
  readonly from: number
  /** Exclusive, ms since the epoch. */
  readonly to: number
}

/**
 * The range a readings request asks for: `to` defaults to now and `from` to 24 hours before
 * `to`. Both arrive already checked as ISO 8601 date-times; this checks how they relate.
 */
export function readingsRange(from: string | undefined, to: string | undefined, now: number): TimeRange {
  const end = to === undefined ? now : parseTime(to, 'to')
  const start = from === undefined ? end - defaultRangeMs : parseTime(from, 'from')
  if (end <= start) throw invalidParameter('to', 'must be later than "from"')
  if (end - start > maxRangeMs) throw invalidParameter('from', 'must be at most 366 days before "to"')
  return { from: start, to: end }
}

function parseTime(text: string, parameter: string): number {
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw invalidParameter(parameter, 'is not a date that exists')
  return ms
}
