import { collect, structuredReadings, toReading, type Outcomes } from './attribute-values.js'
import { entityModelForKind, type ReadingSpec } from './catalogue.js'
import type { DecodeContext, DecodeResult } from './decoding.js'
import { tooManyItems } from './limits.js'
import { describeValue, reject } from './rejections.js'
import { parseDateTime, timeProblem } from './timestamps.js'

/**
 * The shared tail of the FIWARE IoT Agent formats (JSON and Ultralight 2.0): groups of
 * attribute → value measures, each with an optional timestamp, mapped onto the data model of the
 * device's kind. Keys are taken as the model's attribute names; metadata keys are skipped, as
 * they update the entity rather than report a measurement. A per-phase attribute is either an
 * object of phases (`"current": {"L1": 5.2}`, JSON only) or one key per phase (`current.L1`).
 */

export interface MeasureGroup {
  readonly measures: ReadonlyArray<readonly [attribute: string, value: unknown]>
  /** Name and value of the group's timestamp key (`TimeInstant`, `timestamp`, UL prefix), if any. */
  readonly timestamp?: readonly [key: string, value: unknown]
}

export type IotAgentFormat = 'iota-json' | 'ultralight'

/** Turns a text value into the type the attribute expects (Ultralight values are untyped text). */
export type Coerce = (text: unknown, spec: ReadingSpec) => unknown

// A JSON-style decimal number, nothing Number() would also accept such as '', '0x1f' or ' 7 '.
const decimalPattern = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/

/** Ultralight coercion: decimal text to numbers, `true`/`false` to booleans, anything else as is. */
export const coerceText: Coerce = (text, spec) => {
  if (typeof text !== 'string') return text
  if (spec.valueType === 'number') return decimalPattern.test(text) ? Number(text) : text
  if (spec.valueType === 'boolean') return text === 'true' ? true : text === 'false' ? false : text
  return text
}

export function decodeMeasureGroups(format: IotAgentFormat, groups: readonly MeasureGroup[], ctx: DecodeContext, coerce?: Coerce): DecodeResult {
  const model = entityModelForKind(ctx.kind)
  if (model === undefined) {
    return { format, readings: [], rejections: [reject('ENTITY_TYPE_UNKNOWN', `no data model is known for devices of kind ${describeValue(ctx.kind)}`)] }
  }
  let measures = 0
  for (const group of groups) measures += group.measures.length
  const tooMany = tooManyItems(groups.length, 'measure groups') ?? tooManyItems(measures, 'measures')
  if (tooMany !== undefined) return { format, readings: [], rejections: [tooMany] }

  const outcomes: Outcomes = { readings: [], rejections: [] }
  const { readings, rejections } = outcomes
  for (const group of groups) {
    let time = ctx.receivedAt
    let timeFault: string | undefined
    if (group.timestamp !== undefined) {
      const [key, value] = group.timestamp
      const instant = typeof value === 'string' ? parseDateTime(value) : undefined
      const problem = instant === undefined ? `${describeValue(value)} is not an ISO 8601 date-time with a UTC offset` : timeProblem(instant, ctx)
      if (problem !== undefined) {
        rejections.push(reject('TIME_INVALID', `${key} ${problem}`, key))
        timeFault = key
      } else if (instant !== undefined) {
        time = instant
      }
    }
    for (const [attribute, raw] of group.measures) {
      const spec = model.attributes.get(attribute)
      if (spec === undefined) {
        rejections.push(reject('ATTRIBUTE_UNKNOWN', `${attribute} is not an attribute of ${model.type}`, attribute))
        continue
      }
      if (spec.role === 'metadata') continue
      if (timeFault !== undefined) {
        rejections.push(reject('TIME_INVALID', `${attribute} has no usable time: its group's ${timeFault} is invalid`, attribute))
        continue
      }
      if (spec.role === 'structured') {
        structuredReadings(spec, { attribute, value: raw, unit: undefined, time }, ctx, outcomes)
        continue
      }
      const value = coerce === undefined ? raw : coerce(raw, spec)
      collect(outcomes, toReading(spec, { attribute, value, unit: undefined, time }, ctx))
    }
  }
  return { format, entityType: model.type, readings, rejections }
}

/** The attribute named by an IoT Agent single-attribute topic, `…/attrs/<attribute>`. */
export function topicAttribute(topic: string): string | undefined {
  const marker = topic.lastIndexOf('/attrs/')
  if (marker < 0) return undefined
  const attribute = topic.slice(marker + '/attrs/'.length)
  return attribute.length > 0 && !attribute.includes('/') ? attribute : undefined
}
