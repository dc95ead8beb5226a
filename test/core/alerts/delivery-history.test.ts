import { describe, expect, test } from 'vitest'
import { deliveriesFromPoints, deliveryPoint, type DeliveryRecord } from '../../../core/alerts/delivery-history.js'

const firedAt = Date.parse('2026-11-02T08:00:00Z')
const about = { tenant: 'city', site: 'north', deviceId: 'bin-1', rule: 'fill' as const, firedAt }

describe('delivery points', () => {
  test('an outbox entry should become one point per alert, phase and subscriber, and read back as the API shows it', () => {
    const webhook: DeliveryRecord = {
      channel: 'webhook',
      subscriber: 'ops',
      alertId: 'a-1',
      phase: 'firing',
      status: 'delivered',
      attempts: [
        { at: firedAt + 1000, status: 503 },
        { at: firedAt + 2000, error: 'no answer within 1000 ms' },
        { at: firedAt + 4000, status: 204 },
      ],
      deliveredAt: firedAt + 4000,
      about,
    }
    const open311: DeliveryRecord = { channel: 'open311', subscriber: 'city-311', alertId: 'a-1', phase: 'firing', status: 'delivered', attempts: [{ at: firedAt + 1500, status: 201 }], deliveredAt: firedAt + 1500, about, open311: { serviceRequestId: '638344', closed: false } }
    const points = [deliveryPoint(webhook)!, deliveryPoint(open311)!]
    expect(points[0]).toEqual({
      measurement: 'alert_deliveries',
      tags: { tenant: 'city', site: 'north', device: 'bin-1', rule: 'fill', channel: 'webhook', subscriber: 'ops', phase: 'firing' },
      fields: { alert_id: 'a-1', status: 'delivered', attempts: 3, last_attempt_at: firedAt + 4000, last_http_status: 204, last_error: '', delivered_at: firedAt + 4000 },
      time: firedAt,
    })
    expect(deliveriesFromPoints(points)).toEqual([
      { channel: 'open311', subscriber: 'city-311', phase: 'firing', status: 'delivered', attempts: 1, lastAttemptAt: firedAt + 1500, lastHttpStatus: 201, deliveredAt: firedAt + 1500, serviceRequestId: '638344', closed: false },
      { channel: 'webhook', subscriber: 'ops', phase: 'firing', status: 'delivered', attempts: 3, lastAttemptAt: firedAt + 4000, lastHttpStatus: 204, deliveredAt: firedAt + 4000 },
    ])
  })

  test('an attempt without an answer should overwrite the status of the one before, as the store merges fields', () => {
    const point = deliveryPoint({ channel: 'webhook', subscriber: 'ops', alertId: 'a-1', phase: 'firing', status: 'pending', attempts: [{ at: firedAt, status: 503 }, { at: firedAt + 1, error: 'no answer within 1000 ms' }], about })!
    expect(point.fields).toMatchObject({ last_http_status: 0, last_error: 'no answer within 1000 ms' })
    expect(deliveriesFromPoints([point])[0]).toEqual({ channel: 'webhook', subscriber: 'ops', phase: 'firing', status: 'pending', attempts: 2, lastAttemptAt: firedAt + 1, lastError: 'no answer within 1000 ms' })
  })

  test('an entry recorded before it knew its alert should make no point', () => {
    expect(deliveryPoint({ subscriber: 'ops', alertId: 'a-1', phase: 'firing', status: 'pending', attempts: [] })).toBeUndefined()
  })
})
