import { describe, expect, test } from 'vitest'
import { round } from '../../simulator/numbers.js'

describe('round', () => {
  test('should round to the decimals asked for, halves up as a display does', () => {
    expect(round(0.8734 * 100, 1)).toBe(87.3)
    expect(round(2.375, 2)).toBe(2.38)
    expect(round(12.5, 0)).toBe(13)
    expect(round(-12.5, 0)).toBe(-12)
    expect(round(0.1 + 0.2, 3)).toBe(0.3)
    expect(round(1234.5678, -2)).toBe(1200)
  })
})
