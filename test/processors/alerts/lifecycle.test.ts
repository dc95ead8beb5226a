import { describe, expect, test } from 'vitest'
import type { AlertSubject } from '../../../core/alerts/alert-event.js'
import { acknowledge, alertEventOf, resolveFromOutside, step } from '../../../processors/alerts/lifecycle.js'
import type { RuleState } from '../../../processors/alerts/state.js'

const minute = 60_000
const t0 = Date.parse('2026-11-02T08:00:00Z')

describe('acknowledgement', () => {
  test('an acknowledged alert should not fire again while the condition persists, and should still resolve', () => {
    const state = { phase: 'idle' } as { phase: 'idle' | 'firing' | 'acknowledged'; alertId?: string; firedAt?: number }
    const raise = { kind: 'raise', value: 0.9, reason: 'full' } as const
    const fired = step(state, raise, 'fill', 'bin-1', t0, 30)!
    expect(acknowledge(state, 'some-other-id', t0 + minute, 'ops')).toBeUndefined()
    expect(acknowledge(state, fired.alertId, t0 + minute, 'ops')).toMatchObject({ phase: 'acknowledged', alertId: fired.alertId, firedAt: t0, at: t0 + minute })
    expect(acknowledge(state, fired.alertId, t0 + 2 * minute, 'ops')).toBeUndefined()
    expect(step(state, raise, 'fill', 'bin-1', t0 + 3 * minute, 30)).toBeUndefined()
    expect(step(state, { kind: 'clear' }, 'fill', 'bin-1', t0 + 4 * minute, 30)).toMatchObject({ phase: 'resolved', alertId: fired.alertId })
    expect(acknowledge(state, fired.alertId, t0 + 5 * minute, 'ops')).toBeUndefined()
  })
})

describe('resolution from outside', () => {
  test('a closed service request should resolve the open alert it names, start the cooldown, and change nothing for another id or a closed alert', () => {
    const state: RuleState = { phase: 'idle' }
    const fired = step(state, { kind: 'raise', value: 0.9, reason: 'full' }, 'fill', 'bin-1', t0, 30)!
    expect(resolveFromOutside(state, 'some-other-id', t0 + minute, 'Open311 7001', 30)).toBeUndefined()
    expect(state.phase).toBe('firing')
    expect(resolveFromOutside(state, fired.alertId, t0 + 2 * minute, 'Open311 7001', 30)).toEqual({ alertId: fired.alertId, phase: 'resolved', firedAt: t0, at: t0 + 2 * minute, reason: 'closed by Open311 7001' })
    expect(state).toEqual({ phase: 'idle', quietUntil: t0 + 32 * minute })
    expect(resolveFromOutside(state, fired.alertId, t0 + 3 * minute, 'Open311 7001', 30)).toBeUndefined()
    // The condition still holds, but the cooldown keeps the rule quiet until it is over.
    expect(step(state, { kind: 'raise', value: 0.9, reason: 'full' }, 'fill', 'bin-1', t0 + 31 * minute, 30)).toBeUndefined()
    expect(step(state, { kind: 'raise', value: 0.9, reason: 'full' }, 'fill', 'bin-1', t0 + 32 * minute, 30)).toMatchObject({ phase: 'firing', firedAt: t0 + 32 * minute })
  })

  test('an acknowledged alert should be resolvable from outside too', () => {
    const state: RuleState = { phase: 'idle' }
    const fired = step(state, { kind: 'raise', value: 'dropped', reason: 'status dropped' }, 'tamper', 'bin-1', t0, 30)!
    acknowledge(state, fired.alertId, t0 + minute, 'ops')
    expect(resolveFromOutside(state, fired.alertId, t0 + 2 * minute, 'crew', 30)).toMatchObject({ phase: 'resolved', alertId: fired.alertId, firedAt: t0 })
  })

  test('a clear verdict with no open alert, or hold, should change nothing', () => {
    const state: RuleState = { phase: 'idle' }
    expect(step(state, { kind: 'clear' }, 'fill', 'bin-1', t0, 30)).toBeUndefined()
    expect(step(state, { kind: 'hold' }, 'fill', 'bin-1', t0, 30)).toBeUndefined()
    expect(state).toEqual({ phase: 'idle' })
  })
})

describe('alert events', () => {
  const subject: AlertSubject = { tenant: 'city', site: 'north', deviceId: 'bin-1', kind: 'waste_container', location: { type: 'Point', coordinates: [4.42, 51.21] } }

  test('an event should carry the transition and its subject, and leave out what the transition does not have', () => {
    const firing = alertEventOf({ alertId: 'a-1', phase: 'firing', firedAt: t0, at: t0, value: 0.9, reason: 'fill 0.9 at or above 0.8' }, 'fill', subject)
    expect(firing).toEqual({
      schema: 'circular.alert/v1',
      alertId: 'a-1',
      phase: 'firing',
      rule: 'fill',
      tenant: 'city',
      site: 'north',
      deviceId: 'bin-1',
      kind: 'waste_container',
      firedAt: t0,
      at: t0,
      value: 0.9,
      reason: 'fill 0.9 at or above 0.8',
      location: { type: 'Point', coordinates: [4.42, 51.21] },
    })
    const { location: _location, ...unplaced } = subject
    const resolved = alertEventOf({ alertId: 'a-1', phase: 'resolved', firedAt: t0, at: t0 + minute }, 'fill', unplaced)
    expect(Object.keys(resolved).sort()).toEqual(['alertId', 'at', 'deviceId', 'firedAt', 'kind', 'phase', 'rule', 'schema', 'site', 'tenant'])
  })
})
