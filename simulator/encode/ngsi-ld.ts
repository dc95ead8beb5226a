import type { Envelope, Measure, WireMessage } from './measure.js'

/**
 * NGSI-LD entities (ETSI GS CIM 009) in the three representations the platform accepts:
 * normalized (4.5.2.2) and keyValues (4.5.4) on `devices/<id>/ngsi-ld`, and concise (4.5.2.3) on
 * `devices/<id>/attrs`, where the platform recognises the entity by its shape.
 */

export function ngsiLdNormalized(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const observedAt = new Date(envelope.time).toISOString()
  const entity: Record<string, unknown> = { id: envelope.entityId, type: envelope.entityType }
  for (const [name, value] of Object.entries(envelope.descriptive ?? {})) entity[name] = name === 'location' ? { type: 'GeoProperty', value } : { type: 'Property', value }
  for (const m of measures) entity[m.attribute] = { type: 'Property', value: m.value, ...(m.unitCode !== undefined ? { unitCode: m.unitCode } : {}), observedAt }
  return { topic: `devices/${envelope.deviceId}/ngsi-ld`, payload: JSON.stringify(entity) }
}

export function ngsiLdConcise(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const observedAt = new Date(envelope.time).toISOString()
  const entity: Record<string, unknown> = { id: envelope.entityId, type: envelope.entityType, ...envelope.descriptive }
  for (const m of measures) entity[m.attribute] = { value: m.value, ...(m.unitCode !== undefined ? { unitCode: m.unitCode } : {}), observedAt }
  return { topic: `devices/${envelope.deviceId}/attrs`, payload: JSON.stringify(entity) }
}

export function ngsiLdKeyValues(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const entity: Record<string, unknown> = { id: envelope.entityId, type: envelope.entityType, dateObserved: new Date(envelope.time).toISOString(), ...envelope.descriptive }
  for (const m of measures) entity[m.attribute] = m.value
  return { topic: `devices/${envelope.deviceId}/ngsi-ld`, payload: JSON.stringify(entity) }
}
