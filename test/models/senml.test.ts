import { describe, expect, it } from 'vitest'
import { canonicalReading } from '../../models/reading.js'
import { decodeSenml } from '../../models/senml.js'
import { decodeContext } from './decode-context.js'

/** 2025-03-04T09:56:00Z: one minute after the base time of the data-models §3.3 example. */
const receivedAt = Date.parse('2025-03-04T09:56:00Z')
const ctx = decodeContext({ format: 'senml', receivedAt })

describe('senml decoder', () => {
  it('senml decoder should resolve the data-models §3.3 example pack exactly', () => {
    const pack = [
      { bn: 'urn:dev:mac:0024befffe804ff1:', bt: 1741082100, n: 'fillingLevel', u: '/', v: 0.72 },
      { n: 'temperature', u: 'Cel', v: 21.4 },
      { n: 'cargoWeight', u: 'kg', v: 38.5 },
      { n: 'battery', u: '%EL', v: 87, ut: 3600 },
      { n: 'lidOpen', vb: false, t: -5 },
    ]
    const result = decodeSenml(pack, ctx)
    expect(result.rejections).toEqual([])
    expect(result.format).toBe('senml')
    expect(result.entityType).toBe('WasteContainer')
    expect(result.readings).toEqual([
      { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.72, unit: 'ratio', time: 1741082100000, sourceUnit: '/' },
      { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 21.4, unit: 'Cel', time: 1741082100000, sourceUnit: 'Cel' },
      { attribute: 'cargoWeight', measurement: 'waste_container', field: 'cargo_weight_kg', value: 38.5, unit: 'kg', time: 1741082100000, sourceUnit: 'kg' },
      { attribute: 'battery', measurement: 'device_health', field: 'battery_level', value: 0.87, unit: 'ratio', time: 1741082100000, sourceUnit: '%EL' },
      { attribute: 'lidOpen', measurement: 'waste_container', field: 'lid_open', value: false, unit: '', time: 1741082095000 },
    ])
    for (const reading of result.readings) expect(canonicalReading.safeParse(reading).success).toBe(true)
  })

  it('senml decoder should resolve relative times against the receive time', () => {
    const result = decodeSenml(
      [
        { n: 'bin-1/temperature', v: 20 },
        { n: 'bin-1/temperature', v: 21, t: -60 },
        { bt: -120, n: 'bin-1/temperature', v: 22, t: 0.5 },
        { n: 'bin-1/temperature', v: 23, t: -0.0004 },
      ],
      ctx,
    )
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.value, r.time])).toEqual([
      [20, receivedAt],
      [21, receivedAt - 60_000],
      [22, receivedAt - 119_500],
      [23, receivedAt - 120_000],
    ])
  })

  it('senml decoder should take resolved times from 2^28 s on as absolute, keeping milliseconds', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', bt: 2 ** 28, n: 'temperature', v: 1 },
        { bt: 1741082100.25, n: 'temperature', v: 2 },
        { bt: 2 ** 28 - 1, n: 'temperature', v: 3 },
      ],
      ctx,
    )
    expect(result.readings.map((r) => [r.value, r.time])).toEqual([
      [1, 2 ** 28 * 1000],
      [2, 1741082100250],
    ])
    // Just below 2^28 the time counts from now: about 8.5 years ahead, so it is refused.
    expect(result.rejections).toEqual([{ code: 'TIME_INVALID', message: expect.stringContaining('268435455 s 2033-') as string, attribute: 'temperature' }])
  })

  it('senml decoder should apply base fields to later records until they change mid-pack', () => {
    const result = decodeSenml(
      [
        { bn: 'urn:dev:mac:aa:', bt: 1741082000, bu: 'Cel', n: 'temperature', v: 20 },
        { n: 'temperature', v: 21, t: 10 },
        { bn: 'urn:dev:mac:bb/', bt: 1741082050, bu: 'K', bv: 273.15, n: 'temperature', v: 2 },
        { n: 'cargoWeight', u: 'kg', bv: 0, v: 12 },
        { n: 'fillingLevel', u: '/', v: 0.25 },
      ],
      ctx,
    )
    expect(result.rejections).toEqual([])
    const readings = result.readings
    expect(readings.map((r) => [r.attribute, r.time, r.sourceUnit])).toEqual([
      ['temperature', 1741082000000, 'Cel'],
      ['temperature', 1741082010000, 'Cel'],
      ['temperature', 1741082050000, 'K'],
      ['cargoWeight', 1741082050000, 'kg'],
      ['fillingLevel', 1741082050000, '/'],
    ])
    expect(readings.map((r) => r.value).slice(0, 2)).toEqual([20, 21])
    // bv 273.15 + v 2 in K is 2 °C.
    expect(readings[2]?.value).toBeCloseTo(2, 10)
    expect(readings[3]?.value).toBe(12)
    expect(readings[4]?.value).toBe(0.25)
  })

  it('senml decoder should take the attribute from the part of the name after the last : or /', () => {
    const result = decodeSenml(
      [
        { n: 'urn:dev:mac:0024befffe804ff1:fillingLevel', v: 0.5 },
        { n: 'bin-1/temperature', v: 10 },
        { bn: 'site:a/bin.7:', n: 'cargoWeight', v: 3 },
        { bn: '', n: 'status', vs: 'lidOpen' },
      ],
      ctx,
    )
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.attribute, r.field, r.value])).toEqual([
      ['fillingLevel', 'filling_level', 0.5],
      ['temperature', 'temperature_c', 10],
      ['cargoWeight', 'cargo_weight_kg', 3],
      ['status', 'status', 'lidOpen'],
    ])
  })

  it('senml decoder should use the attribute default unit when neither u nor bu is given', () => {
    const result = decodeSenml([{ bn: 'bin-1/', n: 'fillingLevel', v: 0.4 }, { n: 'battery', v: 0.9 }], ctx)
    expect(result.readings.map((r) => [r.value, r.unit, r.sourceUnit])).toEqual([
      [0.4, 'ratio', undefined],
      [0.9, 'ratio', undefined],
    ])
  })

  it('senml decoder should read % as a ratio 0..1 and %EL as a percentage (RFC 8428 §12.1)', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', n: 'fillingLevel', u: '%', v: 0.5 },
        { n: 'battery', u: '%EL', v: 50 },
      ],
      ctx,
    )
    expect(result.readings.map((r) => r.value)).toEqual([0.5, 0.5])
    const tooMuch = decodeSenml([{ n: 'bin-1/fillingLevel', u: '%', v: 50 }], ctx)
    expect(tooMuch.rejections).toEqual([{ code: 'VALUE_OUT_OF_RANGE', message: expect.stringContaining('0..1') as string, attribute: 'fillingLevel' }])
  })

  it('senml decoder should convert kWh, Wh and J to kWh', () => {
    const meter = decodeContext({ format: 'senml', kind: 'generic', receivedAt })
    const result = decodeSenml(
      [
        { bn: 'meter-7:', n: 'numValue', u: 'kWh', v: 12.5 },
        { n: 'numValue', u: 'Wh', v: 12500, t: -1 },
        { n: 'numValue', u: 'J', v: 45e6, t: -2 },
      ],
      meter,
    )
    expect(result.rejections).toEqual([])
    expect(result.entityType).toBe('DeviceMeasurement')
    expect(result.readings.map((r) => [r.measurement, r.field, r.value, r.unit, r.sourceUnit])).toEqual([
      ['generic_measurement', 'value', 12.5, 'kWh', 'kWh'],
      ['generic_measurement', 'value', 12.5, 'kWh', 'Wh'],
      ['generic_measurement', 'value', 12.5, 'kWh', 'J'],
    ])
  })

  it('senml decoder should convert K to Cel, TNE to kg and P1 percent to a ratio', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', n: 'temperature', u: 'K', v: 294.55 },
        { n: 'cargoWeight', u: 'TNE', v: 1.25 },
        { n: 'fillingLevel', u: 'P1', v: 72 },
      ],
      ctx,
    )
    expect(result.rejections).toEqual([])
    expect(result.readings[0]?.value).toBeCloseTo(21.4, 10)
    expect(result.readings.slice(1).map((r) => [r.value, r.unit])).toEqual([
      [1250, 'kg'],
      [0.72, 'ratio'],
    ])
  })

  it('senml decoder should understand versions 10 and 26 (secondary units, RFC 9100) and refuse packs asking for other features', () => {
    const result = decodeSenml([{ bn: 'bin-1/', n: 'temperature', v: 1 }, { bver: 11, n: 'temperature', v: 2 }], ctx)
    expect(result.readings).toEqual([])
    expect(result.rejections).toEqual([{ code: 'SENML_INVALID', message: 'record #1 has SenML version 11; understood are 10 (RFC 8428) and 26 (with secondary units, RFC 9100 §4)' }])
    expect(decodeSenml([{ bver: 10, n: 'bin-1/temperature', v: 2 }], ctx).readings).toHaveLength(1)
    expect(decodeSenml([{ bver: 26, n: 'bin-1/cargoWeight', u: 'kg', v: 2 }], ctx).readings).toHaveLength(1)
    // 42 = 10 + feature 5, 58 = 26 + feature 5, 8 lacks Reserved1: all ask for what is not understood.
    for (const bver of [1.5, 5, 8, 9, 42, 58, -10]) expect(decodeSenml([{ bver, n: 'bin-1/temperature', v: 2 }], ctx).rejections[0]?.code, String(bver)).toBe('SENML_INVALID')
  })

  it('senml decoder should refuse a pack with a must-understand label and ignore other unknown labels', () => {
    const refused = decodeSenml([{ n: 'bin-1/temperature', v: 1 }, { n: 'bin-1/temperature', v: 2, foo_: 1 }], ctx)
    expect(refused.readings).toEqual([])
    expect(refused.rejections).toEqual([{ code: 'SENML_INVALID', message: expect.stringContaining('"foo_"') as string }])

    const ignored = decodeSenml([{ n: 'bin-1/temperature', v: 2, foo: 1, ut: 60, l: 'x' }], ctx)
    expect(ignored.rejections).toEqual([])
    expect(ignored.readings.map((r) => r.value)).toEqual([2])
  })

  it.each([
    ['an object', { n: 'bin-1/temperature', v: 1 }, 'JSON array'],
    ['an empty array', [], 'empty'],
    ['a record that is not an object', [{ n: 'bin-1/temperature', v: 1 }, 7], 'record #1'],
    ['a base name that is not a string', [{ bn: 3, n: 'temperature', v: 1 }], 'bn'],
    ['a base time that is not a number', [{ bt: '1741082100', n: 'bin-1/temperature', v: 1 }], 'bt'],
  ])('senml decoder should refuse the whole pack when it is %s', (_label, pack, mentioned) => {
    const result = decodeSenml(pack, ctx)
    expect(result.readings).toEqual([])
    expect(result.rejections).toHaveLength(1)
    expect(result.rejections[0]?.code).toBe('SENML_INVALID')
    expect(result.rejections[0]?.message).toContain(mentioned)
  })

  it('senml decoder should refuse single faulty records and keep the others', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', bt: 1741082100, n: 'fillingLevel', v: 0.5 },
        { n: 'weight', v: 3 },
        { n: 'temperature', u: 'KGM', v: 3 },
        { n: 'temperature', u: 'degC', v: 3 },
        { n: 'fillingLevel', v: 1.7 },
        { n: 'cargoWeight', v: 38.5 },
        { n: 'temperature', v: 1, vs: 'one' },
        { n: 'temperature' },
        { n: 'temperature', vs: 'warm' },
        { n: 'lidOpen', vd: 'AQ' },
        { n: 'location', vs: 'here' },
        { n: 'temperature', v: 20, t: 3600 },
      ],
      ctx,
    )
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([
      ['fillingLevel', 0.5],
      ['cargoWeight', 38.5],
    ])
    expect(result.rejections.map((r) => [r.code, r.attribute])).toEqual([
      ['ATTRIBUTE_UNKNOWN', 'weight'],
      ['UNIT_MISMATCH', 'temperature'],
      ['UNIT_UNKNOWN', 'temperature'],
      ['VALUE_OUT_OF_RANGE', 'fillingLevel'],
      ['SENML_INVALID', 'temperature'],
      ['SENML_INVALID', 'temperature'],
      ['VALUE_INVALID', 'temperature'],
      ['VALUE_INVALID', 'lidOpen'],
      ['ATTRIBUTE_UNKNOWN', 'location'],
      ['TIME_INVALID', 'temperature'],
    ])
    expect(result.rejections[1]?.message).toBe('temperature measures temperature such as CEL, but "KGM" is a unit of mass')
  })

  it('senml decoder should refuse names that break RFC 8428 §4.5.1', () => {
    const result = decodeSenml([{ n: 'bin 1/temperature', v: 1 }, { n: '-bin/temperature', v: 1 }, { v: 1 }, { n: 'bin-1:', v: 1 }], ctx)
    expect(result.readings).toEqual([])
    expect(result.rejections.map((r) => [r.code, r.attribute])).toEqual([
      ['SENML_INVALID', 'bin 1/temperature'],
      ['SENML_INVALID', '-bin/temperature'],
      ['SENML_INVALID', undefined],
      ['SENML_INVALID', 'bin-1:'],
    ])
  })

  it('senml decoder should keep the value of a record with a sum, and refuse every sum that is not a register integral', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', n: 'temperature', v: 20, s: 72000 },
        { n: 'temperature', s: 72000 },
        { bs: 10, n: 'cargoWeight' },
      ],
      ctx,
    )
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([['temperature', 20]])
    const refused = (attribute: string): { code: string; message: string; attribute: string } => ({
      code: 'VALUE_INVALID',
      message: `${attribute} carries a sum (s), but only cumulative registers (such as totalActiveEnergyImport) take one; the sum is not stored`,
      attribute,
    })
    expect(result.rejections).toEqual([refused('temperature'), refused('temperature'), refused('cargoWeight')])
  })

  it('senml decoder should refuse times beyond the allowed clock skew and accept those within it', () => {
    const result = decodeSenml(
      [
        { bn: 'bin-1/', n: 'temperature', v: 1, t: 299 },
        { n: 'temperature', v: 2, t: 301 },
        { bt: 1e300, n: 'temperature', v: 3 },
      ],
      ctx,
    )
    expect(result.readings.map((r) => [r.value, r.time])).toEqual([[1, receivedAt + 299_000]])
    expect(result.rejections.map((r) => [r.code, r.attribute])).toEqual([
      ['TIME_INVALID', 'temperature'],
      ['TIME_INVALID', 'temperature'],
    ])
    expect(result.rejections[0]?.message).toContain('301 s after the message was received')
  })

  it('senml decoder should refuse values that overflow to Infinity after adding the base value', () => {
    const result = decodeSenml([{ bn: 'meter-7:', bv: 1.7e308, n: 'numValue', v: 1.7e308 }], decodeContext({ kind: 'generic', receivedAt }))
    expect(result.readings).toEqual([])
    expect(result.rejections).toEqual([{ code: 'VALUE_INVALID', message: 'numValue Infinity is not a finite number', attribute: 'numValue' }])
  })
})
