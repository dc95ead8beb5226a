import type { NumberReadingSpec, ReadingSpec } from './catalogue.js'
import type { Rejection } from './decoding.js'
import type { CanonicalReading } from './reading.js'
import { describeValue, reject } from './rejections.js'
import { dateTimeText, parseDateTime, timeProblem, type TimeLimits } from './timestamps.js'
import { lookupUnit, toCanonical, type UnitDefinition } from './units.js'

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

export function isRejection(outcome: CanonicalReading | Rejection): outcome is Rejection {
  return 'code' in outcome
}

/** The canonical reading of one observed value, or why it was refused. */
export function toReading(spec: ReadingSpec, observed: ObservedValue, limits: TimeLimits): CanonicalReading | Rejection {
  switch (spec.valueType) {
    case 'number':
      return numberReading(spec, observed)
    case 'string':
      if (typeof observed.value !== 'string') return wrongType(observed, 'a string')
      if (spec.allowed !== undefined && !spec.allowed.has(observed.value)) {
        return reject('VALUE_OUT_OF_RANGE', `${observed.attribute} ${describeValue(observed.value)} is not one of ${[...spec.allowed].join(', ')}`, observed.attribute)
      }
      return reading(spec, observed, observed.value, '', undefined)
    case 'boolean':
      if (typeof observed.value !== 'boolean') return wrongType(observed, 'true or false')
      return reading(spec, observed, observed.value, '', undefined)
    case 'datetime':
      return dateTimeReading(spec, observed, limits)
  }
}

function numberReading(spec: NumberReadingSpec, observed: ObservedValue): CanonicalReading | Rejection {
  const { attribute, value } = observed
  if (typeof value !== 'number') return wrongType(observed, 'a number')
  // JSON cannot carry NaN or Infinity, but a literal like 1e400 parses to Infinity.
  if (!Number.isFinite(value)) return reject('VALUE_INVALID', `${attribute} ${value} is not a finite number`, attribute)

  let unit: UnitDefinition | undefined = spec.defaultUnit
  let sourceUnit: string | undefined
  if (observed.unit !== undefined) {
    if (typeof observed.unit !== 'string') return reject('UNIT_UNKNOWN', `${attribute} unit ${describeValue(observed.unit)} is not a unit code`, attribute)
    sourceUnit = observed.unit
    unit = lookupUnit(sourceUnit)
    if (unit === undefined) return reject('UNIT_UNKNOWN', `${attribute} unit "${sourceUnit}" is neither a known UN/CEFACT nor a SenML unit code`, attribute)
    if (spec.quantity !== undefined && unit.quantity !== spec.quantity) {
      const expected = spec.defaultUnit === undefined ? '' : ` such as ${spec.defaultUnit.code}`
      return reject('UNIT_MISMATCH', `${attribute} measures ${spec.quantity}${expected}, but "${sourceUnit}" is a unit of ${unit.quantity}`, attribute)
    }
  }

  const canonical = unit === undefined ? value : toCanonical(value, unit)
  const canonicalUnit = unit?.canonical ?? ''
  if (!Number.isFinite(canonical)) return reject('VALUE_OUT_OF_RANGE', `${attribute} ${value} ${sourceUnit ?? ''} overflows in ${canonicalUnit}`, attribute)
  if ((spec.min !== undefined && canonical < spec.min) || (spec.max !== undefined && canonical > spec.max)) {
    const converted = sourceUnit === undefined || sourceUnit === canonicalUnit ? '' : ` ${sourceUnit} (${canonical} ${canonicalUnit})`
    const bounds = `${spec.min ?? '-Infinity'}..${spec.max ?? 'Infinity'} ${canonicalUnit}`.trimEnd()
    return reject('VALUE_OUT_OF_RANGE', `${attribute} ${value}${converted} is outside ${bounds}`, attribute)
  }
  return reading(spec, observed, canonical, canonicalUnit, sourceUnit)
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
