import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { errorCatalogue } from '../../models/errors.js'
import { decodePayload } from '../../models/decode.js'
import type { DecodeContext, DecodeResult } from '../../models/decoding.js'
import { maxItemsPerPayload } from '../../models/limits.js'
import { encodeEntities } from '../../models/ngsi-ld-encode.js'
import { canonicalReading, type CanonicalReading } from '../../models/reading.js'
import { kindsWithModels, observations, skewMs } from './arbitraries.js'
import { decodeContext, receivedAt } from './decode-context.js'
import { iotaJsonGroups, senmlPack, ultralightText } from './payloads.js'

/**
 * Property-based tests per wire format: random valid payloads decode without a rejection and
 * their readings survive a round trip through the NGSI-LD encoder; random corruptions of them
 * never throw out of the decoder — each yields readings or reasons.
 */

const numRuns = 500
const knownCodes = new Set(Object.keys(errorCatalogue))
/** SenML times from 2^28 s on are absolute (RFC 8428 §4.5.3). */
const absoluteSenmlTime = fc.integer({ min: 2 ** 28 * 1000, max: receivedAt + skewMs })

function bytes(payload: unknown): Buffer {
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))
}

/** What every decode must give, whatever it was fed. */
function expectWellFormed(result: DecodeResult): void {
  const faults: unknown[] = result.readings.length + result.rejections.length === 0 ? ['neither readings nor rejections'] : []
  for (const reading of result.readings) if (!canonicalReading.safeParse(reading).success) faults.push(reading)
  for (const rejection of result.rejections) if (!knownCodes.has(rejection.code) || rejection.message.length === 0) faults.push(rejection)
  expect(faults).toEqual([])
}

function sameValue(actual: CanonicalReading['value'], expected: CanonicalReading['value']): boolean {
  if (typeof actual !== 'number' || typeof expected !== 'number') return actual === expected
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(actual), Math.abs(expected))
}

/** Decoded readings match the generated ones: the same attributes, fields, units and times; values to rounding. */
function expectSameReadings(decoded: readonly CanonicalReading[], expected: readonly CanonicalReading[]): void {
  const key = (r: CanonicalReading): string => `${r.time}\u0000${r.attribute}`
  const byKey = new Map(expected.map((r) => [key(r), r]))
  const mismatches: string[] = decoded.length === expected.length ? [] : [`${decoded.length} readings instead of ${expected.length}`]
  for (const reading of decoded) {
    const wanted = byKey.get(key(reading))
    if (wanted === undefined) mismatches.push(`unexpected ${key(reading)}`)
    else if (reading.measurement !== wanted.measurement || reading.field !== wanted.field || reading.unit !== wanted.unit || !sameValue(reading.value, wanted.value)) {
      mismatches.push(`${reading.attribute}: ${JSON.stringify(reading)} vs ${JSON.stringify(wanted)}`)
    }
  }
  expect(mismatches).toEqual([])
}

/** Decoded readings encoded as NGSI-LD normalized decode to themselves. */
function expectNgsiLdRoundTrip(type: string, readings: readonly CanonicalReading[], ctx: DecodeContext): void {
  const entities = encodeEntities({ entityId: `urn:ngsi-ld:${type}:x`, entityType: type, readings }, 'normalized')
  const again = decodePayload(bytes(entities), { ...ctx, format: 'ngsi-ld' })
  expect(again.rejections).toEqual([])
  const strip = (rs: readonly CanonicalReading[]): unknown[] => rs.map(({ sourceUnit: _s, ...r }) => r).sort((a, b) => a.time - b.time || a.attribute.localeCompare(b.attribute))
  expect(strip(again.readings)).toEqual(strip(readings))
}

// ---- corruptions ---------------------------------------------------------------------------

const deepMarker = '\u0000deep\u0000'
const hostileStrings = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'NaN', 'Infinity', '1e400', '', ' ', '\u0000', '\ud800', '%', '/', 'Property', 'urn:ngsi-ld:null', '<script>', "'; DROP MEASUREMENT", 'x'.repeat(70_000)),
)
const hostileValues = fc.oneof(
  hostileStrings,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, [], {}, deepMarker),
)

/** Every [container, key] position of a parsed JSON document, a few levels deep. */
function positions(document: unknown, depth = 0): [Record<string, unknown> | unknown[], string | number][] {
  if (depth > 4 || typeof document !== 'object' || document === null) return []
  const keys: (string | number)[] = Array.isArray(document) ? document.map((_, i) => i) : Object.keys(document)
  return keys.flatMap((key) => [[document as Record<string, unknown>, key] as [Record<string, unknown>, string | number], ...positions((document as Record<string | number, unknown>)[key], depth + 1)])
}

