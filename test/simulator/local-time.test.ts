import { describe, expect, test } from 'vitest'
import { localTime } from '../../simulator/local-time.js'

describe('localTime', () => {
  test('should give Brussels winter time as UTC+1 and summer time as UTC+2, with the local weekday', () => {
    // 2026-01-14 is a Wednesday; 2026-07-15 too.
    expect(localTime(Date.parse('2026-01-14T12:34:00Z'), 'Europe/Brussels')).toEqual({ hour: 13, minute: 34, weekday: 3 })
    expect(localTime(Date.parse('2026-07-15T12:34:00Z'), 'Europe/Brussels')).toEqual({ hour: 14, minute: 34, weekday: 3 })
  })

  test('should move to the next local day before UTC does', () => {
    expect(localTime(Date.parse('2026-01-14T23:30:00Z'), 'Europe/Brussels')).toEqual({ hour: 0, minute: 30, weekday: 4 })
  })
})
