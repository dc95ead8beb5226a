import fc from 'fast-check'
import { lookupEntityModel, type NumberReadingSpec } from '../../models/catalogue.js'
import type { CanonicalReading } from '../../models/reading.js'
import { quantityOfCanonical } from '../../models/units.js'
import { sentIn } from './arbitraries.js'
import { receivedAt } from './decode-context.js'

/**
 * Builds payloads in each wire format that carry given canonical readings, choosing freely among
 * the ways a format allows (units, base fields, sums, relative times, nesting), so a property test
 * can check that any of them decodes to the same readings.
 */

type SenmlRecord = Record<string, unknown>

function numberSpec(type: string, attribute: string): NumberReadingSpec | undefined {
  const spec = lookupEntityModel(type)?.attributes.get(attribute)
  return spec?.role === 'reading' && spec.valueType === 'number' ? spec : undefined
}

/** Rate units whose sum over seconds is a register's quantity (RFC 8428 §4.2), with the factor from canonical. */
const sumForms: Readonly<Record<string, { unit: string; perCanonical: number }>> = {
  kWh: { unit: 'W', perCanonical: 3.6e6 },
  kvarh: { unit: 'var', perCanonical: 3.6e6 },
  kVAh: { unit: 'VA', perCanonical: 3.6e6 },
  m3: { unit: 'm3/s', perCanonical: 1 },
}

/** One SenML record (without name and time) for a reading. */
function senmlValue(type: string, reading: CanonicalReading): fc.Arbitrary<SenmlRecord> {
  if (typeof reading.value === 'boolean') return fc.constant({ vb: reading.value })
  if (typeof reading.value === 'string') return fc.constant({ vs: reading.value })
  const value = reading.value
  const quantity = quantityOfCanonical(reading.unit)
  if (quantity === undefined) return fc.constant({ v: value })
  const spec = numberSpec(type, reading.attribute)
  // A value on a bound stays exact only in a unit that needs no conversion.
  const exact = value === spec?.min || value === spec?.max
  const asUnit = sentIn(value, quantity)
    .filter(({ unit }) => !exact || (unit.multiplyBy === 1 && unit.divideBy === 1 && unit.offset === 0))
    .map(({ unit, value: sent }) => ({ u: unit.code, v: sent }))
  const sum = sumForms[reading.unit]
  if (spec?.register === true && sum !== undefined && !exact) return fc.oneof(asUnit, fc.constant({ u: sum.unit, s: value * sum.perCanonical }))
  return asUnit
}

/**
 * A SenML pack of the readings: base name, base time (absolute) or relative times, a base value
 * and a base unit where they apply, each value in any unit of its quantity, registers sometimes
 * as a sum. The readings' times must be absolute SenML times (≥ 2^28 s).
 */
export function senmlPack(type: string, readings: readonly CanonicalReading[]): fc.Arbitrary<SenmlRecord[]> {
  const options = fc.record({
    baseName: fc.constantFrom('', 'urn:dev:mac:0024befffe804ff1:', 'site-7/scale.2/'),
    relative: fc.boolean(),
    baseValue: fc.integer({ min: -1000, max: 1000 }),
    useBaseUnit: fc.boolean(),
    version: fc.constantFrom(undefined, 10, 26),
  })
  return fc.tuple(options, fc.tuple(...readings.map((r) => senmlValue(type, r)))).map(([o, values]) => {
    const baseTime = o.relative ? 0 : Math.floor(Math.min(...readings.map((r) => r.time)) / 1000)
    const unitless = values.some((v) => 'v' in v && !('u' in v))
    const baseUnit = o.useBaseUnit && !unitless ? (values.find((v) => 'v' in v)?.u as string | undefined) : undefined
    return readings.map((reading, index) => {
      const record: SenmlRecord = { ...values[index] }
      if (typeof record.v === 'number') record.v = record.v - o.baseValue
      if (baseUnit !== undefined && record.u === baseUnit && 'v' in record) delete record.u
      record.n = reading.attribute
      record.t = o.relative ? (reading.time - receivedAt) / 1000 : reading.time / 1000 - baseTime
      if (index > 0) return record
      return { ...(o.version !== undefined ? { bver: o.version } : {}), bn: o.baseName, bt: baseTime, bv: o.baseValue, ...(baseUnit !== undefined ? { bu: baseUnit } : {}), ...record }
    })
  })
}

function groupsByTime(readings: readonly CanonicalReading[]): [number, CanonicalReading[]][] {
  const groups = new Map<number, CanonicalReading[]>()
  for (const r of readings) groups.set(r.time, [...(groups.get(r.time) ?? []), r])
  return [...groups]
}

/** IoT Agent JSON measure groups, one per instant with its `TimeInstant`; per-phase values nested or flat. */
export function iotaJsonGroups(readings: readonly CanonicalReading[]): fc.Arbitrary<Record<string, unknown>[]> {
  return fc.boolean().map((nested) =>
    groupsByTime(readings).map(([time, group]) => {
      const measures: Record<string, unknown> = { TimeInstant: new Date(time).toISOString() }
      for (const r of group) {
        const dot = r.attribute.indexOf('.')
        if (nested && dot > 0) ((measures[r.attribute.slice(0, dot)] ??= {}) as Record<string, unknown>)[r.attribute.slice(dot + 1)] = r.value
        else measures[r.attribute] = r.value
      }
      return measures
    }),
  )
}

/** Ultralight 2.0 text: `#`-separated groups, each led by its ISO timestamp. */
export function ultralightText(readings: readonly CanonicalReading[]): string {
  return groupsByTime(readings)
    .map(([time, group]) => [new Date(time).toISOString(), ...group.flatMap((r) => [r.attribute, String(r.value)])].join('|'))
    .join('#')
}
