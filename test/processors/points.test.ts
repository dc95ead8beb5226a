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

  const base: Omit<ReadingEnvelope, 'kind' | 'readings'> = {
    schema: 'circular.readings/v1',
    tenant: 'city',
    site: 'recyparc',
    deviceId: 'dev-1',
    format: 'ngsi-ld',
    receivedAt: 2000,
    source: { topic: 'raw', partition: 0, offset: '1' },
  }

  test('a container point should carry the registered waste fraction as a tag; its health point should not', () => {
    const points = envelopeToPoints({
      ...base,
      kind: 'waste_container',
      fraction: 'glass',
      containerVolumeM3: 3,
      readings: [
        { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.5, unit: 'ratio', time: 1000 },
        { attribute: 'rssi', measurement: 'device_health', field: 'rssi_dbm', value: -97, unit: 'dBm', time: 1000 },
      ],
    })
    expect(points.map((p) => [p.point.measurement, p.point.tags])).toEqual([
      ['waste_container', { tenant: 'city', site: 'recyparc', device: 'dev-1', kind: 'waste_container', fraction: 'glass' }],
      ['device_health', { tenant: 'city', site: 'recyparc', device: 'dev-1', kind: 'waste_container' }],
    ])
  })

  test('meter points should carry the meter type as a tag', () => {
    const points = envelopeToPoints({
      ...base,
      kind: 'gas_meter',
      meterType: 'gas',
      readings: [{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 1520.25, unit: 'm3', time: 1000 }],
    })
    expect(points[0]?.point.tags).toEqual({ tenant: 'city', site: 'recyparc', device: 'dev-1', kind: 'gas_meter', meter_type: 'gas' })
  })

  test('a weighing point should be tagged with material, direction and destination and keep them as fields', () => {
    const weighing = (time: number, fields: [string, string, number | string][]): ReadingEnvelope['readings'] =>
      fields.map(([attribute, field, value]) => ({ attribute, measurement: 'waste_weighing', field, value, unit: typeof value === 'number' ? 'kg' : '', time }))
    const points = envelopeToPoints({
      ...base,
      kind: 'weighing_device',
      fraction: 'paper',
      readings: [
        ...weighing(1000, [
          ['weight', 'net_weight_kg', 2360],
          ['storedWasteKind', 'stored_waste_kind', 'plastic'],
          ['direction', 'direction', 'out'],
          ['destination', 'destination', 'recycling'],
          ['storedWasteCode', 'waste_code', '20 01 39'],
        ]),
        ...weighing(2000, [
          ['weight', 'net_weight_kg', 410],
          ['direction', 'direction', 'in'],
        ]),
      ],
    })
    const tags = { tenant: 'city', site: 'recyparc', device: 'dev-1', kind: 'weighing_device' }
    expect(points.map((p) => p.point)).toEqual([
      {
        measurement: 'waste_weighing',
        tags: { ...tags, material: 'plastic', direction: 'out', destination: 'recycling' },
        fields: { net_weight_kg: 2360, stored_waste_kind: 'plastic', direction: 'out', destination: 'recycling', waste_code: '20 01 39' },
        time: 1000,
      },
      // Without a storedWasteKind of its own, the scale's registered fraction is the material.
      { measurement: 'waste_weighing', tags: { ...tags, material: 'paper', direction: 'in' }, fields: { net_weight_kg: 410, direction: 'in' }, time: 2000 },
    ])
  })
})
