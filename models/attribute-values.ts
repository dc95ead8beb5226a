import type { NumberReadingSpec, ReadingSpec, StructuredSpec } from './catalogue.js'
import type { Rejection } from './decoding.js'
import type { CanonicalReading } from './reading.js'
import { describeValue, reject } from './rejections.js'
import { dateTimeText, parseDateTime, timeProblem, type TimeLimits } from './timestamps.js'
import { lookupUnit, toCanonical, type UnitDefinition } from './units.js'
import type { MeterType } from './vocabulary.js'

/**
 * The rules every payload format shares once it has found an attribute's value, unit and time:
 * type check, unit conversion to the canonical unit, range check, and the reading itself. One
 * place, so NGSI-LD, SenML and the IoT Agent formats cannot drift apart.
 */

export interface ObservedValue {
  readonly attribute: string
  readonly value: unknown
  /** The unit code as the payload gave it; undefined when it gave none. */
  readonly unit: unknown
  /** Observation time, ms since the epoch, already checked. */
  readonly time: number
  /** Set only when one payload describes several entities. */
  readonly entityId?: string
}

/** What a value is read against besides its spec: time limits and, for meters, the meter type. */
export interface ReadingContext extends TimeLimits {
  /** The registered (or kind-implied) meter type: the unit of a register given without one. */
  readonly meterType?: MeterType
}

export function isRejection<T extends object>(outcome: T | Rejection): outcome is Rejection {
  return 'code' in outcome
}

/** Where a decoder gathers what it made of a payload. */
export interface Outcomes {
  readonly readings: CanonicalReading[]
  readonly rejections: Rejection[]
}

/** Files a reading or a rejection. A plain function rather than a closure keeps the hot loops inlinable. */
export function collect(outcomes: Outcomes, outcome: CanonicalReading | Rejection): void {
  if (isRejection(outcome)) outcomes.rejections.push(outcome)
  else outcomes.readings.push(outcome)
}

/** The canonical reading of one observed value, or why it was refused. */
export function toReading(spec: ReadingSpec, observed: ObservedValue, ctx: ReadingContext): CanonicalReading | Rejection {
  switch (spec.valueType) {
    case 'number':
      return numberReading(spec, observed, ctx)
    case 'string':
      return stringReading(spec, observed)
    case 'boolean':
      if (typeof observed.value !== 'boolean') return wrongType(observed, 'true or false')
      return reading(spec, observed, observed.value, '', undefined)
    case 'datetime':
      return dateTimeReading(spec, observed, ctx)
  }
}

/**
 * The readings of a per-phase StructuredValue (`{"L1": 230.1, "L2": 229.8}`): one per phase given,
 * each named `<attribute>.<phase>`, all in the unit given for the attribute.
 */
export function structuredReadings(spec: StructuredSpec, observed: ObservedValue, ctx: ReadingContext, outcomes: Outcomes): void {
  const { attribute, value } = observed
  const phases = [...spec.components.keys()].join(', ')
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    collect(outcomes, reject('VALUE_INVALID', `${attribute} must be an object of per-phase numbers (${phases}) or be sent per phase as ${attribute}.<phase>, got ${describeValue(value)}`, attribute))
    return
  }
  let given = 0
  for (const phase in value) {
    if (!Object.hasOwn(value, phase)) continue
    given++
    const name = `${attribute}.${phase}`
    const component = spec.components.get(phase)
    if (component === undefined) collect(outcomes, reject('ATTRIBUTE_UNKNOWN', `${name} is not a phase of ${attribute} (${phases})`, name))
    else collect(outcomes, numberReading(component, { ...observed, attribute: name, value: (value as Record<string, unknown>)[phase] }, ctx))
  }
  if (given === 0) collect(outcomes, reject('VALUE_INVALID', `${attribute} has no phase values (${phases})`, attribute))
}

