import { describe, expect, test } from 'vitest'
import { collect, isRejection, structuredReadings, toReading, type ObservedValue, type Outcomes, type ReadingContext } from '../../models/attribute-values.js'
import { lookupEntityModel, type ReadingSpec, type StructuredSpec } from '../../models/catalogue.js'
import type { CanonicalReading } from '../../models/reading.js'

/** 2025-03-04T09:15:00Z; the message arrived a minute later and clocks may run 300 s ahead. */
const time = Date.parse('2025-03-04T09:15:00Z')
const ctx: ReadingContext = { receivedAt: time + 60_000, maxFutureSkewMs: 300_000 }

function readingSpec(type: string, attribute: string): ReadingSpec {
  const spec = lookupEntityModel(type)?.attributes.get(attribute)
  if (spec?.role !== 'reading') throw new Error(`${type}.${attribute} is not a reading in the catalogue`)
  return spec
}

function structuredSpec(type: string, attribute: string): StructuredSpec {
  const spec = lookupEntityModel(type)?.attributes.get(attribute)
  if (spec?.role !== 'structured') throw new Error(`${type}.${attribute} is not a per-phase attribute in the catalogue`)
  return spec
}

const observed = (attribute: string, value: unknown, unit?: unknown, extra: Partial<ObservedValue> = {}): ObservedValue => ({ attribute, value, unit, time, ...extra })
const container = (attribute: string, value: unknown, unit?: unknown, context: ReadingContext = ctx) => toReading(readingSpec('WasteContainer', attribute), observed(attribute, value, unit), context)

describe('toReading: numbers', () => {
  test('a number without a unit should be read in the default unit, as a reading of always the same keys', () => {
    const reading = container('cargoWeight', 250)
    expect(reading).toEqual({ attribute: 'cargoWeight', measurement: 'waste_container', field: 'cargo_weight_kg', value: 250, unit: 'kg', time, sourceUnit: undefined, entityId: undefined })
    // One object shape for every reading keeps the engine's inline caches monomorphic.
    expect(Object.keys(reading)).toEqual(['attribute', 'measurement', 'field', 'value', 'unit', 'time', 'sourceUnit', 'entityId'])
  })

  test('a number in another unit of the quantity should be converted and its unit kept as the source unit', () => {
    expect(container('cargoWeight', 1.5, 'TNE')).toMatchObject({ value: 1500, unit: 'kg', sourceUnit: 'TNE' })
    expect(container('fillingLevel', 72, 'P1')).toMatchObject({ value: 0.72, unit: 'ratio', sourceUnit: 'P1' })
  })

  test('the bounds should be inclusive, and a value beyond them refused naming the bounds in the canonical unit', () => {
    expect(container('fillingLevel', 0)).toMatchObject({ value: 0 })
    expect(container('fillingLevel', 1)).toMatchObject({ value: 1 })
    expect(container('fillingLevel', 1.0001)).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: 'fillingLevel 1.0001 is outside 0..1 ratio', attribute: 'fillingLevel' })
    // The converted value is shown beside the sent one when the units differ.
    expect(container('fillingLevel', 150, 'P1')).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: 'fillingLevel 150 P1 (1.5 ratio) is outside 0..1 ratio', attribute: 'fillingLevel' })
    // Only a lower bound: the upper one reads as Infinity.
    expect(container('methaneConcentration', -1)).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: 'methaneConcentration -1 is outside 0..Infinity ppm', attribute: 'methaneConcentration' })
  })

  test('a value that is no finite number should be refused as VALUE_INVALID', () => {
    expect(container('fillingLevel', '0.5')).toEqual({ code: 'VALUE_INVALID', message: 'fillingLevel must be a number, got "0.5"', attribute: 'fillingLevel' })
    expect(container('fillingLevel', Number.NaN)).toEqual({ code: 'VALUE_INVALID', message: 'fillingLevel NaN is not a finite number', attribute: 'fillingLevel' })
    expect(container('fillingLevel', null)).toEqual({ code: 'VALUE_INVALID', message: 'fillingLevel must be a number, got null', attribute: 'fillingLevel' })
  })

  test('a unit that is not a known code should be refused as UNIT_UNKNOWN, one of another quantity as UNIT_MISMATCH', () => {
    expect(container('cargoWeight', 5, 5)).toEqual({ code: 'UNIT_UNKNOWN', message: 'cargoWeight unit 5 is not a unit code', attribute: 'cargoWeight' })
    expect(container('cargoWeight', 5, 'kilo')).toEqual({ code: 'UNIT_UNKNOWN', message: 'cargoWeight unit "kilo" is neither a known UN/CEFACT nor a SenML unit code', attribute: 'cargoWeight' })
    expect(container('cargoWeight', 5, 'KWH')).toEqual({ code: 'UNIT_MISMATCH', message: 'cargoWeight measures mass such as KGM, but "KWH" is a unit of energy', attribute: 'cargoWeight' })
  })

  test('a unit of an alternative quantity should store the value in that quantity\'s field', () => {
    const spec = readingSpec('SmartMeteringObservation', 'totalConsumption')
    expect(toReading(spec, observed('totalConsumption', 2500, 'LTR'), ctx)).toMatchObject({ field: 'total_consumption_m3', value: 2.5, unit: 'm3', sourceUnit: 'LTR' })
    expect(toReading(spec, observed('totalConsumption', 12, 'MWH'), ctx)).toMatchObject({ field: 'total_consumption_kwh', value: 12_000, unit: 'kWh' })
    // Without a unit the meter type decides, also when its unit is the alternative one.
    expect(toReading(spec, observed('totalConsumption', 12), { ...ctx, meterType: 'gas' })).toMatchObject({ field: 'total_consumption_m3', value: 12, unit: 'm3', sourceUnit: undefined })
    expect(toReading(spec, observed('totalConsumption', 12), { ...ctx, meterType: 'heat' })).toMatchObject({ field: 'total_consumption_kwh', value: 12, unit: 'kWh' })
    expect(toReading(spec, observed('totalConsumption', 12, 'KGM'), ctx)).toEqual({
      code: 'UNIT_MISMATCH',
      message: 'totalConsumption measures energy or volume, but "KGM" is a unit of mass',
      attribute: 'totalConsumption',
    })
  })

  test('a value that overflows when converted should be refused as VALUE_OUT_OF_RANGE', () => {
    const spec = readingSpec('ACMeasurement', 'totalActiveEnergyImport')
    // 1e306 MWh is 1e309 kWh, beyond the largest double.
    expect(toReading(spec, observed('totalActiveEnergyImport', 1e306, 'MWH'), ctx)).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: 'totalActiveEnergyImport 1e+306 MWH overflows in kWh', attribute: 'totalActiveEnergyImport' })
  })

  test('an attribute of no fixed quantity should take any known unit and store its canonical unit', () => {
    const spec = readingSpec('DeviceMeasurement', 'numValue')
    expect(toReading(spec, observed('numValue', 7), ctx)).toMatchObject({ field: 'value', value: 7, unit: '' })
    expect(toReading(spec, observed('numValue', 2500, 'GRM'), ctx)).toMatchObject({ field: 'value', value: 2.5, unit: 'kg', sourceUnit: 'GRM' })
    expect(toReading(spec, observed('numValue', 3, 'l'), ctx)).toMatchObject({ value: 0.003, unit: 'm3' })
  })

  test('the entity id of a reading from a payload of several entities should be kept', () => {
    expect(toReading(readingSpec('WasteContainer', 'fillingLevel'), observed('fillingLevel', 0.5, undefined, { entityId: 'urn:ngsi-ld:WasteContainer:b2' }), ctx)).toMatchObject({ entityId: 'urn:ngsi-ld:WasteContainer:b2' })
  })
})

