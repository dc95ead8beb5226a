import fc from 'fast-check'
import { lookupEntityModel, type NumberReadingSpec, type ReadingSpec } from '../../models/catalogue.js'
import type { CanonicalReading, DeviceKind } from '../../models/reading.js'
import { canonicalUnits, quantities, unitDefinitions, type Quantity, type UnitDefinition } from '../../models/units.js'
import type { MeterType } from '../../models/vocabulary.js'
import { receivedAt } from './decode-context.js'

/**
 * fast-check generators of valid canonical readings, drawn from the catalogue itself, so every
 * attribute of every model is exercised, and of the units a value may be sent in.
 */

/** The allowed clock skew of `decodeContext()`. */
export const skewMs = 5 * 60_000

/** A reading attribute and its spec: per-phase attributes by phase (`activePower.L1`). */
export interface AttributeOption {
  readonly attribute: string
  readonly spec: ReadingSpec
}

/** Reading attributes of a model; `battery` is left out as an alias of `batteryLevel`. */
export function readingAttributes(type: string): AttributeOption[] {
  const model = lookupEntityModel(type)
  if (model === undefined) throw new Error(`no model ${type}`)
  const options: AttributeOption[] = []
  for (const [attribute, spec] of model.attributes) if (spec.role === 'reading' && attribute !== 'battery') options.push({ attribute, spec })
  return options
}

export interface Flavour {
  /** The registered meter type, which decides the quantity of a register sent without unit. */
  readonly meterType?: MeterType
  /** Only values Ultralight text can carry unambiguously (no `|`, `#` or surrounding blanks). */
  readonly plainText?: boolean
  /** Numbers in their model's default unit only (IoT Agent formats carry no units). */
  readonly defaultUnits?: boolean
}

/** -0 travels through JSON as 0; generate 0 so that comparisons stay exact. */
const noNegativeZero = (value: number): number => (Object.is(value, -0) ? 0 : value)

/** A number strictly inside the bounds, with a margin that unit conversions cannot cross. */
function boundedNumber(min: number | undefined, max: number | undefined): fc.Arbitrary<number> {
  const low = min ?? -1e9
  const high = max ?? 1e9
  const margin = (high - low) * 1e-9
  const bounds = [min, max].filter((bound): bound is number => bound !== undefined)
  return fc
    .oneof(
      fc.double({ min: low + margin, max: high - margin, noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: Math.ceil(low), max: Math.floor(high) }),
      ...(bounds.length > 0 ? [fc.constantFrom(...bounds)] : []),
    )
    .map(noNegativeZero)
}

/** The quantity a number of this spec is generated in. */
function quantityFor(spec: NumberReadingSpec, flavour: Flavour): fc.Arbitrary<Quantity | undefined> {
  if (spec.defaultUnitByMeterType !== undefined && flavour.meterType !== undefined) return fc.constant(spec.defaultUnitByMeterType[flavour.meterType].quantity)
  if (spec.quantity === undefined) return flavour.defaultUnits === true ? fc.constant(undefined) : fc.constantFrom<Quantity | undefined>(undefined, ...quantities)
  if (flavour.defaultUnits === true) return fc.constant(spec.quantity)
  return fc.constantFrom(spec.quantity, ...(spec.alternatives?.keys() ?? []))
}

function fieldFor(spec: NumberReadingSpec, quantity: Quantity | undefined): string {
  return quantity === undefined || quantity === spec.quantity ? spec.field : (spec.alternatives?.get(quantity) ?? spec.field)
}

const plainWord = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,20}$/)

/** An ISO date-time of an instant the decoders accept: not before 1970, not beyond the skew. */
export const instant = fc.integer({ min: 0, max: receivedAt + skewMs })

function valueOf(spec: ReadingSpec, flavour: Flavour): fc.Arbitrary<{ value: number | string | boolean; unit: string; field: string }> {
  switch (spec.valueType) {
    case 'number':
      return quantityFor(spec, flavour).chain((quantity) =>
        boundedNumber(spec.min, spec.max)
          .filter((value) => value !== spec.unknownValue)
          .map((value) => ({ value, unit: quantity === undefined ? '' : canonicalUnits[quantity], field: fieldFor(spec, quantity) })),
      )
    case 'string': {
      const text =
        spec.allowed !== undefined
          ? fc.constantFrom(...spec.allowed)
          : spec.normalise !== undefined
            ? fc.tuple(fc.stringMatching(/^\d{6}$/), fc.boolean()).map(([digits, hazardous]) => `${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4)}${hazardous ? '*' : ''}`)
            : flavour.plainText === true
              ? plainWord
              : fc.string({ unit: 'binary', maxLength: 40 })
      return text.map((value) => ({ value, unit: '', field: spec.field }))
    }
    case 'boolean':
      return fc.boolean().map((value) => ({ value, unit: '', field: spec.field }))
    case 'datetime':
      return instant.map((ms) => ({ value: new Date(ms).toISOString(), unit: '', field: spec.field }))
  }
}

