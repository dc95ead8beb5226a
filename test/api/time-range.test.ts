import { describe, expect, it } from 'vitest'
import { defaultRangeMs, maxRangeMs, readingsRange } from '../../api/time-range.js'
import { refusal } from '../support/refusal.js'

const now = Date.UTC(2026, 0, 15, 12, 0, 0)
const hour = 3_600_000
const iso = (ms: number): string => new Date(ms).toISOString()

describe('readingsRange', () => {
  it('should default to the 24 hours before now', () => {
    expect(readingsRange(undefined, undefined, now)).toEqual({ from: now - 24 * hour, to: now })
    expect(defaultRangeMs).toBe(24 * hour)
  })

  it('should default `from` to 24 hours before a given `to`, and `to` to now after a given `from`', () => {
    expect(readingsRange(undefined, iso(now - 5 * hour), now)).toEqual({ from: now - 29 * hour, to: now - 5 * hour })
    expect(readingsRange(iso(now - 2 * hour), undefined, now)).toEqual({ from: now - 2 * hour, to: now })
  })

  it('should read offsets as the instant they name', () => {
    expect(readingsRange('2026-01-15T09:00:00+01:00', '2026-01-15T10:30:00.500+01:00', now)).toEqual({ from: Date.UTC(2026, 0, 15, 8), to: Date.UTC(2026, 0, 15, 9, 30, 0, 500) })
  })

  it('should refuse an empty or inverted range, naming "to"', () => {
    for (const [from, to] of [
      [now, now],
      [now, now - 1],
    ] as const) {
      const error = refusal(() => readingsRange(iso(from), iso(to), now))
      expect(error.code).toBe('INVALID_PARAMETER')
      expect(error.details.parameter).toBe('to')
      expect(error.message).toBe('query parameter "to": must be later than "from"')
    }
  })

  it('should take a range of exactly 366 days and refuse a longer one, naming "from"', () => {
    expect(maxRangeMs).toBe(366 * 24 * hour)
    expect(readingsRange(iso(now - maxRangeMs), iso(now), now)).toEqual({ from: now - maxRangeMs, to: now })
    const error = refusal(() => readingsRange(iso(now - maxRangeMs - 1), iso(now), now))
    expect(error.details.parameter).toBe('from')
    expect(error.message).toBe('query parameter "from": must be at most 366 days before "to"')
  })

  it('should refuse a well-formed date that does not exist, naming its parameter', () => {
    const error = refusal(() => readingsRange('2026-02-30T25:00:00Z', undefined, now))
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(error.details.parameter).toBe('from')
    expect(error.message).toBe('query parameter "from": is not a date that exists')
    expect(refusal(() => readingsRange(undefined, 'not a date', now)).details.parameter).toBe('to')
  })
})
