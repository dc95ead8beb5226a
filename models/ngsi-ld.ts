import { collect, isRejection, structuredReadings, toReading, type ObservedValue, type Outcomes } from './attribute-values.js'
import { entityTypes, lookupEntityModel, type EntityModel, type ReadingSpec, type StructuredSpec } from './catalogue.js'
import type { DecodeContext, DecodeResult, Rejection } from './decoding.js'
import { tooManyItems } from './limits.js'
import { describeValue, reject } from './rejections.js'
import { dateTimeText, parseDateTime, timeProblem } from './timestamps.js'

/**
 * Decodes NGSI-LD entities (ETSI GS CIM 009) in any of the three representations, with or without
 * `@context`:
 * - normalized: `{"type": "Property", "value": …, "observedAt": …, "unitCode": …}` (4.5.2.2);
 * - concise: `{"value": …, "observedAt": …}` without `type`, or the bare value (4.5.2.3);
 * - simplified / keyValues: bare values only (4.5.4).
 * A payload is one entity or an array of entities. Attributes the catalogue lists as metadata
 * (location, category, relationships…) are skipped; each reading attribute becomes a reading or a
 * rejection on its own, so one faulty attribute does not cost the others. A per-phase
 * StructuredValue (`{"L1": …, "L2": …}`) becomes one reading per phase.
 */

type Json = Record<string, unknown>

/** Attribute types of the normalized form: Property (4.5.2), Relationship (4.5.3), GeoProperty (4.7) and the later typed variants. */
const normalizedTypes = new Set(['Property', 'Relationship', 'GeoProperty', 'LanguageProperty', 'VocabProperty', 'JsonProperty', 'ListProperty', 'ListRelationship'])

type Sink = Outcomes

/** When an entity's attributes were observed if they do not say themselves. */
type EntityTime = { readonly time: number } | { readonly attribute: string; readonly problem: string }

