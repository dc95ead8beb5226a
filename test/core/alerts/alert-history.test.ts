import { describe, expect, test } from 'vitest'
import { alertPoint, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { alertsFromPoints } from '../../../core/alerts/alert-history.js'
import type { Point } from '../../../core/store/store.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')
const minute = 60_000

const transition = (alertId: string, phase: AlertEvent['phase'], at: number, extra: Partial<AlertEvent> = {}): Point =>
  alertPoint({ schema: 'circular.alert/v1', alertId, phase, rule: 'fill', tenant: 'ghent', site: 'binnenstad', deviceId: 'bin-1', kind: 'waste_container', firedAt: t0, at, ...extra })

describe('alertsFromPoints', () => {
  test('should give the furthest phase reached even when the acknowledgement is stamped after the resolution', () => {
    const [alert] = alertsFromPoints([
      transition('a1', 'acknowledged', t0 + 5 * minute, { reason: 'by ops' }),
      transition('a1', 'resolved', t0 + 3 * minute),
      transition('a1', 'firing', t0, { value: 0.93, reason: 'full' }),
    ])
    expect(alert).toEqual({
      alertId: 'a1',
      rule: 'fill',
      tenant: 'ghent',
      site: 'binnenstad',
      deviceId: 'bin-1',
      kind: 'waste_container',
      state: 'resolved',
      firedAt: t0,
      value: 0.93,
      reason: 'full',
      history: [
        { phase: 'firing', at: t0, reason: 'full' },
        { phase: 'resolved', at: t0 + 3 * minute },
        { phase: 'acknowledged', at: t0 + 5 * minute, reason: 'by ops' },
      ],
    })
  })

  test('transitions at the same instant should be told in lifecycle order', () => {
    const [alert] = alertsFromPoints([transition('a1', 'resolved', t0), transition('a1', 'acknowledged', t0), transition('a1', 'firing', t0)])
    expect(alert?.history.map((h) => h.phase)).toEqual(['firing', 'acknowledged', 'resolved'])
    expect(alert?.state).toBe('resolved')
  })

  test('a text value should be the alert value, and an alert without value or reason should have neither key', () => {
    const [tamper] = alertsFromPoints([transition('a1', 'firing', t0, { rule: 'tamper', value: 'vandalized' })])
    expect(tamper).toMatchObject({ rule: 'tamper', value: 'vandalized', state: 'firing' })
    const [bare] = alertsFromPoints([transition('a2', 'firing', t0)])
    expect(Object.keys(bare!)).not.toContain('value')
    expect(Object.keys(bare!)).not.toContain('reason')
  })

  test('an alert whose firing fell outside the points read should still be told from its other transitions', () => {
    const [alert] = alertsFromPoints([transition('a1', 'acknowledged', t0 + minute)])
    expect(alert).toMatchObject({ alertId: 'a1', state: 'acknowledged', firedAt: t0, deviceId: 'bin-1' })
  })

  test('the firing time should fall back to the point time when the field is missing', () => {
    const point: Point = { measurement: 'alerts', tags: { phase: 'firing', rule: 'silence', device: 'm-1' }, fields: { alert_id: 'a1' }, time: t0 + minute }
    expect(alertsFromPoints([point])).toEqual([{ alertId: 'a1', rule: 'silence', tenant: '', site: '', deviceId: 'm-1', kind: '', state: 'firing', firedAt: t0 + minute, history: [{ phase: 'firing', at: t0 + minute }] }])
  })

  test('points without a text alert id or with an unknown phase should be left out', () => {
    const good = transition('a1', 'firing', t0)
    const noId: Point = { ...good, fields: { fired_at: t0 } }
    const numericId: Point = { ...good, fields: { alert_id: 7 } }
    const oddPhase: Point = { ...good, tags: { ...good.tags, phase: 'snoozed' } }
    const noPhase: Point = { ...good, tags: { rule: 'fill' } }
    expect(alertsFromPoints([noId, numericId, oddPhase, noPhase]).map((a) => a.alertId)).toEqual([])
    expect(alertsFromPoints([noId, good, oddPhase]).map((a) => [a.alertId, a.history.length])).toEqual([['a1', 1]])
  })

  test('alerts should come newest firing first, ties by id', () => {
    const alerts = alertsFromPoints([
      transition('b', 'firing', t0, { firedAt: t0 }),
      transition('c', 'firing', t0 + minute, { firedAt: t0 + minute }),
      transition('a', 'firing', t0, { firedAt: t0 }),
    ])
    expect(alerts.map((a) => a.alertId)).toEqual(['c', 'a', 'b'])
  })
})
