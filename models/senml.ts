import { isRejection, toReading } from './attribute-values.js'
import { entityModelForKind, type EntityModel } from './catalogue.js'
import type { DecodeContext, DecodeResult, Rejection } from './decoding.js'
import type { CanonicalReading } from './reading.js'
import { describeValue, reject } from './rejections.js'
import { timeProblem } from './timestamps.js'

/**
 * Decodes a SenML JSON pack (RFC 8428, `application/senml+json`). Base fields are resolved in
 * order (RFC 8428 §4.1), each record's resolved name gives the attribute (the part after its last
 * `:` or `/`), and the device's kind gives the data model the attributes belong to.
 *
 * Faults in the pack's structure (not an array, empty, a record that is no object, a base field
 * of the wrong type, a version above 10, a must-understand label) refuse the whole pack, because
 * they change how every following record would be read. Faults in one record refuse that record.
 *
 * Sums (`s`, `bs`) are not stored: no catalogue attribute holds an integral over time. A record
 * with a value and a sum yields its value; a record with only a sum is refused.
 */

type SenmlRecord = Record<string, unknown>

/** Highest Base Version this decoder understands (RFC 8428 §4.4: refuse packs above it). */
const supportedVersion = 10

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
  hasSum: boolean
}

function isRecord(value: unknown): value is SenmlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function packRejected(message: string): DecodeResult {
  return { format: 'senml', readings: [], rejections: [reject('SENML_INVALID', message)] }
}

export function decodeSenml(document: unknown, ctx: DecodeContext): DecodeResult {
  const structureProblem = checkPack(document)
  if (structureProblem !== undefined) return packRejected(structureProblem)
  const pack = document as SenmlRecord[]

  const model = entityModelForKind(ctx.kind)
  if (model === undefined) {
    return { format: 'senml', readings: [], rejections: [reject('ENTITY_TYPE_UNKNOWN', `no data model is known for devices of kind ${describeValue(ctx.kind)}`)] }
  }

  const readings: CanonicalReading[] = []
  const rejections: Rejection[] = []
  const base: BaseFields = { name: '', time: 0, unit: undefined, value: 0, hasSum: false }
  for (const record of pack) {
    // RFC 8428 §4.1: a base field applies to its record and every later one until it reappears.
    if (record.bn !== undefined) base.name = record.bn as string
    if (record.bt !== undefined) base.time = record.bt as number
    if (record.bu !== undefined) base.unit = record.bu as string
    if (record.bv !== undefined) base.value = record.bv as number
    if (record.bs !== undefined) base.hasSum = true
    const outcome = decodeRecord(record, base, model, ctx)
    if (isRejection(outcome)) rejections.push(outcome)
    else readings.push(outcome)
  }
  return { format: 'senml', entityType: model.type, readings, rejections }
}

/** Why the pack as a whole cannot be read, or undefined when its structure is sound. */
function checkPack(document: unknown): string | undefined {
  if (!Array.isArray(document)) return 'a SenML pack is a JSON array of records (RFC 8428 §5)'
  if (document.length === 0) return 'the SenML pack is empty'
  for (let index = 0; index < document.length; index++) {
    const record: unknown = document[index]
    if (!isRecord(record)) return `record #${index} is ${describeValue(record)}, not a JSON object`
    for (const label of Object.keys(record)) {
      // RFC 8428 §4.4: a label ending in '_' must be understood; none such is known here.
      if (label.endsWith('_')) return `record #${index} has the must-understand label "${label}", which this decoder does not understand`
    }
    for (const label of baseLabels) {
      const value = record[label]
      if (value === undefined) continue
      const expected = label === 'bn' || label === 'bu' ? 'string' : 'number'
      if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) {
        return `record #${index} base field ${label} is ${describeValue(value)}, not a ${expected === 'number' ? 'finite number' : 'string'}`
      }
    }
    const version = record.bver as number | undefined
    if (version !== undefined) {
      // RFC 8428 §4.1: a positive integer; §4.4: refuse versions above the one understood.
      if (!Number.isInteger(version) || version < 1) return `record #${index} bver ${version} is not a positive integer`
      if (version > supportedVersion) return `record #${index} has SenML version ${version}; only versions up to ${supportedVersion} are understood`
    }
  }
  return undefined
}

