import { describe, expect, test } from 'vitest'
import { messageTtlSeconds } from '../../broker/session-store.js'

describe('session store', () => {
  test('a queued command should be kept until it expires, anything else for the default', () => {
    const now = Date.parse('2026-12-08T00:00:00Z')
    expect(messageTtlSeconds({ payload: Buffer.from('{"id":"c1","expiresAt":"2026-12-08T01:00:00.000Z"}') }, 604_800, now)).toBe(3600)
    // Expired already: kept for a second, then gone.
    expect(messageTtlSeconds({ payload: '{"expiresAt":"2026-12-07T00:00:00Z"}' }, 604_800, now)).toBe(1)
    expect(messageTtlSeconds({ payload: Buffer.from('{"reboot":null}') }, 604_800, now)).toBe(604_800)
    expect(messageTtlSeconds({ payload: Buffer.from('bin-1@reboot|') }, 604_800, now)).toBe(604_800)
  })
})
