import { collect, isRejection, toReading, type Outcomes } from './attribute-values.js'
import { entityModelForKind, type EntityModel, type NumberReadingSpec } from './catalogue.js'
import type { DecodeContext, DecodeResult, Rejection } from './decoding.js'
import { tooManyItems } from './limits.js'
import type { CanonicalReading } from './reading.js'
import { describeValue, reject } from './rejections.js'
import { timeProblem } from './timestamps.js'
import { canonicalUnits, integralToCanonical, lookupUnit } from './units.js'

/**
 * Decodes a SenML JSON pack (RFC 8428, `application/senml+json`). Base fields are resolved in
 * order (RFC 8428 §4.1), each record's resolved name gives the attribute (the part after its last
 * `:` or `/`; per-phase attributes as `activePower.L1`), and the device's kind gives the data
 * model the attributes belong to.
 *
 * Faults in the pack's structure (not an array, empty, too many records, a record that is no
 * object, a base field of the wrong type, a version with features not understood, a
 * must-understand label) refuse the whole pack, because they change how every following record
 * would be read. Faults in one record refuse that record.
 *
 * Sums: a record has one when it carries `s` or a base sum is in force, and it is `bs` + `s`
 * (RFC 8428 §4.5.4): the integral of its value over time, in the record's unit multiplied by
 * seconds (§4.2). It is stored where the record names a cumulative
 * register whose quantity that integral is: a sum in W·s (J) of an energy register such as
 * `totalActiveEnergyImport`, var·s of a reactive-energy register, VA·s of an apparent-energy
 * register, m³/s·s (m³) of a volume register such as a gas meter's `totalConsumption`. Any other
 * sum cannot be stored and is refused with its reason; a value in the same record is kept.
 */

type SenmlRecord = Record<string, unknown>

/**
 * The SenML versions understood, as RFC 9100 feature bitmaps: 10 is RFC 8428 (features Reserved1
 * and Reserved3), 26 adds feature 4, Secondary Units (RFC 8798 units such as kWh in `u`). Any other
 * feature bit is one this decoder does not know, so the pack is refused (RFC 9100 §2.2).
 */
const baseVersion = 10
const understoodFeatures = baseVersion | (1 << 4)

/** Base field labels (RFC 8428 §4.3), type-checked before any record is read; other unknown labels are ignored (§4.4). */
const baseLabels = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const

// RFC 8428 §4.5.1.
const namePattern = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/

/** Resolved times below 2^28 s are relative to the time the pack was received (RFC 8428 §4.5.3). */
const relativeTimeLimit = 2 ** 28

interface BaseFields {
  name: string
  time: number
  unit: string | undefined
  value: number
  /** Undefined until a `bs` appears; from then on every record has a sum (RFC 8428 §4.5.4). */
  sum: number | undefined
}

function isRecord(value: unknown): value is SenmlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function packRejected(rejection: Rejection): DecodeResult {
  return { format: 'senml', readings: [], rejections: [rejection] }
}

export function decodeSenml(document: unknown, ctx: DecodeContext): DecodeResult {
  const structureProblem = checkPack(document)
  if (structureProblem !== undefined) return packRejected(structureProblem)
  const pack = document as SenmlRecord[]

  const model = entityModelForKind(ctx.kind)
  if (model === undefined) return packRejected(reject('ENTITY_TYPE_UNKNOWN', `no data model is known for devices of kind ${describeValue(ctx.kind)}`))

  const outcomes: Outcomes = { readings: [], rejections: [] }
  const base: BaseFields = { name: '', time: 0, unit: undefined, value: 0, sum: undefined }
  for (const record of pack) {
    // RFC 8428 §4.1: a base field applies to its record and every later one until it reappears.
    if (record.bn !== undefined) base.name = record.bn as string
    if (record.bt !== undefined) base.time = record.bt as number
    if (record.bu !== undefined) base.unit = record.bu as string
    if (record.bv !== undefined) base.value = record.bv as number
    if (record.bs !== undefined) base.sum = record.bs as number
    decodeRecord(record, base, model, ctx, outcomes)
  }
  return { format: 'senml', entityType: model.type, readings: outcomes.readings, rejections: outcomes.rejections }
}