/** A JSON payload with one member replaced, deleted or renamed; a deep-nesting marker becomes 10 000+ nested arrays. */
function corruptJson(document: unknown): fc.Arbitrary<string> {
  return fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'rename'), hostileValues, hostileStrings, fc.integer({ min: 10_000, max: 20_000 })).map(([pick, action, value, name, depth]) => {
    const copy = structuredClone(document)
    const all = positions(copy)
    const [container, key] = all[pick % Math.max(1, all.length)] ?? [undefined, undefined]
    if (container !== undefined && key !== undefined) {
      const target = container as Record<string | number, unknown>
      if (action === 'replace') target[key] = value
      else if (action === 'delete') delete target[key]
      else if (!Array.isArray(container)) {
        target[name] = target[key]
        delete target[key]
      }
    }
    const text = JSON.stringify(copy === undefined ? null : copy)
    return text.replaceAll(JSON.stringify(deepMarker), '['.repeat(depth) + ']'.repeat(depth))
  })
}

/** Cut anywhere, including inside a UTF-8 sequence. */
function truncated(payload: Buffer): fc.Arbitrary<Buffer> {
  return fc.nat({ max: Math.max(0, payload.length - 1) }).map((end) => payload.subarray(0, end))
}

function expectNeverThrows(payload: fc.Arbitrary<Buffer | string>, ctx: (format: DecodeContext['format']) => DecodeContext, formats: DecodeContext['format'][]): void {
  fc.assert(
    fc.property(payload, fc.constantFrom(...formats), (p, format) => {
      expectWellFormed(decodePayload(typeof p === 'string' ? Buffer.from(p) : p, ctx(format)))
    }),
    { numRuns },
  )
}

describe('properties: NGSI-LD', () => {
  // Valid entities of every model and representation: test/models/ngsi-ld-encode.test.ts.

  it('corrupted NGSI-LD payloads should never throw out of the decoder', () => {
    const payloads = observations('ACMeasurement', {}).chain((readings) => {
      const entity = encodeEntities({ entityId: 'urn:ngsi-ld:ACMeasurement:x', entityType: 'ACMeasurement', readings }, 'normalized')
      return fc.oneof(corruptJson(entity), truncated(bytes(entity)))
    })
    expectNeverThrows(payloads, (format) => decodeContext({ kind: 'energy_meter', format }), ['ngsi-ld', 'auto'])
  })
})

describe('properties: SenML', () => {
  it.each(kindsWithModels)('random SenML packs of a $kind should decode without rejection and round-trip', ({ kind, type, meterType }) => {
    const ctx = decodeContext({ kind, format: 'senml', ...(meterType !== undefined ? { meterType } : {}) })
    const packs = observations(type, meterType !== undefined ? { meterType } : {}, { times: absoluteSenmlTime }).chain((readings) => senmlPack(type, readings).map((pack) => ({ readings, pack })))
    fc.assert(
      fc.property(packs, ({ readings, pack }) => {
        const result = decodePayload(bytes(pack), ctx)
        expect(result.rejections).toEqual([])
        expectSameReadings(result.readings, readings)
        expectNgsiLdRoundTrip(type, result.readings, ctx)
      }),
      { numRuns },
    )
  })

  it('corrupted SenML packs should never throw out of the decoder', () => {
    const payloads = observations('WasteContainer', {}, { times: absoluteSenmlTime })
      .chain((readings) => senmlPack('WasteContainer', readings))
      .chain((pack) => fc.oneof(corruptJson(pack), truncated(bytes(pack))))
    expectNeverThrows(payloads, (format) => decodeContext({ format }), ['senml', 'auto'])
  })
})

describe('properties: IoT Agent JSON', () => {
  it.each(kindsWithModels)('random IoT Agent JSON measures of a $kind should decode without rejection and round-trip', ({ kind, type, meterType }) => {
    const ctx = decodeContext({ kind, format: 'iota-json', topic: '/json/key/dev/attrs', ...(meterType !== undefined ? { meterType } : {}) })
    const groups = observations(type, { defaultUnits: true, ...(meterType !== undefined ? { meterType } : {}) }).chain((readings) => iotaJsonGroups(readings).map((measures) => ({ readings, measures })))
    fc.assert(
      fc.property(groups, fc.boolean(), ({ readings, measures }, asArray) => {
        const result = decodePayload(bytes(measures.length === 1 && !asArray ? measures[0] : measures), ctx)
        expect(result.rejections).toEqual([])
        expectSameReadings(result.readings, readings)
        expectNgsiLdRoundTrip(type, result.readings, ctx)
      }),
      { numRuns },
    )
  })

  it('random single-attribute topics should decode the bare value or the timestamped series', () => {
    const ctx = (attribute: string): DecodeContext => decodeContext({ kind: 'energy_meter', format: 'iota-json', topic: `/json/key/dev/attrs/${attribute}` })
    fc.assert(
      fc.property(observations('ACMeasurement', { defaultUnits: true }, { maxTimes: 1 }), fc.boolean(), (readings, series) => {
        const reading = readings[0] as CanonicalReading
        const payload = series ? [{ timestamp: new Date(reading.time).toISOString(), value: reading.value }] : reading.value
        const result = decodePayload(bytes(payload), ctx(reading.attribute))
        expect(result.rejections).toEqual([])
        expectSameReadings(result.readings, [series ? reading : { ...reading, time: receivedAt }])
      }),
      { numRuns },
    )
  })

  it('corrupted IoT Agent JSON should never throw out of the decoder', () => {
    const payloads = observations('WasteObserved', { defaultUnits: true })
      .chain((readings) => iotaJsonGroups(readings))
      .chain((groups) => fc.oneof(corruptJson(groups), truncated(bytes(groups))))
    expectNeverThrows(payloads, (format) => decodeContext({ kind: 'weighing_device', format, topic: '/json/key/dev/attrs', registeredFormat: 'iota-json' }), ['iota-json', 'auto'])
  })
})

