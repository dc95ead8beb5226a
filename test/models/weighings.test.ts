import { describe, expect, test } from 'vitest'
import type { CanonicalReading, ReadingEnvelope } from '../../models/reading.js'
import { weighingsOf } from '../../models/weighings.js'

const t0 = Date.parse('2025-03-04T10:02:11Z')

function envelope(readings: [time: number, measurement: string, field: string, value: CanonicalReading['value']][]): ReadingEnvelope {
  return {
    schema: 'circular.readings/v1',
    tenant: 'city',
    site: 'rc-1',
    deviceId: 'scale-1',
    kind: 'weighing_device',
    format: 'iota-json',
    receivedAt: t0 + 60_000,
    source: { topic: 'readings', partition: 0, offset: '0' },
    readings: readings.map(([time, measurement, field, value]) => ({ attribute: field, measurement, field, value, unit: typeof value === 'number' ? 'kg' : '', time })),
  }
}

describe('weighingsOf', () => {
  test('should make one weighing per observation time from the net mass and what was observed with it', () => {
    const weighings = weighingsOf(
      envelope([
        [t0, 'waste_weighing', 'net_weight_kg', 2360],
        [t0, 'waste_weighing', 'stored_waste_kind', 'plastic'],
        [t0, 'waste_weighing', 'direction', 'out'],
        [t0, 'waste_weighing', 'destination', 'recycling'],
        [t0 + 1000, 'waste_weighing', 'net_weight_kg', 180],
        [t0 + 1000, 'waste_weighing', 'stored_waste_kind', 'glass'],
        [t0 + 1000, 'waste_weighing', 'direction', 'in'],
      ]),
    )
    expect(weighings).toEqual([
      { netKg: 2360, time: t0, fraction: 'plastic', direction: 'out', destination: 'recycling' },
      { netKg: 180, time: t0 + 1000, fraction: 'glass', direction: 'in' },
    ])
    expect(Object.keys(weighings[1]!)).not.toContain('destination')
  })

  test('should count a weighing without direction as an inflow and without material as other', () => {
    expect(weighingsOf(envelope([[t0, 'waste_weighing', 'net_weight_kg', 50]]))).toEqual([{ netKg: 50, time: t0, fraction: 'other', direction: 'in' }])
    expect(weighingsOf(envelope([[t0, 'waste_weighing', 'net_weight_kg', 50], [t0, 'waste_weighing', 'direction', 'sideways']]))[0]?.direction).toBe('in')
  })

  test('should prefer an explicit material field over the stored waste kind', () => {
    const weighings = weighingsOf(envelope([[t0, 'waste_weighing', 'net_weight_kg', 50], [t0, 'waste_weighing', 'stored_waste_kind', 'metal'], [t0, 'waste_weighing', 'material', 'wood']]))
    expect(weighings.map((w) => w.fraction)).toEqual(['wood'])
  })

  test('should skip times without a numeric net mass and readings of other measurements', () => {
    const weighings = weighingsOf(
      envelope([
        [t0, 'waste_weighing', 'gross_weight_kg', 14230],
        [t0, 'waste_weighing', 'direction', 'out'],
        [t0, 'device_health', 'net_weight_kg', 99],
        [t0 + 1000, 'waste_weighing', 'net_weight_kg', '12'],
      ]),
    )
    expect(weighings).toEqual([])
  })
})
