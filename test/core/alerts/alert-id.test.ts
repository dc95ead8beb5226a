import { describe, expect, test } from 'vitest'
import { alertIdOf, firedAtOf } from '../../../core/alerts/alert-id.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')

describe('alertIdOf', () => {
  test('the id should be the same for the same rule, device and time, different otherwise, and carry the firing time', () => {
    const id = alertIdOf('fill', 'bin-1', t0)
    expect(alertIdOf('fill', 'bin-1', t0)).toBe(id)
    expect(new Set([id, alertIdOf('fire', 'bin-1', t0), alertIdOf('fill', 'bin-2', t0), alertIdOf('fill', 'bin-1', t0 + 1)]).size).toBe(4)
    expect(firedAtOf(id)).toBe(t0)
    expect(firedAtOf('not-an-id')).toBeUndefined()
  })

  test('should start with the firing time in base 36 and end with 16 hexadecimal digits', () => {
    const id = alertIdOf('fire', 'bin-1', t0)
    expect(id).toMatch(/^[0-9a-z]+-[0-9a-f]{16}$/)
    expect(id.split('-')[0]).toBe(t0.toString(36))
    // Device ids may contain hyphens; the id still has one, the separator.
    expect(alertIdOf('fill', 'bin-1-a-b', t0).split('-')).toHaveLength(2)
  })
})

describe('firedAtOf', () => {
  test('should read the firing time back from any id, from the epoch to the largest safe integer', () => {
    for (const time of [0, 1, t0, Number.MAX_SAFE_INTEGER]) expect(firedAtOf(alertIdOf('silence', 'meter-7', time))).toBe(time)
  })

  test('should answer undefined for what is no alert id', () => {
    const digest = alertIdOf('fill', 'bin-1', t0).split('-')[1]!
    for (const id of [
      '',
      'not-an-id',
      digest,
      `${t0.toString(36)}-${digest.slice(1)}`,
      `${t0.toString(36)}-${digest.toUpperCase()}`,
      `${t0.toString(36).toUpperCase()}-${digest}`,
      ` ${t0.toString(36)}-${digest}`,
      `${t0.toString(36)}-${digest}0`,
      // 13 base-36 digits: longer than any time an id carries.
      `${'1'.repeat(13)}-${digest}`,
    ]) {
      expect(firedAtOf(id), id).toBeUndefined()
    }
  })

  test('should answer undefined for a time part beyond the safe integers', () => {
    expect(parseInt('zzzzzzzzzzzz', 36)).toBeGreaterThan(Number.MAX_SAFE_INTEGER)
    expect(firedAtOf(`zzzzzzzzzzzz-${'0'.repeat(16)}`)).toBeUndefined()
  })
})
