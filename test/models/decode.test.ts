import { describe, expect, it } from 'vitest'
import { errorCatalogue } from '../../models/errors.js'
import { decodePayload, sniffFormat } from '../../models/decode.js'
import { canonicalReading } from '../../models/reading.js'
import { decodeContext, receivedAt } from './decode-context.js'

const ctx = decodeContext()
const binId = 'urn:ngsi-ld:WasteContainer:antwerp:bin-0042'

function bytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))
}

describe('decodePayload', () => {
  it('decodePayload should sniff a SenML pack and decode it', () => {
    const result = decodePayload(bytes([{ bn: 'urn:dev:mac:0024befffe804ff1:', n: 'fillingLevel', u: '/', v: 0.72 }]), ctx)
    expect(result.format).toBe('senml')
    expect(result.readings.map((r) => [r.field, r.value, r.time])).toEqual([['filling_level', 0.72, receivedAt]])
  })

  it('decodePayload should sniff an NGSI-LD entity and an array of entities', () => {
    const single = decodePayload(bytes({ id: binId, type: 'WasteContainer', fillingLevel: 0.3 }), ctx)
    expect(single).toMatchObject({ format: 'ngsi-ld', entityType: 'WasteContainer', entityId: binId })
    expect(single.readings.map((r) => r.value)).toEqual([0.3])
    const several = decodePayload(bytes([{ id: binId, type: 'WasteContainer', fillingLevel: 0.3 }]), ctx)
    expect(several.format).toBe('ngsi-ld')
    expect(several.readings.map((r) => r.value)).toEqual([0.3])
  })

  it.each([
    ['an object without id and type', { fillingLevel: 0.3 }],
    ['an array of numbers', [1, 2, 3]],
    ['an empty array', []],
    ['a number', 42],
    ['a string', '"fillingLevel"'],
    ['null', null],
  ])('decodePayload should refuse %s as FORMAT_UNKNOWN', (_label, document) => {
    const result = decodePayload(bytes(document), ctx)
    expect(result.format).toBe('unknown')
    expect(result.readings).toEqual([])
    expect(result.rejections.map((r) => r.code)).toEqual(['FORMAT_UNKNOWN'])
  })

  it('decodePayload should follow the given format instead of sniffing', () => {
    const entity = bytes({ id: binId, type: 'WasteContainer', fillingLevel: 0.3 })
    const asSenml = decodePayload(entity, decodeContext({ format: 'senml' }))
    expect(asSenml.format).toBe('senml')
    expect(asSenml.rejections.map((r) => r.code)).toEqual(['SENML_INVALID'])
    const asIotaJson = decodePayload(bytes({ fillingLevel: 0.3 }), decodeContext({ format: 'iota-json' }))
    expect(asIotaJson.format).toBe('iota-json')
    expect(asIotaJson.readings.map((r) => r.value)).toEqual([0.3])
  })

  it('decodePayload should detect by topic, then by content, then by the registered format (data-models §8.1)', () => {
    const entity = bytes({ id: binId, type: 'WasteContainer', fillingLevel: 0.3 })
    const pack = bytes([{ n: 'bin-1/fillingLevel', v: 0.4 }])
    // The content wins over the registration…
    expect(decodePayload(entity, decodeContext({ format: 'auto', registeredFormat: 'senml' })).format).toBe('ngsi-ld')
    expect(decodePayload(pack, decodeContext({ format: 'auto', registeredFormat: 'ngsi-ld' })).format).toBe('senml')
    // …the registration decides what the content cannot tell…
    const measures = decodePayload(bytes({ fillingLevel: 0.5 }), decodeContext({ format: 'auto', registeredFormat: 'iota-json' }))
    expect(measures).toMatchObject({ format: 'iota-json', readings: [{ attribute: 'fillingLevel', value: 0.5 }] })
    const text = decodePayload(bytes('fillingLevel|0.6'), decodeContext({ format: 'auto', registeredFormat: 'ultralight' }))
    expect(text).toMatchObject({ format: 'ultralight', readings: [{ attribute: 'fillingLevel', value: 0.6 }] })
    const bareValue = decodePayload(bytes('0.7'), decodeContext({ format: 'auto', registeredFormat: 'ultralight', topic: '/key-1/bin-0042/attrs/fillingLevel' }))
    expect(bareValue).toMatchObject({ format: 'ultralight', readings: [{ attribute: 'fillingLevel', value: 0.7 }] })
    // …and the topic overrides both.
    expect(decodePayload(pack, decodeContext({ format: 'ngsi-ld', registeredFormat: 'senml' })).rejections.map((r) => r.code)).toEqual(['ENTITY_INVALID'])
    expect(decodePayload(bytes({ fillingLevel: 0.5 }), decodeContext({ format: 'auto' })).rejections.map((r) => r.code)).toEqual(['FORMAT_UNKNOWN'])
  })

  it('decodePayload should read the raw text of an IoT Agent single-attribute topic as the value', () => {
    const topic = '/json/key-1/bin-0042/attrs/status'
    expect(decodePayload(bytes('burning'), decodeContext({ format: 'iota-json', topic })).readings.map((r) => [r.attribute, r.value])).toEqual([['status', 'burning']])
    expect(decodePayload(bytes('"ok"'), decodeContext({ format: 'iota-json', topic })).readings.map((r) => r.value)).toEqual(['ok'])
    expect(decodePayload(bytes('21,5'), decodeContext({ format: 'iota-json', topic: '/json/key-1/bin-0042/attrs/temperature' })).rejections.map((r) => [r.code, r.attribute])).toEqual([['VALUE_INVALID', 'temperature']])
    expect(decodePayload(bytes('burning'), decodeContext({ format: 'iota-json', topic: '/json/key-1/bin-0042/attrs' })).rejections.map((r) => r.code)).toEqual(['PAYLOAD_MALFORMED'])
  })

  it('decodePayload should say so when a payload holds only descriptive attributes', () => {
    const result = decodePayload(bytes({ id: binId, type: 'WasteContainer', location: { type: 'Point', coordinates: [4.4, 51.2] }, category: ['underground'] }), ctx)
    expect(result.readings).toEqual([])
    expect(result.rejections).toEqual([{ code: 'ENTITY_INVALID', message: 'the payload holds no readings, only descriptive attributes or nothing at all' }])
    expect(decodePayload(bytes({}), decodeContext({ format: 'iota-json' })).rejections.map((r) => r.code)).toEqual(['ENTITY_INVALID'])
  })

  it('decodePayload should refuse malformed JSON with the parser message', () => {
    const text = '{"id": "urn:x", "type": "WasteContainer", "fillingLevel": 0.3'
    let parserMessage = ''
    try {
      JSON.parse(text)
    } catch (error) {
      parserMessage = (error as Error).message
    }
    const result = decodePayload(bytes(text), ctx)
    expect(result).toEqual({ format: 'unknown', readings: [], rejections: [{ code: 'PAYLOAD_MALFORMED', message: `the payload is not JSON: ${parserMessage}` }] })
    expect(decodePayload(Buffer.alloc(0), decodeContext({ format: 'ngsi-ld' }))).toMatchObject({ format: 'ngsi-ld', rejections: [{ code: 'PAYLOAD_MALFORMED' }] })
  })

  it('decodePayload should refuse bytes that are not UTF-8', () => {
    const result = decodePayload(Buffer.from([0x5b, 0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x5d]), ctx)
    expect(result.rejections).toEqual([{ code: 'PAYLOAD_MALFORMED', message: 'the payload is not valid UTF-8' }])
  })

  it('decodePayload should refuse a number that overflows to Infinity', () => {
    const result = decodePayload(bytes(`{"id": "${binId}", "type": "WasteContainer", "fillingLevel": 1e400, "cargoWeight": 2}`), ctx)
    expect(result.readings.map((r) => r.attribute)).toEqual(['cargoWeight'])
    expect(result.rejections).toEqual([{ code: 'VALUE_INVALID', message: 'fillingLevel Infinity is not a finite number', attribute: 'fillingLevel' }])
  })

  it('decodePayload should decode IoT Agent JSON groups with their TimeInstant', () => {
    const iota = decodeContext({ format: 'iota-json', topic: '/json/key-1/bin-0042/attrs' })
    const result = decodePayload(bytes([{ fillingLevel: 0.4, TimeInstant: '2025-03-04T09:00:00Z' }, { fillingLevel: 0.5, temperature: 18, location: 'x' }]), iota)
    expect(result).toMatchObject({ format: 'iota-json', entityType: 'WasteContainer', rejections: [] })
    expect(result.readings.map((r) => [r.attribute, r.value, r.time])).toEqual([
      ['fillingLevel', 0.4, Date.parse('2025-03-04T09:00:00Z')],
      ['fillingLevel', 0.5, receivedAt],
      ['temperature', 18, receivedAt],
    ])
  })

  it('decodePayload should decode an IoT Agent JSON single-attribute topic', () => {
    const topic = '/json/key-1/bin-0042/attrs/temperature'
    const plain = decodePayload(bytes('21.5'), decodeContext({ format: 'iota-json', topic }))
    expect(plain.readings.map((r) => [r.attribute, r.value, r.time])).toEqual([['temperature', 21.5, receivedAt]])
    const series = decodePayload(bytes([{ timestamp: '2025-03-04T09:01:00Z', value: 44 }, { value: 45 }]), decodeContext({ format: 'iota-json', topic }))
    expect(series.readings.map((r) => [r.value, r.time])).toEqual([
      [44, Date.parse('2025-03-04T09:01:00Z')],
      [45, receivedAt],
    ])
  })

  it('decodePayload should refuse IoT Agent JSON that is not an object of measures, and a bad TimeInstant per attribute', () => {
    const iota = decodeContext({ format: 'iota-json' })
    expect(decodePayload(bytes([{ fillingLevel: 0.4 }, 3]), iota).rejections.map((r) => r.code)).toEqual(['PAYLOAD_MALFORMED'])
    const result = decodePayload(bytes({ TimeInstant: 'now', fillingLevel: 0.4, temperature: 3 }), iota)
    expect(result.readings).toEqual([])
    expect(result.rejections.map((r) => [r.code, r.attribute])).toEqual([
      ['TIME_INVALID', 'TimeInstant'],
      ['TIME_INVALID', 'fillingLevel'],
      ['TIME_INVALID', 'temperature'],
    ])
  })

  it('decodePayload should decode Ultralight 2.0 groups, timestamps and typed values', () => {
    const ul = decodeContext({ format: 'ultralight', topic: '/ul/key-1/bin-0042/attrs' })
    const result = decodePayload(bytes('fillingLevel|0.5|lidOpen|true#2025-03-04T09:00:00Z|temperature|-3.5e1|status|burning\n'), ul)
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.attribute, r.value, r.time])).toEqual([
      ['fillingLevel', 0.5, receivedAt],
      ['lidOpen', true, receivedAt],
      ['temperature', -35, Date.parse('2025-03-04T09:00:00Z')],
      ['status', 'burning', Date.parse('2025-03-04T09:00:00Z')],
    ])
  })

  it('decodePayload should refuse Ultralight values of the wrong type and keys without values', () => {
    const ul = decodeContext({ format: 'ultralight' })
    const result = decodePayload(bytes('fillingLevel|half|temperature|0x10|cargoWeight|12|lidOpen|1|status'), ul)
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([['cargoWeight', 12]])
    expect(result.rejections.map((r) => [r.code, r.attribute])).toEqual([
      ['VALUE_INVALID', 'status'],
      ['VALUE_INVALID', 'fillingLevel'],
      ['VALUE_INVALID', 'temperature'],
      ['VALUE_INVALID', 'lidOpen'],
    ])
    const single = decodePayload(bytes('0.75'), decodeContext({ format: 'ultralight', topic: '/ul/key-1/bin-0042/attrs/fillingLevel' }))
    expect(single.readings.map((r) => [r.attribute, r.value])).toEqual([['fillingLevel', 0.75]])
    expect(decodePayload(bytes('  '), ul).rejections.map((r) => r.code)).toEqual(['PAYLOAD_MALFORMED'])
  })

  it('decodePayload should never throw, whatever the bytes or JSON shape', () => {
    // A fixed-seed generator, so a failure can be replayed.
    let seed = 0x2545f491
    const random = (): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) / 2 ** 32
    }
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
    const keys = ['id', 'type', 'n', 'bn', 'v', 'vs', 'vb', 'vd', 's', 'bs', 't', 'bt', 'bu', 'bv', 'bver', 'u', 'x_', 'value', 'type', 'observedAt', 'unitCode', 'fillingLevel', 'temperature', 'status', 'dateObserved', '__proto__', 'constructor']
    const scalars: unknown[] = [null, true, false, 0, -1, 0.5, 1e308, -1e308, 2 ** 28, '', 'WasteContainer', 'KGM', '%', 'urn:x', '2025-03-04T09:15:00Z', 'NaN', 'Property']
    const shape = (depth: number): unknown => {
      const roll = random()
      if (depth > 3 || roll < 0.35) return pick(scalars)
      if (roll < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => shape(depth + 1))
      const object: Record<string, unknown> = {}
      for (let i = Math.floor(random() * 6); i > 0; i--) object[pick(keys)] = shape(depth + 1)
      return object
    }
    const formats = ['auto', 'senml', 'ngsi-ld', 'iota-json', 'ultralight'] as const
    const kinds = ['waste_container', 'energy_meter', 'weighing_device', 'generic'] as const
    const knownCodes = new Set(Object.keys(errorCatalogue))
    // Valid payloads with one member swapped for something random reach deeper than random shapes.
    const examples: Record<string, unknown>[][] = [
      [{ bn: 'urn:dev:mac:0024befffe804ff1:', bt: 1741082100, n: 'fillingLevel', u: '/', v: 0.72 }, { n: 'temperature', u: 'Cel', v: 21.4 }, { n: 'lidOpen', vb: false, t: -5 }],
      [{ id: binId, type: 'WasteContainer', fillingLevel: { type: 'Property', value: 0.72, unitCode: 'C62', observedAt: '2025-03-04T09:15:00Z' }, status: 'ok', dateObserved: '2025-03-04T09:15:00Z' }],
    ]
    const mutated = (): unknown => {
      const copy = structuredClone(pick(examples))
      const record = pick(copy)
      record[pick([...Object.keys(record), ...keys])] = shape(2)
      return random() < 0.5 ? copy : copy[0]
    }
    for (let i = 0; i < 3000; i++) {
      const payload =
        i % 3 === 0
          ? Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))
          : bytes(JSON.stringify(i % 3 === 1 ? shape(0) : mutated()) ?? 'null')
      const context = decodeContext({ format: pick(formats), kind: pick(kinds), topic: pick(['devices/a/attrs', '/json/k/a/attrs/temperature', '/ul/k/a/attrs']) })
      const result = decodePayload(payload, context)
      for (const reading of result.readings) expect(canonicalReading.safeParse(reading).success).toBe(true)
      for (const rejection of result.rejections) expect(knownCodes.has(rejection.code)).toBe(true)
      expect(['unknown', ...formats.slice(1)]).toContain(result.format)
    }
  })

  it('sniffFormat should tell SenML from NGSI-LD by shape', () => {
    expect(sniffFormat([{ bt: 1 }, { n: 'x', v: 1 }])).toBe('senml')
    expect(sniffFormat([{ vb: true }])).toBe('senml')
    expect(sniffFormat({ n: 'x', v: 1 })).toBe('unknown')
    expect(sniffFormat({ id: 'urn:x', type: 'WasteContainer' })).toBe('ngsi-ld')
    expect(sniffFormat([{ id: 'urn:x', type: 'WasteContainer' }])).toBe('ngsi-ld')
    expect(sniffFormat({ id: 'urn:x' })).toBe('unknown')
  })
})
