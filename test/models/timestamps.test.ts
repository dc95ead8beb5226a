import { describe, expect, it } from 'vitest'
import { dateTimeText, parseDateTime, timeProblem } from '../../models/timestamps.js'

describe('timestamps', () => {
  it.each([
    ['2025-03-04T09:15:00Z', 1741079700000],
    ['2025-03-04T09:15:00.250Z', 1741079700250],
    ['2025-03-04T09:15:00.123456789Z', 1741079700123],
    ['2025-03-04T09:15:00.5Z', 1741079700500],
    ['2025-03-04T09:15Z', 1741079700000],
    ['2025-03-04t09:15:00z', 1741079700000],
    ['2025-03-04T10:15:00+01:00', 1741079700000],
    ['2025-03-04T04:15:00-0500', 1741079700000],
    ['2024-02-29T00:00:00Z', 1709164800000],
  ])('parseDateTime should read %s', (text, expected) => {
    expect(parseDateTime(text)).toBe(expected)
  })

  it.each(['2025-03-04T09:15:00', '2025-03-04 09:15:00Z', '2025-02-29T00:00:00Z', '2025-04-31T00:00:00Z', '2025-13-01T00:00:00Z', '2025-03-04T24:00:00Z', '2025-03-04T09:60:00Z', '2025-03-04T09:15:00+25:00', 'Tue, 04 Mar 2025 09:15:00 GMT', '1741079700', ''])(
    'parseDateTime should refuse %s',
    (text) => {
      expect(parseDateTime(text)).toBeUndefined()
    },
  )

  it('dateTimeText should unwrap the JSON-LD DateTime literal and nothing else', () => {
    expect(dateTimeText('2025-03-03T06:12:00Z')).toBe('2025-03-03T06:12:00Z')
    expect(dateTimeText({ '@type': 'DateTime', '@value': '2025-03-03T06:12:00Z' })).toBe('2025-03-03T06:12:00Z')
    expect(dateTimeText({ '@type': 'Date', '@value': '2025-03-03' })).toBeUndefined()
    expect(dateTimeText(1741079700000)).toBeUndefined()
    expect(dateTimeText(null)).toBeUndefined()
  })

  it('timeProblem should accept times up to the allowed skew and refuse later, earlier than 1970 or unrepresentable ones', () => {
    const limits = { receivedAt: 1741079760000, maxFutureSkewMs: 300_000 }
    expect(timeProblem(limits.receivedAt, limits)).toBeUndefined()
    expect(timeProblem(0, limits)).toBeUndefined()
    expect(timeProblem(limits.receivedAt + 300_000, limits)).toBeUndefined()
    expect(timeProblem(limits.receivedAt + 300_001, limits)).toBe('2025-03-04T09:21:00.001Z is 300 s after the message was received (allowed: 300 s)')
    expect(timeProblem(-1, limits)).toBe('1969-12-31T23:59:59.999Z lies before 1970')
    expect(timeProblem(1e16, limits)).toBe('is not a representable instant')
    expect(timeProblem(1.5, limits)).toBe('is not a representable instant')
    expect(timeProblem(Number.NaN, limits)).toBe('is not a representable instant')
  })
})