describe('toReading: text, flags and date-times', () => {
  test('a string should be one of the allowed values when the model lists them', () => {
    expect(container('status', 'burning')).toMatchObject({ field: 'status', value: 'burning', unit: '' })
    expect(container('status', 'full')).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: 'status "full" is not one of ok, lidOpen, dropped, moved, vandalized, burning, unknown', attribute: 'status' })
    expect(container('status', 3)).toEqual({ code: 'VALUE_INVALID', message: 'status must be a string, got 3', attribute: 'status' })
  })

  test('a string with a normal form should be stored in it; free text as given', () => {
    expect(toReading(readingSpec('WasteObserved', 'storedWasteCode'), observed('storedWasteCode', '200133*'), ctx)).toMatchObject({ field: 'waste_code', value: '20 01 33*' })
    expect(toReading(readingSpec('Device', 'deviceState'), observed('deviceState', 'rebooting (fw 2.1)'), ctx)).toMatchObject({ field: 'device_state', value: 'rebooting (fw 2.1)' })
  })

  test('a flag should be a JSON boolean, not its text', () => {
    expect(container('lidOpen', true)).toMatchObject({ field: 'lid_open', value: true, unit: '' })
    expect(container('lidOpen', 'true')).toEqual({ code: 'VALUE_INVALID', message: 'lidOpen must be true or false, got "true"', attribute: 'lidOpen' })
    expect(container('lidOpen', 1)).toEqual({ code: 'VALUE_INVALID', message: 'lidOpen must be true or false, got 1', attribute: 'lidOpen' })
  })

  test('a date-time should be stored in UTC with milliseconds, from plain text or the JSON-LD literal', () => {
    expect(container('dateLastEmptying', '2025-03-04T08:15:00+01:00')).toMatchObject({ field: 'date_last_emptying', value: '2025-03-04T07:15:00.000Z', unit: '' })
    expect(container('dateLastEmptying', { '@type': 'DateTime', '@value': '2025-03-04T07:15:00Z' })).toMatchObject({ value: '2025-03-04T07:15:00.000Z' })
  })

  test('a date-time that is no text, has no offset or lies beyond the allowed skew should be refused', () => {
    expect(container('dateLastEmptying', 1741072500000)).toEqual({ code: 'VALUE_INVALID', message: 'dateLastEmptying must be an ISO 8601 date-time, got 1741072500000', attribute: 'dateLastEmptying' })
    expect(container('dateLastEmptying', '2025-03-04 07:15')).toEqual({ code: 'TIME_INVALID', message: 'dateLastEmptying "2025-03-04 07:15" is not an ISO 8601 date-time with a UTC offset', attribute: 'dateLastEmptying' })
    // Received 09:16:00 with 300 s allowed: 09:21:00 is the last acceptable instant.
    expect(container('dateLastEmptying', '2025-03-04T09:21:00Z')).toMatchObject({ value: '2025-03-04T09:21:00.000Z' })
    expect(container('dateLastEmptying', '2025-03-04T09:21:01Z')).toEqual({
      code: 'TIME_INVALID',
      message: 'dateLastEmptying 2025-03-04T09:21:01.000Z is 301 s after the message was received (allowed: 300 s)',
      attribute: 'dateLastEmptying',
    })
  })
})

