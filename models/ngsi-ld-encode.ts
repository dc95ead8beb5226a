import { PlatformError } from './errors.js'
import { entityTypeForKind, lookupEntityModel, type EntityModel, type ReadingSpec } from './catalogue.js'
import type { CanonicalReading, ReadingEnvelope } from './reading.js'
import { unitCodeOfCanonical } from './units.js'

/**
 * Canonical readings back into NGSI-LD entities (ETSI GS CIM 009), what the platform serves to
 * other city platforms: the normalized form (4.5.2.2: each reading a Property with its value,
 * the UN/CEFACT `unitCode` of its canonical unit and `observedAt`) and the simplified / keyValues
 * form (4.5.4: bare values, the observation time in the model's `dateObserved`).
 *
 * An entity holds one value per attribute, so readings are split into one entity per entity id
 * and observation time (and, should one attribute repeat at one instant, per repetition). Decoding
 * what is encoded gives the readings back, `sourceUnit` aside: the values are canonical, so they
 * come back in the canonical unit's code. keyValues carries no units: it relies on each
 * attribute's default unit, so a register given in its alternative quantity (a gas meter's m³)
 * reads back only with the registered meter type.
 */

export type NgsiLdEntity = { id: string; type: string } & Record<string, unknown>
export type Representation = 'normalized' | 'keyValues'

export interface EntityReadings {
  /** Id of the entity the readings describe, unless a reading names its own `entityId`. */
  readonly entityId: string
  readonly entityType: string
  readonly readings: readonly CanonicalReading[]
}

export interface EncodeOptions {
  /** `@context` to put in each entity (application/ld+json); left out when undefined. */
  readonly context?: string | readonly string[]
}

/** The readings as NGSI-LD entities in the given representation, ordered by observation time. */
export function encodeEntities(input: EntityReadings, representation: Representation, options: EncodeOptions = {}): NgsiLdEntity[] {
  const model = lookupEntityModel(input.entityType)
  if (model === undefined) throw new PlatformError('ENTITY_TYPE_UNKNOWN', `${input.entityType} is not in the catalogue`, { entityType: input.entityType })
  return observationsOf(input).map((observation) => {
    const entity = representation === 'normalized' ? normalizedEntity(model, observation) : keyValuesEntity(model, observation)
    if (options.context !== undefined) entity['@context'] = options.context
    return entity
  })
}

/** One entity as an object, several as an array: the shape an NGSI-LD payload takes. */
export function encodePayload(input: EntityReadings, representation: Representation, options: EncodeOptions = {}): NgsiLdEntity | NgsiLdEntity[] {
  const entities = encodeEntities(input, representation, options)
  return entities.length === 1 ? (entities[0] as NgsiLdEntity) : entities
}

/** An envelope's readings with the entity they describe: the payload's, else one named after the device. */
export function envelopeEntityReadings(envelope: ReadingEnvelope): EntityReadings {
  const entityType = envelope.entityType ?? entityTypeForKind(envelope.kind) ?? 'DeviceMeasurement'
  return { entityId: envelope.entityId ?? `urn:ngsi-ld:${entityType}:${envelope.tenant}:${envelope.deviceId}`, entityType, readings: envelope.readings }
}

interface Observation {
  readonly entityId: string
  readonly time: number
  readonly readings: CanonicalReading[]
}

function observationsOf(input: EntityReadings): Observation[] {
  const groups = new Map<string, Observation & { attributes: Set<string> }>()
  for (const reading of input.readings) {
    const entityId = reading.entityId ?? input.entityId
    for (let repetition = 0; ; repetition++) {
      const key = `${entityId}\u0000${reading.time}\u0000${repetition}`
      let group = groups.get(key)
      if (group === undefined) groups.set(key, (group = { entityId, time: reading.time, readings: [], attributes: new Set() }))
      if (group.attributes.has(reading.attribute)) continue
      group.attributes.add(reading.attribute)
      group.readings.push(reading)
      break
    }
  }
  return [...groups.values()].sort((a, b) => a.time - b.time)
}

/** The attribute a reading belongs to: itself, or for `activePower.L1` the per-phase `activePower`. */
function specOf(model: EntityModel, reading: CanonicalReading): { spec: ReadingSpec; parent?: string; phase?: string } {
  const spec = model.attributes.get(reading.attribute)
  if (spec?.role !== 'reading') throw new PlatformError('ATTRIBUTE_UNKNOWN', `${reading.attribute} is not a reading attribute of ${model.type}`, { attribute: reading.attribute })
  const dot = reading.attribute.indexOf('.')
  if (dot < 0) return { spec }
  return { spec, parent: reading.attribute.slice(0, dot), phase: reading.attribute.slice(dot + 1) }
}

function normalizedEntity(model: EntityModel, observation: Observation): NgsiLdEntity {
  const entity: NgsiLdEntity = { id: observation.entityId, type: model.type }
  const observedAt = new Date(observation.time).toISOString()
  for (const reading of observation.readings) {
    const { spec, parent, phase } = specOf(model, reading)
    const unitCode = reading.unit === '' ? undefined : unitCodeOfCanonical(reading.unit)
    if (parent !== undefined && phase !== undefined) {
      const property = (entity[parent] ??= { type: 'Property', value: {}, ...(unitCode !== undefined ? { unitCode } : {}), observedAt }) as { value: Record<string, unknown> }
      property.value[phase] = reading.value
      continue
    }
    const value = spec.valueType === 'datetime' ? { '@type': 'DateTime', '@value': reading.value } : reading.value
    entity[reading.attribute] = { type: 'Property', value, ...(unitCode !== undefined ? { unitCode } : {}), observedAt }
  }
  return entity
}

function keyValuesEntity(model: EntityModel, observation: Observation): NgsiLdEntity {
  const entity: NgsiLdEntity = { id: observation.entityId, type: model.type }
  const timeAttribute = model.timeAttributes[0]
  if (timeAttribute !== undefined) entity[timeAttribute] = new Date(observation.time).toISOString()
  for (const reading of observation.readings) {
    const { spec, parent, phase } = specOf(model, reading)
    if (parent !== undefined && phase !== undefined) {
      const value = (entity[parent] ??= {}) as Record<string, unknown>
      value[phase] = reading.value
      continue
    }
    entity[reading.attribute] = reading.value
    // DeviceMeasurement: keyValues can still name numValue's unit in the `unit` attribute.
    if (spec.valueType === 'number' && spec.unitAttribute !== undefined && reading.unit !== '') {
      const code = unitCodeOfCanonical(reading.unit)
      if (code !== undefined) entity[spec.unitAttribute] = code
    }
  }
  return entity
}