/** What every attribute of one entity is decoded against. */
interface EntityScope {
  readonly entity: Json
  readonly time: EntityTime
  /** Set on readings only when the payload describes several entities. */
  readonly entityId: string | undefined
  readonly ctx: DecodeContext
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function decodeNgsiLd(document: unknown, ctx: DecodeContext): DecodeResult {
  const entities = Array.isArray(document) ? document : [document]
  const sink: Sink = { readings: [], rejections: [] }
  if (entities.length === 0) return { format: 'ngsi-ld', readings: [], rejections: [reject('ENTITY_INVALID', 'the payload is an empty array of entities')] }
  const tooMany = tooManyItems(entities.length, 'entities')
  if (tooMany !== undefined) return { format: 'ngsi-ld', readings: [], rejections: [tooMany] }

  const ids = new Set<string>()
  for (const entity of entities) if (isObject(entity) && typeof entity.id === 'string') ids.add(entity.id)
  const severalEntities = ids.size > 1

  const types = new Set<string>()
  entities.forEach((entity, index) => {
    const type = decodeEntity(entity, entities.length > 1 ? `entity #${index}` : 'the entity', severalEntities, ctx, sink)
    if (type !== undefined) types.add(type)
  })
  return {
    format: 'ngsi-ld',
    ...(types.size === 1 ? { entityType: [...types][0] } : {}),
    ...(ids.size === 1 ? { entityId: [...ids][0] } : {}),
    readings: sink.readings,
    rejections: sink.rejections,
  }
}

/** Decodes one entity into the sink; returns its entity type when it is a known one. */
function decodeEntity(entity: unknown, label: string, severalEntities: boolean, ctx: DecodeContext, sink: Sink): string | undefined {
  if (!isObject(entity)) {
    sink.rejections.push(reject('ENTITY_INVALID', `${label} is ${describeValue(entity)}, not a JSON object`))
    return undefined
  }
  // ETSI GS CIM 009 4.5.1: `id` and `type` are mandatory.
  const { id, type } = entity
  if (typeof id !== 'string' || id.length === 0) {
    sink.rejections.push(reject('ENTITY_INVALID', `${label} has no "id" string`))
    return undefined
  }
  const model = entityModel(type)
  if (model === undefined) {
    const named = typeof type === 'string' || (Array.isArray(type) && type.length > 0 && type.every((t) => typeof t === 'string'))
    if (named) sink.rejections.push(reject('ENTITY_TYPE_UNKNOWN', `${id} has type ${describeValue(type)}, which is not in the catalogue (known: ${entityTypes.join(', ')})`))
    else sink.rejections.push(reject('ENTITY_INVALID', `${id} has no "type" name`))
    return undefined
  }

  const time = resolveEntityTime(entity, model, ctx)
  if ('problem' in time) sink.rejections.push(reject('TIME_INVALID', `${time.attribute} ${time.problem}`, time.attribute))
  const scope: EntityScope = { entity, time, entityId: severalEntities ? id : undefined, ctx }

  for (const name of Object.keys(entity)) {
    const spec = model.attributes.get(name)
    if (spec === undefined) {
      sink.rejections.push(reject('ATTRIBUTE_UNKNOWN', `${name} is not an attribute of ${model.type}`, name))
      continue
    }
    if (spec.role === 'metadata') continue
    const member = entity[name]
    // ETSI GS CIM 009 4.5.5: several instances of one attribute, told apart by datasetId.
    const instances = Array.isArray(member) ? member : [member]
    if (instances.length === 0) sink.rejections.push(reject('VALUE_INVALID', `${name} is an empty array`, name))
    const tooMany = tooManyItems(instances.length, `instances of ${name}`)
    if (tooMany !== undefined) {
      sink.rejections.push({ ...tooMany, attribute: name })
      continue
    }
    for (const instance of instances) {
      const observed = observeAttribute(name, spec, instance, Array.isArray(member), scope)
      if (isRejection(observed)) sink.rejections.push(observed)
      else if (spec.role === 'structured') structuredReadings(spec, observed, ctx, sink)
      else collect(sink, toReading(spec, observed, ctx))
    }
  }
  return model.type
}

/** The catalogue model of an entity's `type`: a name, or an array of names (4.5.1). */
function entityModel(type: unknown): EntityModel | undefined {
  if (typeof type === 'string') return lookupEntityModel(type)
  if (Array.isArray(type)) {
    for (const name of type) {
      const model = typeof name === 'string' ? lookupEntityModel(name) : undefined
      if (model !== undefined) return model
    }
  }
  return undefined
}

/** The attribute's value and sub-attributes, whichever representation it came in. */
function unwrapAttribute(member: unknown): { value: unknown; unitCode?: unknown; observedAt?: unknown; kind?: string } {
  if (!isObject(member)) return { value: member }
  const type = member.type
  if (typeof type === 'string' && normalizedTypes.has(type)) {
    return { value: member.value, unitCode: member.unitCode, observedAt: member.observedAt, kind: type }
  }
  if (type === undefined && 'value' in member) return { value: member.value, unitCode: member.unitCode, observedAt: member.observedAt, kind: 'Property' }
  // ETSI GS CIM 009 4.5.3.3: concise Relationship.
  if (type === undefined && 'object' in member) return { value: member.object, kind: 'Relationship' }
  // Any other object is a keyValues value, e.g. a JSON-LD typed date-time literal.
  return { value: member }
}

/** One attribute instance's value, unit and time, or why it cannot be read. */
function observeAttribute(name: string, spec: ReadingSpec | StructuredSpec, member: unknown, instanceOfArray: boolean, scope: EntityScope): ObservedValue | Rejection {
  const { entity, ctx } = scope
  const { value, unitCode, observedAt, kind } = unwrapAttribute(member)
  if (instanceOfArray && kind === undefined) return reject('VALUE_INVALID', `${name} is an array, but not of attribute instances`, name)
  if (kind !== undefined && kind !== 'Property') return reject('VALUE_INVALID', `${name} must be a Property, not a ${kind}`, name)
  if (kind !== undefined && value === undefined) return reject('VALUE_INVALID', `${name} has no value`, name)

  let time: number
  if (observedAt !== undefined) {
    const instant = typeof observedAt === 'string' ? parseDateTime(observedAt) : undefined
    if (instant === undefined) return reject('TIME_INVALID', `${name} observedAt ${describeValue(observedAt)} is not an ISO 8601 date-time with a UTC offset`, name)
    const problem = timeProblem(instant, ctx)
    if (problem !== undefined) return reject('TIME_INVALID', `${name} observedAt ${problem}`, name)
    time = instant
  } else if ('problem' in scope.time) {
    return reject('TIME_INVALID', `${name} has no observedAt and the entity's ${scope.time.attribute} cannot be used`, name)
  } else {
    time = scope.time.time
  }

  // DeviceMeasurement names the unit of `numValue` in its `unit` attribute.
  const unitAttribute = spec.role === 'reading' && spec.valueType === 'number' ? spec.unitAttribute : undefined
  const unit = unitCode === undefined && unitAttribute !== undefined ? unwrapAttribute(entity[unitAttribute]).value : unitCode
  return { attribute: name, value, unit, time, entityId: scope.entityId }
}

/**
 * The entity-level observation time: the first of the model's time attributes present
 * (dateObserved > binLoggedTime > timeInstant), else the receive time (data-models §8.1).
 */
function resolveEntityTime(entity: Json, model: EntityModel, ctx: DecodeContext): EntityTime {
  for (const attribute of model.timeAttributes) {
    const member = entity[attribute]
    if (member === undefined) continue
    const text = dateTimeText(unwrapAttribute(member).value)
    const instant = text === undefined ? undefined : parseDateTime(text)
    if (instant === undefined) return { attribute, problem: `${describeValue(text ?? member)} is not an ISO 8601 date-time with a UTC offset` }
    const problem = timeProblem(instant, ctx)
    return problem === undefined ? { time: instant } : { attribute, problem }
  }
  return { time: ctx.receivedAt }
}
