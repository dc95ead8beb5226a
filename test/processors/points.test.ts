import { describe, expect, test } from 'vitest'
import { envelopeToPoints } from '../../processors/points.js'
import type { ReadingEnvelope } from '../../models/reading.js'

describe('envelope to points', () => {
  test('readings of one measurement at one instant should share a point tagged with tenant, site, device and kind', () => {
    const envelope: ReadingEnvelope = {
      schema: 'circular.readings/v1',
      tenant: 'city',
      site: 'depot',
      deviceId: 'bin-1',
      kind: 'waste_container',
      format: 'senml',
      receivedAt: 2000,
      source: { topic: 'raw', partition: 0, offset: '7' },
      readings: [
        { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.5, unit: 'ratio', time: 1000 },
        { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 20, unit: 'Cel', time: 1000 },
        { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 21, unit: 'Cel', time: 1500 },
        { attribute: 'batteryLevel', measurement: 'device_health', field: 'battery_level', value: 0.9, unit: 'ratio', time: 1000 },
      ],
    }
    const tags = { tenant: 'city', site: 'depot', device: 'bin-1', kind: 'waste_container' }
    expect(envelopeToPoints(envelope)).toEqual([
      { point: { measurement: 'waste_container', tags, fields: { filling_level: 0.5, temperature_c: 20 }, time: 1000 }, readings: 2 },
      { point: { measurement: 'waste_container', tags, fields: { temperature_c: 21 }, time: 1500 }, readings: 1 },
      { point: { measurement: 'device_health', tags, fields: { battery_level: 0.9 }, time: 1000 }, readings: 1 },
    ])
  })
})
