import { describe, expect, test } from 'vitest'
import { decodeIotaJson } from '../../models/iota-json.js'
import { decodeContext, receivedAt } from './decode-context.js'

const measuresTopic = decodeContext({ format: 'iota-json', topic: '/json/key-1/bin-0042/attrs' })
const temperatureTopic = decodeContext({ format: 'iota-json', topic: '/json/key-1/bin-0042/attrs/temperature' })
const eight = '2025-03-04T08:00:00Z'
const nine = '2025-03-04T09:00:00Z'

describe('decodeIotaJson', () => {
  test('TimeInstant should win over timestamp, and neither should be read as a measure', () => {
    const both = decodeIotaJson({ timestamp: eight, fillingLevel: 0.4, TimeInstant: nine }, measuresTopic)
    expect(both.rejections).toEqual([])
    expect(both.readings.map((r) => [r.attribute, r.time])).toEqual([['fillingLevel', Date.parse(nine)]])
    const onlyTimestamp = decodeIotaJson({ fillingLevel: 0.4, timestamp: eight }, measuresTopic)
    expect(onlyTimestamp.readings.map((r) => r.time)).toEqual([Date.parse(eight)])
  })

  test('a document that is no object of measures nor an array of them should be refused, naming what came', () => {
    const malformed = (document: unknown): string[] => decodeIotaJson(document, measuresTopic).rejections.map((r) => `${r.code}: ${r.message}`)
    expect(malformed([])).toEqual(['PAYLOAD_MALFORMED: IoT Agent JSON measures are an object of attribute values or an array of them, not []'])
    expect(malformed([{ fillingLevel: 0.4 }, null])).toEqual(['PAYLOAD_MALFORMED: IoT Agent JSON measures are an object of attribute values or an array of them, not null'])
    expect(malformed('fillingLevel')).toEqual(['PAYLOAD_MALFORMED: IoT Agent JSON measures are an object of attribute values or an array of them, not "fillingLevel"'])
    expect(malformed([[{ fillingLevel: 0.4 }]])).toEqual(['PAYLOAD_MALFORMED: IoT Agent JSON measures are an object of attribute values or an array of them, not [{"fillingLevel":0.4}]'])
  })

  test('on a single-attribute topic, only an array of objects that all carry a value should be a series', () => {
    const series = decodeIotaJson([{ value: 21, timestamp: nine }, { value: 22 }], temperatureTopic)
    expect(series.readings.map((r) => [r.value, r.time])).toEqual([
      [21, Date.parse(nine)],
      [22, receivedAt],
    ])
    // Otherwise the whole document is the value, and a temperature is no list or object.
    expect(decodeIotaJson([{ value: 21 }, { v: 22 }], temperatureTopic).rejections.map((r) => [r.code, r.attribute])).toEqual([['VALUE_INVALID', 'temperature']])
    expect(decodeIotaJson([], temperatureTopic).rejections).toEqual([{ code: 'VALUE_INVALID', message: 'temperature must be a number, got []', attribute: 'temperature' }])
    expect(decodeIotaJson({ value: 21 }, temperatureTopic).rejections).toEqual([{ code: 'VALUE_INVALID', message: 'temperature must be a number, got {"value":21}', attribute: 'temperature' }])
  })

  test('a per-phase attribute topic should take the object of phases as its value', () => {
    const result = decodeIotaJson({ L1: 5.2, L2: 4.9 }, decodeContext({ kind: 'energy_meter', format: 'iota-json', topic: '/json/k/meter-1/attrs/current' }))
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([
      ['current.L1', 5.2],
      ['current.L2', 4.9],
    ])
  })

  test('more than 10 000 groups should be refused before anything is decoded, on a single-attribute topic too', () => {
    const items = Array.from({ length: 10_001 }, () => ({ value: 21 }))
    const refusal = [{ code: 'PAYLOAD_TOO_LARGE', message: 'the payload holds 10001 measure groups; at most 10000 are accepted per message' }]
    expect(decodeIotaJson(items, temperatureTopic)).toEqual({ format: 'iota-json', readings: [], rejections: refusal })
    expect(decodeIotaJson(items, measuresTopic)).toEqual({ format: 'iota-json', readings: [], rejections: refusal })
  })
})