describe('structuredReadings', () => {
  const activePower = structuredSpec('ACMeasurement', 'activePower')
  const read = (value: unknown, unit?: unknown): Outcomes => {
    const outcomes: Outcomes = { readings: [], rejections: [] }
    structuredReadings(activePower, observed('activePower', value, unit), ctx, outcomes)
    return outcomes
  }

  test('each phase given should become a reading of its own field, all in the unit given for the attribute', () => {
    const { readings, rejections } = read({ L1: 1.5, L3: 0.5 }, 'KWT')
    expect(rejections).toEqual([])
    expect(readings.map((r) => [r.attribute, r.field, r.value, r.unit, r.sourceUnit])).toEqual([
      ['activePower.L1', 'active_power_l1_w', 1500, 'W', 'KWT'],
      ['activePower.L3', 'active_power_l3_w', 500, 'W', 'KWT'],
    ])
  })

  test('an unknown phase and a bad phase value should be refused by name while the good phases are kept', () => {
    const { readings, rejections } = read({ L1: 100, L9: 1, L2: 'x' })
    expect(readings.map((r) => [r.attribute, r.value])).toEqual([['activePower.L1', 100]])
    expect(rejections).toEqual([
      { code: 'ATTRIBUTE_UNKNOWN', message: 'activePower.L9 is not a phase of activePower (L1, L2, L3)', attribute: 'activePower.L9' },
      { code: 'VALUE_INVALID', message: 'activePower.L2 must be a number, got "x"', attribute: 'activePower.L2' },
    ])
  })

  test('a value that is no object of phases, or one without any phase of its own, should be refused whole', () => {
    expect(read([1, 2]).rejections).toEqual([
      { code: 'VALUE_INVALID', message: 'activePower must be an object of per-phase numbers (L1, L2, L3) or be sent per phase as activePower.<phase>, got [1,2]', attribute: 'activePower' },
    ])
    expect(read(null).rejections.map((r) => r.code)).toEqual(['VALUE_INVALID'])
    expect(read({}).rejections).toEqual([{ code: 'VALUE_INVALID', message: 'activePower has no phase values (L1, L2, L3)', attribute: 'activePower' }])
    // Inherited members are not the payload's: they count as no phase at all.
    const inherited = read(Object.create({ L1: 5 }) as object)
    expect(inherited.readings).toEqual([])
    expect(inherited.rejections.map((r) => r.message)).toEqual(['activePower has no phase values (L1, L2, L3)'])
  })
})

describe('isRejection and collect', () => {
  test('collect should file readings and rejections apart, telling them by their code', () => {
    const outcomes: Outcomes = { readings: [], rejections: [] }
    const good = container('fillingLevel', 0.5) as CanonicalReading
    const bad = container('fillingLevel', 2)
    expect(isRejection(good)).toBe(false)
    expect(isRejection(bad)).toBe(true)
    collect(outcomes, good)
    collect(outcomes, bad)
    expect(outcomes).toEqual({ readings: [good], rejections: [bad] })
  })
})
