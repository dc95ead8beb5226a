import { number, text, type Envelope, type Measure } from '../../../simulator/encode/measure.js'

/** 2026-03-02T08:15:00Z: 1772439300 s since the epoch. */
export const observedAt = Date.parse('2026-03-02T08:15:00Z')

export const envelope: Envelope = {
  deviceId: 'bin-7',
  apiKey: 'ghent',
  entityType: 'WasteContainer',
  entityId: 'urn:ngsi-ld:WasteContainer:bin-7',
  time: observedAt,
  descriptive: { location: { type: 'Point', coordinates: [3.7174, 51.0543] }, category: ['underground'] },
}

/** A fill ratio, a status text and a battery whose SenML record has its own name and unit. */
export const measures: Measure[] = [number('fillingLevel', 0.42, 'C62', { u: '/', v: 0.42 }), text('status', 'ok'), number('batteryLevel', 0.87, 'C62', { n: 'battery', u: '%EL', v: 87 })]
