import { describe, expect, test } from 'vitest'
import { ngsiLdConcise, ngsiLdKeyValues, ngsiLdNormalized } from '../../../simulator/encode/ngsi-ld.js'
import { envelope, measures } from './fixture.js'

const observedAt = '2026-03-02T08:15:00.000Z'
const location = { type: 'Point', coordinates: [3.7174, 51.0543] }

describe('NGSI-LD encoders', () => {
  test('normalized should wrap every attribute as a Property (the location as a GeoProperty), with unit and observation time on measures', () => {
    const message = ngsiLdNormalized(envelope, measures)
    expect(message.topic).toBe('devices/bin-7/ngsi-ld')
    expect(JSON.parse(message.payload)).toEqual({
      id: 'urn:ngsi-ld:WasteContainer:bin-7',
      type: 'WasteContainer',
      location: { type: 'GeoProperty', value: location },
      category: { type: 'Property', value: ['underground'] },
      fillingLevel: { type: 'Property', value: 0.42, unitCode: 'C62', observedAt },
      status: { type: 'Property', value: 'ok', observedAt },
      batteryLevel: { type: 'Property', value: 0.87, unitCode: 'C62', observedAt },
    })
  })

  test('concise should drop the type members and keep descriptive attributes as plain values, on the attrs topic', () => {
    const message = ngsiLdConcise(envelope, measures)
    expect(message.topic).toBe('devices/bin-7/attrs')
    expect(JSON.parse(message.payload)).toEqual({
      id: 'urn:ngsi-ld:WasteContainer:bin-7',
      type: 'WasteContainer',
      location,
      category: ['underground'],
      fillingLevel: { value: 0.42, unitCode: 'C62', observedAt },
      status: { value: 'ok', observedAt },
      batteryLevel: { value: 0.87, unitCode: 'C62', observedAt },
    })
  })

  test('keyValues should carry bare values and the observation time as dateObserved', () => {
    const message = ngsiLdKeyValues(envelope, measures)
    expect(message.topic).toBe('devices/bin-7/ngsi-ld')
    expect(JSON.parse(message.payload)).toEqual({ id: 'urn:ngsi-ld:WasteContainer:bin-7', type: 'WasteContainer', dateObserved: observedAt, location, category: ['underground'], fillingLevel: 0.42, status: 'ok', batteryLevel: 0.87 })
  })

  test('an envelope without descriptive attributes should give only id, type and the measures', () => {
    const { descriptive: _descriptive, ...bare } = envelope
    expect(Object.keys(JSON.parse(ngsiLdNormalized(bare, measures.slice(0, 1)).payload) as object)).toEqual(['id', 'type', 'fillingLevel'])
    expect(Object.keys(JSON.parse(ngsiLdConcise(bare, []).payload) as object)).toEqual(['id', 'type'])
  })
})
