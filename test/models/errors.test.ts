import { describe, expect, test } from 'vitest'
import { PlatformError, errorCatalogue, isRetryable } from '../../models/errors.js'

describe('error catalogue', () => {
  test('every code should be upper snake case with a summary', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/)
      expect(entry.summary.length).toBeGreaterThan(5)
    }
  })

  test('a PlatformError should carry its code and the catalogue’s retry flag', () => {
    const transient = new PlatformError('KAFKA_UNAVAILABLE', 'down')
    const permanent = new PlatformError('UNIT_UNKNOWN', 'furlong')
    expect(transient).toMatchObject({ code: 'KAFKA_UNAVAILABLE', canRetry: true })
    expect(permanent).toMatchObject({ code: 'UNIT_UNKNOWN', canRetry: false })
    expect(isRetryable(transient)).toBe(true)
    expect(isRetryable(permanent)).toBe(false)
    expect(PlatformError.is(permanent, 'UNIT_UNKNOWN')).toBe(true)
    expect(PlatformError.is(new Error('x'))).toBe(false)
  })
})
