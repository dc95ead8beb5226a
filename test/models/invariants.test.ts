import { describe, expect, test } from 'vitest'
import type { DecodeResult } from '../../models/decoding.js'
import { applyInvariants } from '../../models/invariants.js'
import type { CanonicalReading } from '../../models/reading.js'

const t0 = Date.parse('2025-03-04T10:02:11Z')

const fields: Record<string, string> = { weight: 'net_weight_kg', grossWeight: 'gross_weight_kg', tareWeight: 'tare_weight_kg', direction: 'direction', destination: 'destination' }

function weighing(values: Record<string, number | string>, time = t0, entityId?: string): CanonicalReading[] {
  return Object.entries(values).map(([attribute, value]) => ({
    attribute,
    measurement: 'waste_weighing',
    field: fields[attribute] ?? attribute,
    value,
    unit: typeof value === 'number' ? 'kg' : '',
    time,
    ...(entityId !== undefined ? { entityId } : {}),
  }))
}

const result = (readings: CanonicalReading[], rejections: DecodeResult['rejections'] = []): DecodeResult => ({ format: 'iota-json', entityType: 'WasteObserved', readings, rejections })
const kept = (r: DecodeResult): string[] => r.readings.map((reading) => reading.attribute)
const refused = (r: DecodeResult): [string, string | undefined][] => r.rejections.map((rejection) => [rejection.code, rejection.attribute])

describe('applyInvariants', () => {
  test('a result without readings of a measurement that has rules should come back as it is', () => {
    const container = result([{ attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.4, unit: 'ratio', time: t0 }])
    expect(applyInvariants(container)).toBe(container)
    const consistent = result(weighing({ grossWeight: 14230, tareWeight: 11870, weight: 2360 }))
    expect(applyInvariants(consistent)).toBe(consistent)
  })

  test('the weights should agree to within 1 kg, or 0.1 % of the gross when that is more', () => {
    // 500 kg gross: 1 kg tolerance.
    expect(applyInvariants(result(weighing({ grossWeight: 500, tareWeight: 501 }))).rejections).toEqual([])
    expect(refused(applyInvariants(result(weighing({ grossWeight: 500, tareWeight: 501.5 }))))).toEqual([
      ['VALUE_OUT_OF_RANGE', 'grossWeight'],
      ['VALUE_OUT_OF_RANGE', 'tareWeight'],
    ])
    // 20 000 kg gross: 20 kg tolerance on the net.
    expect(applyInvariants(result(weighing({ grossWeight: 20_000, tareWeight: 18_000, weight: 2020 }))).rejections).toEqual([])
    expect(applyInvariants(result(weighing({ grossWeight: 20_000, tareWeight: 18_000, weight: 2021 }))).rejections.map((r) => r.message)).toEqual([
      'weight refused: weight 2021 kg is not grossWeight − tareWeight = 20000 − 18000 = 2000 kg',
      'grossWeight refused: weight 2021 kg is not grossWeight − tareWeight = 20000 − 18000 = 2000 kg',
      'tareWeight refused: weight 2021 kg is not grossWeight − tareWeight = 20000 − 18000 = 2000 kg',
    ])
  })

  test('without both gross and tare there should be nothing to check the net against', () => {
    expect(applyInvariants(result(weighing({ grossWeight: 100, weight: 5000 }))).rejections).toEqual([])
    expect(applyInvariants(result(weighing({ tareWeight: 100, weight: 5000 }))).rejections).toEqual([])
  })

  test('readings of other instants and other entities should be checked apart and kept when they agree', () => {
    const faulty = weighing({ grossWeight: 1000, tareWeight: 400, weight: 100 }, t0)
    const fine = weighing({ grossWeight: 1000, tareWeight: 400, weight: 600 }, t0 + 60_000)
    const otherEntity = weighing({ grossWeight: 1000, tareWeight: 400 }, t0, 'urn:ngsi-ld:WasteObserved:lane2')
    const checked = applyInvariants(result([...faulty, ...fine, ...otherEntity]))
    expect(checked.readings).toEqual([...fine, ...otherEntity])
    expect(refused(checked)).toEqual([
      ['VALUE_OUT_OF_RANGE', 'weight'],
      ['VALUE_OUT_OF_RANGE', 'grossWeight'],
      ['VALUE_OUT_OF_RANGE', 'tareWeight'],
    ])
  })

  test('a destination should need direction out; the other readings of the weighing stay', () => {
    expect(applyInvariants(result(weighing({ weight: 300, direction: 'out', destination: 'reuse' }))).rejections).toEqual([])
    const withoutDirection = applyInvariants(result(weighing({ weight: 300, destination: 'reuse' })))
    expect(kept(withoutDirection)).toEqual(['weight'])
    expect(withoutDirection.rejections).toEqual([{ code: 'VALUE_INVALID', message: 'destination reuse is given only for an outflow, and this weighing has no direction "out"', attribute: 'destination' }])
  })

  test('the new rejections should follow those the decoder already made', () => {
    const earlier = { code: 'ATTRIBUTE_UNKNOWN' as const, message: 'colour is not an attribute of WasteObserved', attribute: 'colour' }
    const checked = applyInvariants(result(weighing({ direction: 'in', destination: 'landfill' }), [earlier]))
    expect(refused(checked)).toEqual([
      ['ATTRIBUTE_UNKNOWN', 'colour'],
      ['VALUE_INVALID', 'destination'],
    ])
    expect(kept(checked)).toEqual(['direction'])
    expect(checked).toMatchObject({ format: 'iota-json', entityType: 'WasteObserved' })
  })
})
