import { describe, expect, test } from 'vitest'
import type { Device } from '../../../core/registry/device.js'
import { counterPoints, deadLetterPoints, delayPoints, inventoryPoints, lagPoints } from '../../../processors/health/health-points.js'

const time = Date.parse('2026-11-02T08:00:00Z')

describe('health points', () => {
  test('counter points should carry one field per counter, in snake case, per component', () => {
    const deltas = new Map<string, Record<string, number>>([
      ['normaliser', { received: 12, deadLettered: 1, rejectedAttributes: 2 }],
      ['store-sink', { writeRetries: 0 }],
    ])
    expect(counterPoints(deltas, time, 'host-a')).toEqual([
      { measurement: 'pipeline_counters', tags: { component: 'normaliser', host: 'host-a' }, fields: { received: 12, dead_lettered: 1, rejected_attributes: 2 }, time },
      { measurement: 'pipeline_counters', tags: { component: 'store-sink', host: 'host-a' }, fields: { write_retries: 0 }, time },
    ])
  })

  test('dead-letter points should split the tally key into stage and code and leave out what did not grow', () => {
    const tally = new Map([['dead-letters', { 'normaliser/UNIT_UNKNOWN': 2, 'store-sink/POINT_REJECTED': 0, 'unknown/unknown': 1 }]])
    expect(deadLetterPoints(tally, time, 'host-a')).toEqual([
      { measurement: 'pipeline_dead_letters', tags: { stage: 'normaliser', code: 'UNIT_UNKNOWN', host: 'host-a' }, fields: { records: 2 }, time },
      { measurement: 'pipeline_dead_letters', tags: { stage: 'unknown', code: 'unknown', host: 'host-a' }, fields: { records: 1 }, time },
    ])
  })

  test('lag and delay points should carry one partition, and one basis, each', () => {
    expect(lagPoints('g1', [{ topic: 'telemetry.raw', partition: 2, lag: 7 }], time)).toEqual([{ measurement: 'pipeline_lag', tags: { group: 'g1', topic: 'telemetry.raw', partition: '2' }, fields: { lag: 7 }, time }])
    const summaries = new Map([['received', { count: 3, meanMs: 120, maxMs: 300 }] as const])
    expect(delayPoints('store-sink', summaries, time, 'host-a')).toEqual([{ measurement: 'pipeline_delay', tags: { stage: 'store-sink', basis: 'received', host: 'host-a' }, fields: { readings: 3, mean_ms: 120, max_ms: 300 }, time }])
  })

  test('inventory points should place a device by its location, with its fraction and threshold only where registered', () => {
    const base: Device = { id: 'bin-1', tenant: 'city', site: 'north', kind: 'waste_container', format: 'senml', apiKey: 'city', secretHash: 'scrypt$x', createdAt: new Date(0).toISOString() }
    const placed: Device = { ...base, id: 'bin-2', location: { type: 'Point', coordinates: [4.42, 51.21] }, wasteFraction: 'glass', fullnessThreshold: 0.7 }
    expect(inventoryPoints([base, placed], time)).toEqual([
      { measurement: 'device_inventory', tags: { tenant: 'city', site: 'north', device: 'bin-1', kind: 'waste_container' }, fields: { registered: 1 }, time },
      { measurement: 'device_inventory', tags: { tenant: 'city', site: 'north', device: 'bin-2', kind: 'waste_container', fraction: 'glass' }, fields: { registered: 1, longitude: 4.42, latitude: 51.21, fullness_threshold: 0.7 }, time },
    ])
  })
})
