import { describe, expect, test } from 'vitest'
import { parseTelemetryTopic } from '../../../ingest/topic-scheme.js'
import { decodePayload } from '../../../models/decode.js'
import { iotAgentJson, ultralight } from '../../../simulator/encode/iot-agent.js'
import { ngsiLdConcise, ngsiLdKeyValues, ngsiLdNormalized } from '../../../simulator/encode/ngsi-ld.js'
import { senmlPack } from '../../../simulator/encode/senml.js'
import { encode, registeredFormat, variants } from '../../../simulator/encode/variants.js'
import { envelope, measures, observedAt } from './fixture.js'

describe('encode', () => {
  test('should encode with the encoder of the variant', () => {
    expect(encode('ngsi-ld-normalized', envelope, measures)).toEqual(ngsiLdNormalized(envelope, measures))
    expect(encode('ngsi-ld-concise', envelope, measures)).toEqual(ngsiLdConcise(envelope, measures))
    expect(encode('ngsi-ld-keyvalues', envelope, measures)).toEqual(ngsiLdKeyValues(envelope, measures))
    expect(encode('senml', envelope, measures)).toEqual(senmlPack(envelope, measures))
    expect(encode('iota-json', envelope, measures)).toEqual(iotAgentJson(envelope, measures))
    expect(encode('ultralight', envelope, measures)).toEqual(ultralight(envelope, measures))
  })

  test('every variant should mean the same readings to the platform\'s decoder', () => {
    for (const variant of variants) {
      const { topic, payload } = encode(variant, envelope, measures)
      const parsed = parseTelemetryTopic(topic)
      expect(parsed, variant).toMatchObject({ deviceId: 'bin-7' })
      const format = parsed!.format
      if (format === 'device-status') throw new Error(`${variant} is encoded for the status topic`)
      const result = decodePayload(Buffer.from(payload), {
        deviceId: 'bin-7',
        kind: 'waste_container',
        format,
        registeredFormat: registeredFormat(variant),
        topic,
        receivedAt: observedAt + 1000,
        maxFutureSkewMs: 300_000,
      })
      expect(result.rejections, variant).toEqual([])
      expect(result.readings.map((r) => [r.field, r.value, r.time]).sort(), variant).toEqual([
        ['battery_level', 0.87, observedAt],
        ['filling_level', 0.42, observedAt],
        ['status', 'ok', observedAt],
      ])
    }
  })
})

describe('registeredFormat', () => {
  test('should register every NGSI-LD representation as ngsi-ld and the others as themselves', () => {
    expect(variants.map((v) => [v, registeredFormat(v)])).toEqual([
      ['ngsi-ld-normalized', 'ngsi-ld'],
      ['ngsi-ld-concise', 'ngsi-ld'],
      ['ngsi-ld-keyvalues', 'ngsi-ld'],
      ['senml', 'senml'],
      ['iota-json', 'iota-json'],
      ['ultralight', 'ultralight'],
    ])
  })
})
