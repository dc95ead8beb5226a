import { describe, expect, test } from 'vitest'
import { decodeUltralight } from '../../models/ultralight.js'
import { decodeContext, receivedAt } from './decode-context.js'

const ul = decodeContext({ format: 'ultralight', topic: '/ul/key-1/bin-0042/attrs' })

describe('decodeUltralight', () => {
  test('empty groups between separators should be skipped', () => {
    const result = decodeUltralight('##fillingLevel|0.5###temperature|12#', ul)
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([
      ['fillingLevel', 0.5],
      ['temperature', 12],
    ])
  })

  test('a leading date in either letter case should be the group timestamp; a group of only a timestamp gives nothing', () => {
    const result = decodeUltralight('2025-03-04t09:00:00z|fillingLevel|0.5#2025-03-04T09:05:00Z', ul)
    expect(result.readings.map((r) => [r.attribute, r.time])).toEqual([['fillingLevel', Date.parse('2025-03-04T09:00:00Z')]])
    expect(result.rejections).toEqual([])
  })

  test('an empty key should be malformed, a key without value invalid, both before what the decoder refuses', () => {
    const result = decodeUltralight('|0.5|fillingLevel|0.4|colour|red|status', ul)
    expect(result.readings.map((r) => [r.attribute, r.value, r.time])).toEqual([['fillingLevel', 0.4, receivedAt]])
    expect(result.rejections).toEqual([
      { code: 'PAYLOAD_MALFORMED', message: 'Ultralight group "|0.5|fillingLevel|0.4|colour|red|status" has an empty key' },
      { code: 'VALUE_INVALID', message: 'status has no value in Ultralight group "|0.5|fillingLevel|0.4|colour|red|status"', attribute: 'status' },
      { code: 'ATTRIBUTE_UNKNOWN', message: 'colour is not an attribute of WasteContainer', attribute: 'colour' },
    ])
  })

  test('a group quoted in a message should be cut at 60 characters', () => {
    const group = `temperature|1|${'x'.repeat(80)}`
    const [fault] = decodeUltralight(group, ul).rejections
    expect(fault?.message).toBe(`${'x'.repeat(80)} has no value in Ultralight group "${group.slice(0, 60)}"`)
  })

  test('on a single-attribute topic the trimmed payload should be the value, separators and all', () => {
    const topic = (attribute: string) => decodeContext({ format: 'ultralight', topic: `/ul/key-1/bin-0042/attrs/${attribute}` })
    expect(decodeUltralight('  21.5\n', topic('temperature')).readings.map((r) => [r.attribute, r.value])).toEqual([['temperature', 21.5]])
    expect(decodeUltralight('ok|burning', topic('status')).rejections.map((r) => [r.code, r.attribute])).toEqual([['VALUE_OUT_OF_RANGE', 'status']])
  })

  test('more than 10 000 measures in the groups should be refused without decoding any', () => {
    const measures = (count: number): string => Array.from({ length: count }, () => 'fillingLevel|0.5').join('|')
    expect(decodeUltralight(measures(10_000), ul).readings).toHaveLength(10_000)
    expect(decodeUltralight(measures(10_001), ul)).toEqual({
      format: 'ultralight',
      readings: [],
      rejections: [{ code: 'PAYLOAD_TOO_LARGE', message: 'the payload holds 10001 Ultralight measures; at most 10000 are accepted per message' }],
    })
  })
})