/** One canonical reading of an attribute at a time. */
export function readingOf(option: AttributeOption, time: number, flavour: Flavour, entityId?: string): fc.Arbitrary<CanonicalReading> {
  return valueOf(option.spec, flavour).map(({ value, unit, field }) => ({
    attribute: option.attribute,
    measurement: option.spec.measurement,
    field,
    value,
    unit,
    time,
    ...(entityId !== undefined ? { entityId } : {}),
  }))
}

/** Readings of one or more observations (instants) of an entity type, each attribute at most once per instant. */
export function observations(type: string, flavour: Flavour, options: { times?: fc.Arbitrary<number>; entityId?: string; maxTimes?: number } = {}): fc.Arbitrary<CanonicalReading[]> {
  const attributes = readingAttributes(type)
  const times = fc.uniqueArray(options.times ?? instant, { minLength: 1, maxLength: options.maxTimes ?? 2 })
  return times
    .chain((instants) =>
      fc.tuple(
        ...instants.map((time) =>
          fc.shuffledSubarray(attributes, { minLength: 1, maxLength: Math.min(6, attributes.length) }).chain((chosen) => fc.tuple(...chosen.map((option) => readingOf(option, time, flavour, options.entityId)))),
        ),
      ),
    )
    .map((groups) => consistent(type, groups.flat()))
}

/**
 * Makes generated weighings obey the WasteObserved rules (models/invariants.ts): tare ≤ gross,
 * net = gross − tare, and a destination only with direction `out`.
 */
function consistent(type: string, readings: CanonicalReading[]): CanonicalReading[] {
  if (type !== 'WasteObserved') return readings
  const byTime = new Map<number, CanonicalReading[]>()
  for (const reading of readings) byTime.set(reading.time, [...(byTime.get(reading.time) ?? []), reading])
  const out: CanonicalReading[] = []
  for (const [time, group] of byTime) {
    const find = (attribute: string): CanonicalReading | undefined => group.find((r) => r.attribute === attribute)
    const gross = find('grossWeight')
    const tare = find('tareWeight')
    const net = find('weight')
    let fixed = group
    if (gross !== undefined && tare !== undefined) {
      const [low, high] = [tare.value as number, gross.value as number].sort((a, b) => a - b) as [number, number]
      fixed = fixed.map((r) => (r === gross ? { ...r, value: high } : r === tare ? { ...r, value: low } : r === net ? { ...r, value: noNegativeZero(high - low) } : r))
    }
    if (find('destination') !== undefined) {
      const direction = find('direction')
      const directionReading: CanonicalReading = { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: 'out', unit: '', time, ...(group[0]?.entityId !== undefined ? { entityId: group[0].entityId } : {}) }
      fixed = direction === undefined ? [...fixed, directionReading] : fixed.map((r) => (r === direction ? { ...r, value: 'out' } : r))
    }
    out.push(...fixed)
  }
  return out
}

/** The units a canonical value of a quantity may be sent in, and the value expressed in it. */
export function sentIn(canonical: number, quantity: Quantity): fc.Arbitrary<{ unit: UnitDefinition; value: number }> {
  const units = unitDefinitions.filter((unit) => unit.quantity === quantity)
  return fc.constantFrom(...units).map((unit) => ({ unit, value: ((canonical - unit.offset) * unit.divideBy) / unit.multiplyBy }))
}

/** Device kinds whose payloads name no entity type, with the model and meter type they imply. */
export const kindsWithModels: readonly { kind: DeviceKind; type: string; meterType?: MeterType }[] = [
  { kind: 'waste_container', type: 'WasteContainer' },
  { kind: 'weighing_device', type: 'WasteObserved' },
  { kind: 'energy_meter', type: 'ACMeasurement', meterType: 'electricity' },
  { kind: 'heat_meter', type: 'SmartMeteringObservation', meterType: 'heat' },
  { kind: 'gas_meter', type: 'SmartMeteringObservation', meterType: 'gas' },
  { kind: 'generic', type: 'DeviceMeasurement' },
]
