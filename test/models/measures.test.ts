import { describe, expect, test } from 'vitest'
import { lookupEntityModel, type ReadingSpec } from '../../models/catalogue.js'
import type { DeviceKind } from '../../models/reading.js'
import { coerceText, decodeMeasureGroups, topicAttribute, type MeasureGroup } from '../../models/measures.js'
import { decodeContext, receivedAt } from './decode-context.js'

const spec = (attribute: string): ReadingSpec => {
  const found = lookupEntityModel('WasteContainer')?.attributes.get(attribute)
  if (found?.role !== 'reading') throw new Error(`${attribute} is not a WasteContainer reading`)
  return found
}
const nineOClock = Date.parse('2025-03-04T09:00:00Z')
const ctx = decodeContext()

describe('topicAttribute', () => {
  test('should name the attribute after the last /attrs/ and nothing for a topic without one', () => {
    expect(topicAttribute('/json/key-1/bin-0042/attrs/temperature')).toBe('temperature')
    expect(topicAttribute('/ul/key-1/attrs/bin-0042/attrs/current.L1')).toBe('current.L1')
    expect(topicAttribute('/json/key-1/bin-0042/attrs')).toBeUndefined()
    expect(topicAttribute('/json/key-1/bin-0042/attrs/')).toBeUndefined()
    expect(topicAttribute('/json/key-1/bin-0042/attrs/a/b')).toBeUndefined()
  })
})

describe('coerceText', () => {
  test('should read decimal text as a number where the attribute is one, and nothing Number() alone would accept', () => {
    const number = spec('fillingLevel')
    expect(['0.5', '.5', '5.', '-3.5e1', '+2', '1E3'].map((text) => coerceText(text, number))).toEqual([0.5, 0.5, 5, -35, 2, 1000])
    expect(['', ' 7 ', '0x1f', 'Infinity', '1,5', '1e'].map((text) => coerceText(text, number))).toEqual(['', ' 7 ', '0x1f', 'Infinity', '1,5', '1e'])
  })

  test('should read exactly true and false as flags, and leave text attributes and non-text values alone', () => {
    const flag = spec('lidOpen')
    expect(['true', 'false', 'TRUE', '1'].map((text) => coerceText(text, flag))).toEqual([true, false, 'TRUE', '1'])
    expect(coerceText('12', spec('status'))).toBe('12')
    expect(coerceText(3, flag)).toBe(3)
  })
})

describe('decodeMeasureGroups', () => {
  test('should map measures onto the model of the device kind, skipping descriptive attributes', () => {
    const groups: MeasureGroup[] = [{ measures: [['fillingLevel', 0.4], ['location', { type: 'Point', coordinates: [3.7, 51] }], ['current', 1]] }]
    const result = decodeMeasureGroups('iota-json', groups, ctx)
    expect(result.format).toBe('iota-json')
    expect(result.entityType).toBe('WasteContainer')
    expect(result.readings.map((r) => [r.attribute, r.value, r.time])).toEqual([['fillingLevel', 0.4, receivedAt]])
    expect(result.rejections).toEqual([{ code: 'ATTRIBUTE_UNKNOWN', message: 'current is not an attribute of WasteContainer', attribute: 'current' }])
  })

  test('should refuse everything for a kind without a data model', () => {
    const result = decodeMeasureGroups('ultralight', [{ measures: [['fillingLevel', '0.4']] }], decodeContext({ kind: 'drone' as DeviceKind }))
    expect(result).toEqual({ format: 'ultralight', readings: [], rejections: [{ code: 'ENTITY_TYPE_UNKNOWN', message: 'no data model is known for devices of kind "drone"' }] })
  })

  test('should take each group\'s own timestamp, and refuse the measures of a group whose timestamp is unusable', () => {
    const groups: MeasureGroup[] = [
      { measures: [['fillingLevel', 0.4]], timestamp: ['TimeInstant', '2025-03-04T09:00:00Z'] },
      { measures: [['fillingLevel', 0.5], ['name', 'bin 42'], ['colour', 'red']], timestamp: ['timestamp', nineOClock] },
      { measures: [['fillingLevel', 0.6]] },
    ]
    const result = decodeMeasureGroups('iota-json', groups, ctx)
    expect(result.readings.map((r) => [r.value, r.time])).toEqual([
      [0.4, nineOClock],
      [0.6, receivedAt],
    ])
    // Descriptive attributes need no time; an unknown one is unknown whatever its time.
    expect(result.rejections).toEqual([
      { code: 'TIME_INVALID', message: 'timestamp 1741078800000 is not an ISO 8601 date-time with a UTC offset', attribute: 'timestamp' },
      { code: 'TIME_INVALID', message: "fillingLevel has no usable time: its group's timestamp is invalid", attribute: 'fillingLevel' },
      { code: 'ATTRIBUTE_UNKNOWN', message: 'colour is not an attribute of WasteContainer', attribute: 'colour' },
    ])
  })

  test('should refuse a group timestamp beyond the allowed clock skew', () => {
    const result = decodeMeasureGroups('ultralight', [{ measures: [['fillingLevel', '0.4']], timestamp: ['timestamp', '2025-03-04T09:21:01Z'] }], ctx, coerceText)
    expect(result.readings).toEqual([])
    expect(result.rejections.map((r) => [r.code, r.attribute, r.message])).toEqual([
      ['TIME_INVALID', 'timestamp', 'timestamp 2025-03-04T09:21:01.000Z is 301 s after the message was received (allowed: 300 s)'],
      ['TIME_INVALID', 'fillingLevel', "fillingLevel has no usable time: its group's timestamp is invalid"],
    ])
  })

  test('should coerce values only when given a coercion', () => {
    const groups: MeasureGroup[] = [{ measures: [['fillingLevel', '0.5']] }]
    expect(decodeMeasureGroups('ultralight', groups, ctx, coerceText).readings.map((r) => r.value)).toEqual([0.5])
    expect(decodeMeasureGroups('iota-json', groups, ctx).rejections).toEqual([{ code: 'VALUE_INVALID', message: 'fillingLevel must be a number, got "0.5"', attribute: 'fillingLevel' }])
  })

  test('should read a per-phase attribute given as an object of phases', () => {
    const result = decodeMeasureGroups('iota-json', [{ measures: [['current', { L1: 5.2, N: 0.1 }]] }], decodeContext({ kind: 'energy_meter' }))
    expect(result.readings.map((r) => [r.attribute, r.field, r.value])).toEqual([
      ['current.L1', 'current_l1_a', 5.2],
      ['current.N', 'current_n_a', 0.1],
    ])
  })

  test('should accept 10 000 measures across the groups and refuse one more without decoding any', () => {
    const group = (count: number): MeasureGroup => ({ measures: Array.from({ length: count }, () => ['fillingLevel', 0.5] as const) })
    expect(decodeMeasureGroups('iota-json', [group(5000), group(5000)], ctx).readings).toHaveLength(10_000)
    expect(decodeMeasureGroups('iota-json', [group(5000), group(5001)], ctx)).toEqual({
      format: 'iota-json',
      readings: [],
      rejections: [{ code: 'PAYLOAD_TOO_LARGE', message: 'the payload holds 10001 measures; at most 10000 are accepted per message' }],
    })
  })
})