/** One record, its base fields already applied to `base` → a reading or why it was refused. */
function decodeRecord(record: SenmlRecord, base: BaseFields, model: EntityModel, ctx: DecodeContext): CanonicalReading | Rejection {
  const { n, u, v, vs, vb, vd, s, t } = record
  if (n !== undefined && typeof n !== 'string') return reject('SENML_INVALID', `record name n ${describeValue(n)} is not a string`)
  const name = base.name + (n ?? '')
  if (!namePattern.test(name)) return reject('SENML_INVALID', `record name ${describeValue(name)} does not match RFC 8428 §4.5.1`, name.length > 0 ? name : undefined)
  const attribute = name.slice(Math.max(name.lastIndexOf(':'), name.lastIndexOf('/')) + 1)
  if (attribute.length === 0) return reject('SENML_INVALID', `record name "${name}" ends without an attribute name`, name)

  const present = (v !== undefined ? 1 : 0) + (vs !== undefined ? 1 : 0) + (vb !== undefined ? 1 : 0) + (vd !== undefined ? 1 : 0)
  const hasSum = s !== undefined || base.hasSum
  if (s !== undefined && typeof s !== 'number') return reject('SENML_INVALID', `${attribute} sum s ${describeValue(s)} is not a number`, attribute)
  // RFC 8428 §4.5.4: exactly one value field, unless there is a sum.
  if (present > 1) return reject('SENML_INVALID', `${attribute} has more than one of v, vs, vb, vd`, attribute)
  if (present === 0) {
    if (hasSum) return reject('VALUE_INVALID', `${attribute} carries only a sum (s), and sums are not stored`, attribute)
    return reject('SENML_INVALID', `${attribute} has no value (v, vs, vb or vd)`, attribute)
  }
  if (v !== undefined && typeof v !== 'number') return reject('SENML_INVALID', `${attribute} value v ${describeValue(v)} is not a number`, attribute)
  if (vs !== undefined && typeof vs !== 'string') return reject('SENML_INVALID', `${attribute} string value vs ${describeValue(vs)} is not a string`, attribute)
  if (vb !== undefined && typeof vb !== 'boolean') return reject('SENML_INVALID', `${attribute} boolean value vb ${describeValue(vb)} is not true or false`, attribute)
  if (vd !== undefined) return reject('VALUE_INVALID', `${attribute} carries a data value (vd); binary values are not stored`, attribute)
  if (u !== undefined && typeof u !== 'string') return reject('SENML_INVALID', `${attribute} unit u ${describeValue(u)} is not a string`, attribute)
  if (t !== undefined && typeof t !== 'number') return reject('SENML_INVALID', `${attribute} time t ${describeValue(t)} is not a number`, attribute)

  // RFC 8428 §4.5.3: time = bt + t in seconds; below 2^28 it counts from now (the receive time).
  const seconds = base.time + (t ?? 0)
  const time = seconds >= relativeTimeLimit ? Math.round(seconds * 1000) : ctx.receivedAt + Math.round(seconds * 1000)
  const problem = timeProblem(time, ctx)
  if (problem !== undefined) return reject('TIME_INVALID', `${attribute} time ${seconds} s ${problem}`, attribute)

  const spec = model.attributes.get(attribute)
  if (spec === undefined) return reject('ATTRIBUTE_UNKNOWN', `${attribute} (from ${name}) is not an attribute of ${model.type}`, attribute)
  if (spec.role === 'metadata') return reject('ATTRIBUTE_UNKNOWN', `${attribute} is descriptive metadata of ${model.type}, not a reading`, attribute)

  // RFC 8428 §4.1: value = bv + v; units describe numeric values only.
  if (v !== undefined) return toReading(spec, { attribute, value: base.value + v, unit: u ?? base.unit, time }, ctx)
  return toReading(spec, { attribute, value: vs ?? vb, unit: undefined, time }, ctx)
}
