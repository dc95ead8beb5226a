import { describe, expect, test } from 'vitest'
import { spreadOverHours, windowEnd, windowStart } from '../../models/windows.js'

const t = (iso: string): number => Date.parse(iso)

describe('rollup windows', () => {
  test('windowStart and windowEnd should bound hours, UTC days and calendar months', () => {
    const at = t('2026-02-28T23:59:59.999Z')
    expect(windowStart('hour', at)).toBe(t('2026-02-28T23:00:00Z'))
    expect(windowStart('day', at)).toBe(t('2026-02-28T00:00:00Z'))
    expect(windowStart('month', at)).toBe(t('2026-02-01T00:00:00Z'))
    expect(windowEnd('month', t('2026-02-01T00:00:00Z'))).toBe(t('2026-03-01T00:00:00Z'))
    expect(windowEnd('day', t('2026-12-31T00:00:00Z'))).toBe(t('2027-01-01T00:00:00Z'))
  })

  test('spreadOverHours should split an amount in proportion to the time in each hour', () => {
    // 10:30 → 12:15 is 105 minutes: 30 in hour 10, 60 in hour 11, 15 in hour 12.
    expect(spreadOverHours(t('2026-03-01T10:30:00Z'), t('2026-03-01T12:15:00Z'), 10.5)).toEqual([
      { hour: t('2026-03-01T10:00:00Z'), amount: 3 },
      { hour: t('2026-03-01T11:00:00Z'), amount: 6 },
      { hour: t('2026-03-01T12:00:00Z'), amount: 1.5 },
    ])
  })
})
