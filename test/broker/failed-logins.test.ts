import { describe, expect, test } from 'vitest'
import { FailedLogins } from '../../broker/failed-logins.js'

describe('FailedLogins', () => {
  const policy = { windowMs: 60_000, delayAfter: 3, baseDelayMs: 100, maxDelayMs: 1000, refuseAfter: 6, maxKeys: 4 }

  test('should delay after a few failures, doubling up to the cap, and refuse an address after many, until the window ends', () => {
    const logins = new FailedLogins(policy)
    const t0 = 1_000_000
    expect(logins.gate('bin-1', '10.0.0.9', t0)).toEqual({ kind: 'open' })
    for (let i = 0; i < 3; i++) logins.failed('bin-1', '10.0.0.9', t0)
    expect(logins.gate('bin-1', '10.0.0.9', t0)).toEqual({ kind: 'delayed', delayMs: 100 })
    logins.failed('bin-1', '10.0.0.9', t0)
    expect(logins.gate('bin-1', '10.0.0.9', t0)).toEqual({ kind: 'delayed', delayMs: 200 })
    logins.failed('bin-1', '10.0.0.9', t0)
    logins.failed('bin-1', '10.0.0.9', t0 + 10_000)
    expect(logins.gate('bin-2', '10.0.0.9', t0 + 10_000)).toEqual({ kind: 'refused', retryAfterMs: 50_000 })
    // Another address is not refused for this device, only delayed (capped), and nobody can lock a device out.
    expect(logins.gate('bin-1', '10.0.0.7', t0 + 10_000)).toEqual({ kind: 'delayed', delayMs: 800 })
    expect(logins.gate('bin-3', '10.0.0.7', t0 + 10_000)).toEqual({ kind: 'open' })
    expect(logins.gate('bin-2', '10.0.0.9', t0 + 60_000)).toEqual({ kind: 'open' })
  })

  test('a device that got in should have its failures forgotten, not its address', () => {
    const logins = new FailedLogins(policy)
    for (let i = 0; i < 4; i++) logins.failed('bin-1', '10.0.0.9', 0)
    logins.succeeded('bin-1')
    expect(logins.gate('bin-1', undefined, 0)).toEqual({ kind: 'open' })
    expect(logins.gate('bin-1', '10.0.0.9', 0)).toMatchObject({ kind: 'delayed' })
  })

  test('should remember at most maxKeys keys, dropping the oldest', () => {
    const logins = new FailedLogins({ ...policy, delayAfter: 1 })
    for (const id of ['a', 'b', 'c']) logins.failed(id, undefined, 0)
    expect(logins.gate('a', undefined, 0)).toMatchObject({ kind: 'delayed' })
    for (const id of ['d', 'e']) logins.failed(id, undefined, 0)
    expect(logins.gate('a', undefined, 0)).toEqual({ kind: 'open' })
    expect(logins.gate('e', undefined, 0)).toMatchObject({ kind: 'delayed' })
  })
})
