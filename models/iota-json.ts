import type { DecodeContext, DecodeResult } from './decoding.js'
import { tooManyItems } from './limits.js'
import { decodeMeasureGroups, topicAttribute, type MeasureGroup } from './measures.js'
import { describeValue, reject } from './rejections.js'

/**
 * Decodes FIWARE IoT Agent JSON measures (telefonicaid/iotagent-json, data-models §6.1): a flat
 * object of attribute → value, or an array of such objects (one measure group each). On a
 * single-attribute topic (`…/attrs/<attribute>`) the payload is the value itself, or an array of
 * `{"timestamp": …, "value": …}` objects.
 */

/** Keys that carry the group's observation time instead of a measure. */
const timestampKeys = ['TimeInstant', 'timestamp']

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function toGroup(measures: Record<string, unknown>): MeasureGroup {
  const key = timestampKeys.find((candidate) => Object.hasOwn(measures, candidate))
  const entries = Object.entries(measures).filter(([name]) => !timestampKeys.includes(name))
  return key === undefined ? { measures: entries } : { measures: entries, timestamp: [key, measures[key]] }
}

function singleAttributeGroups(attribute: string, document: unknown): MeasureGroup[] {
  if (Array.isArray(document) && document.length > 0 && document.every((item) => isObject(item) && Object.hasOwn(item, 'value'))) {
    return (document as Record<string, unknown>[]).map((item) => ({
      measures: [[attribute, item.value]],
      ...(item.timestamp !== undefined ? { timestamp: ['timestamp', item.timestamp] as const } : {}),
    }))
  }
  return [{ measures: [[attribute, document]] }]
}

export function decodeIotaJson(document: unknown, ctx: DecodeContext): DecodeResult {
  const tooMany = Array.isArray(document) ? tooManyItems(document.length, 'measure groups') : undefined
  if (tooMany !== undefined) return { format: 'iota-json', readings: [], rejections: [tooMany] }
  const attribute = topicAttribute(ctx.topic)
  if (attribute !== undefined) return decodeMeasureGroups('iota-json', singleAttributeGroups(attribute, document), ctx)
  const objects: unknown[] = Array.isArray(document) ? document : [document]
  const wrong = objects.length === 0 ? document : objects.find((item) => !isObject(item))
  if (objects.length === 0 || wrong !== undefined) {
    return { format: 'iota-json', readings: [], rejections: [reject('PAYLOAD_MALFORMED', `IoT Agent JSON measures are an object of attribute values or an array of them, not ${describeValue(wrong)}`)] }
  }
  return decodeMeasureGroups('iota-json', (objects as Record<string, unknown>[]).map(toGroup), ctx)
}