/** Why the pack as a whole cannot be read, or undefined when its structure is sound. */
function checkPack(document: unknown): Rejection | undefined {
  if (!Array.isArray(document)) return reject('SENML_INVALID', 'a SenML pack is a JSON array of records (RFC 8428 §5)')
  if (document.length === 0) return reject('SENML_INVALID', 'the SenML pack is empty')
  const tooMany = tooManyItems(document.length, 'SenML records')
  if (tooMany !== undefined) return tooMany
  for (let index = 0; index < document.length; index++) {
    const record: unknown = document[index]
    if (!isRecord(record)) return reject('SENML_INVALID', `record #${index} is ${describeValue(record)}, not a JSON object`)
    for (const label in record) {
      // RFC 8428 §4.4: a label ending in '_' must be understood; none such is known here.
      if (label.endsWith('_')) return reject('SENML_INVALID', `record #${index} has the must-understand label "${label}", which this decoder does not understand`)
    }
    for (const label of baseLabels) {
      const value = record[label]
      if (value === undefined) continue
      const expected = label === 'bn' || label === 'bu' ? 'string' : 'number'
      if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) {
        return reject('SENML_INVALID', `record #${index} base field ${label} is ${describeValue(value)}, not a ${expected === 'number' ? 'finite number' : 'string'}`)
      }
    }
    const version = record.bver as number | undefined
    if (version !== undefined && !isUnderstoodVersion(version)) {
      return reject('SENML_INVALID', `record #${index} has SenML version ${version}; understood are ${baseVersion} (RFC 8428) and ${understoodFeatures} (with secondary units, RFC 9100 §4)`)
    }
  }
  return undefined
}

function isUnderstoodVersion(version: number): boolean {
  return Number.isSafeInteger(version) && (version & baseVersion) === baseVersion && (version & ~understoodFeatures) === 0
}