function numberReading(spec: NumberReadingSpec, observed: ObservedValue, ctx: ReadingContext): CanonicalReading | Rejection {
  const { attribute, value } = observed
  if (typeof value !== 'number') return wrongType(observed, 'a number')
  // JSON cannot carry NaN or Infinity, but a literal like 1e400 parses to Infinity.
  if (!Number.isFinite(value)) return reject('VALUE_INVALID', `${attribute} ${value} is not a finite number`, attribute)
  if (spec.unknownValue !== undefined && value === spec.unknownValue) {
    return reject('VALUE_INVALID', `${attribute} ${value} means "cannot be determined" in the data model; there is nothing to store`, attribute)
  }

  let unit: UnitDefinition | undefined = spec.defaultUnit ?? (ctx.meterType === undefined ? undefined : spec.defaultUnitByMeterType?.[ctx.meterType])
  let sourceUnit: string | undefined
  if (observed.unit !== undefined) {
    if (typeof observed.unit !== 'string') return reject('UNIT_UNKNOWN', `${attribute} unit ${describeValue(observed.unit)} is not a unit code`, attribute)
    sourceUnit = observed.unit
    unit = lookupUnit(sourceUnit)
    if (unit === undefined) return reject('UNIT_UNKNOWN', `${attribute} unit "${sourceUnit}" is neither a known UN/CEFACT nor a SenML unit code`, attribute)
  } else if (unit === undefined && spec.defaultUnitByMeterType !== undefined) {
    return reject('UNIT_UNKNOWN', `${attribute} has no unit: give a unit code (e.g. KWH, MTQ) or register the meter's type`, attribute)
  }

  let field = spec.field
  if (unit !== undefined && spec.quantity !== undefined && unit.quantity !== spec.quantity) {
    const alternative = spec.alternatives?.get(unit.quantity)
    if (alternative === undefined) return unitMismatch(spec, attribute, unit, sourceUnit ?? unit.code)
    field = alternative
  }

  const canonical = unit === undefined ? value : toCanonical(value, unit)
  const canonicalUnit = unit?.canonical ?? ''
  if (!Number.isFinite(canonical)) return reject('VALUE_OUT_OF_RANGE', `${attribute} ${value} ${sourceUnit ?? ''} overflows in ${canonicalUnit}`, attribute)
  if ((spec.min !== undefined && canonical < spec.min) || (spec.max !== undefined && canonical > spec.max)) {
    const converted = sourceUnit === undefined || sourceUnit === canonicalUnit ? '' : ` ${sourceUnit} (${canonical} ${canonicalUnit})`
    const bounds = `${spec.min ?? '-Infinity'}..${spec.max ?? 'Infinity'} ${canonicalUnit}`.trimEnd()
    return reject('VALUE_OUT_OF_RANGE', `${attribute} ${value}${converted} is outside ${bounds}`, attribute)
  }
  return reading(field === spec.field ? spec : { ...spec, field }, observed, canonical, canonicalUnit, sourceUnit)
}

function unitMismatch(spec: NumberReadingSpec, attribute: string, unit: UnitDefinition, given: string): Rejection {
  const measures = [spec.quantity, ...(spec.alternatives?.keys() ?? [])].join(' or ')
  const example = spec.defaultUnit === undefined ? '' : ` such as ${spec.defaultUnit.code}`
  return reject('UNIT_MISMATCH', `${attribute} measures ${measures}${example}, but "${given}" is a unit of ${unit.quantity}`, attribute)
}

function stringReading(spec: Extract<ReadingSpec, { valueType: 'string' }>, observed: ObservedValue): CanonicalReading | Rejection {
  const { attribute, value } = observed
  if (typeof value !== 'string') return wrongType(observed, 'a string')
  if (spec.allowed !== undefined && !spec.allowed.has(value)) {
    return reject('VALUE_OUT_OF_RANGE', `${attribute} ${describeValue(value)} is not one of ${[...spec.allowed].join(', ')}`, attribute)
  }
  if (spec.normalise === undefined) return reading(spec, observed, value, '', undefined)
  const normalised = spec.normalise(value)
  if (normalised === undefined) return reject('VALUE_INVALID', `${attribute} ${describeValue(value)} is not ${spec.expected ?? 'well-formed'}`, attribute)
  return reading(spec, observed, normalised, '', undefined)
}

function dateTimeReading(spec: ReadingSpec, observed: ObservedValue, limits: TimeLimits): CanonicalReading | Rejection {
  const { attribute } = observed
  const text = dateTimeText(observed.value)
  if (text === undefined) return wrongType(observed, 'an ISO 8601 date-time')
  const instant = parseDateTime(text)
  if (instant === undefined) return reject('TIME_INVALID', `${attribute} ${describeValue(text)} is not an ISO 8601 date-time with a UTC offset`, attribute)
  const problem = timeProblem(instant, limits)
  if (problem !== undefined) return reject('TIME_INVALID', `${attribute} ${problem}`, attribute)
  return reading(spec, observed, new Date(instant).toISOString(), '', undefined)
}

function wrongType(observed: ObservedValue, expected: string): Rejection {
  return reject('VALUE_INVALID', `${observed.attribute} must be ${expected}, got ${describeValue(observed.value)}`, observed.attribute)
}

function reading(spec: ReadingSpec, observed: ObservedValue, value: number | string | boolean, unit: string, sourceUnit: string | undefined): CanonicalReading {
  // Always the same keys in the same order, so the engine sees one object shape.
  return {
    attribute: observed.attribute,
    measurement: spec.measurement,
    field: spec.field,
    value,
    unit,
    time: observed.time,
    sourceUnit,
    entityId: observed.entityId,
  }
}
