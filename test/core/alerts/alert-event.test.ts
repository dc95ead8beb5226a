import { describe, expect, test } from 'vitest'
import { alertEvent, alertPoint, alertRecord, type AlertEvent } from '../../../core/alerts/alert-event.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')

const event = (overrides: Partial<AlertEvent> = {}): AlertEvent => ({
  schema: 'circular.alert/v1',
  alertId: 'mh2x3k00-0123456789abcdef',
  phase: 'firing',
  rule: 'fill',
  tenant: 'ghent',
  site: 'binnenstad',
  deviceId: 'bin-1',
  kind: 'waste_container',
  firedAt: t0,
  at: t0,
  ...overrides,
})

describe('alertRecord', () => {
  test('should be keyed by the alert id, with the event as JSON that the topic schema accepts', () => {
    const e = event({ value: 0.93, reason: 'fill 93 % ≥ 80 %', location: { type: 'Point', coordinates: [3.72, 51.05] } })
    const record = alertRecord('alerts', e)
    expect(record).toMatchObject({ topic: 'alerts', key: e.alertId, headers: {} })
    expect(alertEvent.parse(JSON.parse(record.value.toString('utf8')))).toEqual(e)
  })
})

describe('alertPoint', () => {
  test('should tag the point by phase and keep the alert id and firing time as fields, at the transition time', () => {
    const point = alertPoint(event({ phase: 'acknowledged', at: t0 + 60_000 }))
    expect(point).toEqual({
      measurement: 'alerts',
      tags: { tenant: 'ghent', site: 'binnenstad', device: 'bin-1', kind: 'waste_container', rule: 'fill', phase: 'acknowledged' },
      fields: { alert_id: 'mh2x3k00-0123456789abcdef', fired_at: t0 },
      time: t0 + 60_000,
    })
  })

  test('should store a numeric value, a text value and a reason each in its own field', () => {
    expect(alertPoint(event({ value: 412, reason: 'burning' })).fields).toEqual({ alert_id: 'mh2x3k00-0123456789abcdef', fired_at: t0, value: 412, reason: 'burning' })
    expect(alertPoint(event({ rule: 'tamper', value: 'vandalized' })).fields).toEqual({ alert_id: 'mh2x3k00-0123456789abcdef', fired_at: t0, value_text: 'vandalized' })
    // A zero is a value, not a missing one.
    expect(alertPoint(event({ value: 0 })).fields.value).toBe(0)
  })
})