describe('properties: Ultralight 2.0', () => {
  it.each(kindsWithModels)('random Ultralight text of a $kind should decode without rejection and round-trip', ({ kind, type, meterType }) => {
    const ctx = decodeContext({ kind, format: 'ultralight', topic: '/ul/key/dev/attrs', ...(meterType !== undefined ? { meterType } : {}) })
    fc.assert(
      fc.property(observations(type, { defaultUnits: true, plainText: true, ...(meterType !== undefined ? { meterType } : {}) }), (readings) => {
        const result = decodePayload(bytes(ultralightText(readings)), ctx)
        expect(result.rejections).toEqual([])
        expectSameReadings(result.readings, readings)
        expectNgsiLdRoundTrip(type, result.readings, ctx)
      }),
      { numRuns },
    )
  })

  it('corrupted Ultralight text should never throw out of the decoder', () => {
    const separators = fc.constantFrom('|', '#', '||', '##', '|#|', '\n', ' ')
    const payloads = observations('WasteContainer', { defaultUnits: true, plainText: true }).chain((readings) => {
      const text = ultralightText(readings)
      return fc.oneof(
        truncated(Buffer.from(text)),
        fc.tuple(fc.nat({ max: text.length }), fc.oneof(hostileStrings, separators)).map(([at, inserted]) => text.slice(0, at) + inserted + text.slice(at)),
      )
    })
    expectNeverThrows(payloads, (format) => decodeContext({ format, topic: '/ul/key/dev/attrs', registeredFormat: 'ultralight' }), ['ultralight', 'auto'])
  })
})

describe('properties: limits', () => {
  const items: Record<string, { format: DecodeContext['format']; item: string; open: string; join: string; close: string }> = {
    'NGSI-LD entities': { format: 'ngsi-ld', item: '{"id":"urn:x","type":"WasteContainer","fillingLevel":0.5}', open: '[', join: ',', close: ']' },
    'SenML records': { format: 'senml', item: '{"n":"bin-1/fillingLevel","v":0.5}', open: '[', join: ',', close: ']' },
    'IoT Agent JSON measure groups': { format: 'iota-json', item: '{"fillingLevel":0.5}', open: '[', join: ',', close: ']' },
    'Ultralight groups': { format: 'ultralight', item: 'fillingLevel|0.5', open: '', join: '#', close: '' },
  }

  it.each(Object.entries(items))('more than the maximum number of %s should be refused as PAYLOAD_TOO_LARGE without decoding any', (_label, { format, item, open, join, close }) => {
    const text = (count: number): string => open + Array.from({ length: count }, () => item).join(join) + close
    const atLimit = decodePayload(Buffer.from(text(maxItemsPerPayload)), decodeContext({ format, topic: '/ul/key/dev/attrs' }))
    expect(atLimit.readings).toHaveLength(maxItemsPerPayload)
    fc.assert(
      fc.property(fc.integer({ min: maxItemsPerPayload + 1, max: maxItemsPerPayload + 50 }), (count) => {
        const result = decodePayload(Buffer.from(text(count)), decodeContext({ format, topic: '/ul/key/dev/attrs' }))
        expect(result.readings).toEqual([])
        expect(result.rejections.map((r) => r.code)).toEqual(['PAYLOAD_TOO_LARGE'])
      }),
      { numRuns: 50 },
    )
  })

  it('payloads nested 10 000 levels deep or more should be refused, in every format', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 20_000 }), fc.constantFrom('[', '{"a":'), fc.constantFrom<DecodeContext['format'][]>('auto', 'ngsi-ld', 'senml', 'iota-json', 'ultralight'), (depth, opener, format) => {
        const closer = opener === '[' ? ']' : '}'
        const inner = opener === '[' ? '' : '1'
        const result = decodePayload(Buffer.from(opener.repeat(depth) + inner + closer.repeat(depth)), decodeContext({ format, registeredFormat: 'iota-json' }))
        expectWellFormed(result)
        expect(result.readings).toEqual([])
      }),
      { numRuns },
    )
  })
})