/** One record, its base fields already applied to `base` → readings and rejections. */
function decodeRecord(record: SenmlRecord, base: BaseFields, model: EntityModel, ctx: DecodeContext, outcomes: Outcomes): void {
  const { n, u, v, vs, vb, vd, s, t } = record
  if (n !== undefined && typeof n !== 'string') return collect(outcomes, reject('SENML_INVALID', `record name n ${describeValue(n)} is not a string`))
  const name = base.name + (n ?? '')
  if (!namePattern.test(name)) return collect(outcomes, reject('SENML_INVALID', `record name ${describeValue(name)} does not match RFC 8428 §4.5.1`, name.length > 0 ? name : undefined))
  const attribute = name.slice(Math.max(name.lastIndexOf(':'), name.lastIndexOf('/')) + 1)
  if (attribute.length === 0) return collect(outcomes, reject('SENML_INVALID', `record name "${name}" ends without an attribute name`, name))

  const present = (v !== undefined ? 1 : 0) + (vs !== undefined ? 1 : 0) + (vb !== undefined ? 1 : 0) + (vd !== undefined ? 1 : 0)
  const hasSum = s !== undefined || base.sum !== undefined
  if (s !== undefined && (typeof s !== 'number' || !Number.isFinite(s))) return collect(outcomes, reject('SENML_INVALID', `${attribute} sum s ${describeValue(s)} is not a finite number`, attribute))
  // RFC 8428 §4.2: exactly one value field, unless there is a sum.
  if (present > 1) return collect(outcomes, reject('SENML_INVALID', `${attribute} has more than one of v, vs, vb, vd`, attribute))
  if (present === 0 && !hasSum) return collect(outcomes, reject('SENML_INVALID', `${attribute} has no value (v, vs, vb or vd) and no sum (s)`, attribute))
  if (v !== undefined && typeof v !== 'number') return collect(outcomes, reject('SENML_INVALID', `${attribute} value v ${describeValue(v)} is not a number`, attribute))
  if (vs !== undefined && typeof vs !== 'string') return collect(outcomes, reject('SENML_INVALID', `${attribute} string value vs ${describeValue(vs)} is not a string`, attribute))
  if (vb !== undefined && typeof vb !== 'boolean') return collect(outcomes, reject('SENML_INVALID', `${attribute} boolean value vb ${describeValue(vb)} is not true or false`, attribute))
  if (u !== undefined && typeof u !== 'string') return collect(outcomes, reject('SENML_INVALID', `${attribute} unit u ${describeValue(u)} is not a string`, attribute))
  if (t !== undefined && typeof t !== 'number') return collect(outcomes, reject('SENML_INVALID', `${attribute} time t ${describeValue(t)} is not a number`, attribute))

  // RFC 8428 §4.5.3: time = bt + t in seconds; below 2^28 it counts from now (the receive time).
  const seconds = base.time + (t ?? 0)
  const time = seconds >= relativeTimeLimit ? Math.round(seconds * 1000) : ctx.receivedAt + Math.round(seconds * 1000)
  const problem = timeProblem(time, ctx)
  if (problem !== undefined) return collect(outcomes, reject('TIME_INVALID', `${attribute} time ${seconds} s ${problem}`, attribute))

  const spec = model.attributes.get(attribute)
  if (spec === undefined) return collect(outcomes, reject('ATTRIBUTE_UNKNOWN', `${attribute} (from ${name}) is not an attribute of ${model.type}`, attribute))
  if (spec.role === 'metadata') return collect(outcomes, reject('ATTRIBUTE_UNKNOWN', `${attribute} is descriptive metadata of ${model.type}, not a reading`, attribute))
  if (spec.role === 'structured') {
    const phases = [...spec.components.keys()].map((phase) => `${attribute}.${phase}`).join(', ')
    return collect(outcomes, reject('VALUE_INVALID', `${attribute} has one value per phase: name the records ${phases}`, attribute))
  }

  const unit = u ?? base.unit
  // RFC 8428 §4.1: value = bv + v; units describe numeric values only.
  if (v !== undefined) collect(outcomes, toReading(spec, { attribute, value: base.value + v, unit, time }, ctx))
  else if (vs !== undefined || vb !== undefined) collect(outcomes, toReading(spec, { attribute, value: vs ?? vb, unit: undefined, time }, ctx))
  else if (vd !== undefined) collect(outcomes, reject('VALUE_INVALID', `${attribute} carries a data value (vd); binary values are not stored`, attribute))

  if (!hasSum) return
  const sum = (base.sum ?? 0) + (s ?? 0)
  if (spec.valueType !== 'number' || spec.register !== true) {
    return collect(outcomes, reject('VALUE_INVALID', `${attribute} carries a sum (s), but only cumulative registers (such as totalActiveEnergyImport) take one; the sum is not stored`, attribute))
  }
  collect(outcomes, sumReading(spec, attribute, sum, unit, time, ctx))
}

/** A register's value from a SenML sum: the integral of the record's rate unit over seconds. */
function sumReading(spec: NumberReadingSpec, attribute: string, sum: number, unit: string | undefined, time: number, ctx: DecodeContext): CanonicalReading | Rejection {
  const rates = 'W, kW, var, VA or m3/s'
  if (unit === undefined) return reject('UNIT_UNKNOWN', `${attribute} sum s has no unit: it is in the record's unit (u or bu, a rate such as ${rates}) times seconds (RFC 8428 §4.2)`, attribute)
  const rate = lookupUnit(unit)
  if (rate === undefined) return reject('UNIT_UNKNOWN', `${attribute} sum unit "${unit}" is neither a known UN/CEFACT nor a SenML unit code`, attribute)
  const integral = integralToCanonical(sum, rate)
  if (integral === undefined) return reject('UNIT_MISMATCH', `${attribute} sum s is in ${unit}·s, which is no integral the platform knows; give the rate in ${rates}`, attribute)
  const outcome = toReading(spec, { attribute, value: integral.value, unit: canonicalUnits[integral.quantity], time }, ctx)
  return isRejection(outcome) ? outcome : { ...outcome, sourceUnit: `${unit}·s` }
}
