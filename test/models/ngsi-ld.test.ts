import { describe, expect, it } from 'vitest'
import { decodeNgsiLd } from '../../models/ngsi-ld.js'
import { canonicalReading } from '../../models/reading.js'
import { decodeContext, receivedAt } from './decode-context.js'

const ctx = decodeContext({ format: 'ngsi-ld' })
const observedAt = Date.parse('2025-03-04T09:15:00Z')
const binId = 'urn:ngsi-ld:WasteContainer:antwerp:bin-0042'
const context = [
  'https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
]

/** data-models §1.1, NGSI-LD keyValues / simplified. */
const keyValuesExample = {
  id: binId,
  type: 'WasteContainer',
  location: { type: 'Point', coordinates: [4.42173, 51.21301] },
  fillingLevel: 0.72,
  cargoWeight: 38.5,
  temperature: 21.4,
  status: 'ok',
  storedWasteKind: 'plastic',
  storedWasteOrigin: 'household',
  category: ['underground'],
  refWasteContainerIsle: 'urn:ngsi-ld:WasteContainerIsle:antwerp:isle-07',
  refDevice: ['urn:ngsi-ld:Device:fill-sensor-0042'],
  dateLastEmptying: '2025-03-03T06:12:00Z',
  '@context': context,
}

/** data-models §1.1, NGSI-LD normalized. */
const normalizedExample = {
  id: binId,
  type: 'WasteContainer',
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [4.42173, 51.21301] } },
  fillingLevel: { type: 'Property', value: 0.72, unitCode: 'C62', observedAt: '2025-03-04T09:15:00Z' },
  cargoWeight: { type: 'Property', value: 38.5, unitCode: 'KGM', observedAt: '2025-03-04T09:15:00Z' },
  temperature: { type: 'Property', value: 21.4, unitCode: 'CEL', observedAt: '2025-03-04T09:15:00Z' },
  status: { type: 'Property', value: 'ok', observedAt: '2025-03-04T09:15:00Z' },
  storedWasteKind: { type: 'Property', value: 'plastic' },
  category: { type: 'Property', value: ['underground'] },
  refWasteContainerIsle: { type: 'Relationship', object: 'urn:ngsi-ld:WasteContainerIsle:antwerp:isle-07' },
  refDevice: { type: 'Relationship', object: ['urn:ngsi-ld:Device:fill-sensor-0042'] },
  dateLastEmptying: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-03T06:12:00Z' } },
  '@context': context,
}

function codes(rejections: readonly { code: string; attribute?: string }[]): [string, string | undefined][] {
  return rejections.map((r) => [r.code, r.attribute])
}

describe('ngsi-ld decoder', () => {
  it('ngsi-ld decoder should decode the data-models §1.1 normalized example with observedAt and unitCode', () => {
    const result = decodeNgsiLd(normalizedExample, ctx)
    expect(result.rejections).toEqual([])
    expect(result).toMatchObject({ format: 'ngsi-ld', entityType: 'WasteContainer', entityId: binId })
    expect(result.readings).toEqual([
      { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.72, unit: 'ratio', time: observedAt, sourceUnit: 'C62' },
      { attribute: 'cargoWeight', measurement: 'waste_container', field: 'cargo_weight_kg', value: 38.5, unit: 'kg', time: observedAt, sourceUnit: 'KGM' },
      { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 21.4, unit: 'Cel', time: observedAt, sourceUnit: 'CEL' },
      { attribute: 'status', measurement: 'waste_container', field: 'status', value: 'ok', unit: '', time: observedAt },
      // No observedAt and no entity time: the receive time.
      { attribute: 'dateLastEmptying', measurement: 'waste_container', field: 'date_last_emptying', value: '2025-03-03T06:12:00.000Z', unit: '', time: receivedAt },
    ])
    for (const reading of result.readings) expect(canonicalReading.safeParse(reading).success).toBe(true)
  })

  it('ngsi-ld decoder should decode the data-models §1.1 keyValues example in the model default units', () => {
    const result = decodeNgsiLd(keyValuesExample, ctx)
    expect(result.rejections).toEqual([])
    expect(result).toMatchObject({ entityType: 'WasteContainer', entityId: binId })
    expect(result.readings).toEqual([
      { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.72, unit: 'ratio', time: receivedAt },
      { attribute: 'cargoWeight', measurement: 'waste_container', field: 'cargo_weight_kg', value: 38.5, unit: 'kg', time: receivedAt },
      { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 21.4, unit: 'Cel', time: receivedAt },
      { attribute: 'status', measurement: 'waste_container', field: 'status', value: 'ok', unit: '', time: receivedAt },
      { attribute: 'dateLastEmptying', measurement: 'waste_container', field: 'date_last_emptying', value: '2025-03-03T06:12:00.000Z', unit: '', time: receivedAt },
    ])
    expect(result.readings.every((r) => r.sourceUnit === undefined)).toBe(true)
  })

  it('ngsi-ld decoder should decode the concise form without @context', () => {
    const result = decodeNgsiLd(
      {
        id: binId,
        type: 'WasteContainer',
        fillingLevel: { value: 0.5, observedAt: '2025-03-04T09:10:00Z' },
        cargoWeight: { value: 1.25, unitCode: 'TNE' },
        temperature: 19,
        refDevice: { object: 'urn:ngsi-ld:Device:fill-sensor-0042' },
        location: { type: 'Point', coordinates: [4.42173, 51.21301] },
      },
      ctx,
    )
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.attribute, r.value, r.unit, r.time, r.sourceUnit])).toEqual([
      ['fillingLevel', 0.5, 'ratio', Date.parse('2025-03-04T09:10:00Z'), undefined],
      ['cargoWeight', 1250, 'kg', receivedAt, 'TNE'],
      ['temperature', 19, 'Cel', receivedAt, undefined],
    ])
  })

  it('ngsi-ld decoder should decode every entity of an array and tag readings with their entity', () => {
    const other = 'urn:ngsi-ld:WasteContainer:antwerp:bin-0043'
    const result = decodeNgsiLd([normalizedExample, { id: other, type: 'WasteContainer', fillingLevel: 0.1 }], ctx)
    expect(result.rejections).toEqual([])
    expect(result.entityType).toBe('WasteContainer')
    expect(result.entityId).toBeUndefined()
    expect(result.readings.map((r) => [r.entityId, r.attribute, r.value])).toEqual([
      [binId, 'fillingLevel', 0.72],
      [binId, 'cargoWeight', 38.5],
      [binId, 'temperature', 21.4],
      [binId, 'status', 'ok'],
      [binId, 'dateLastEmptying', '2025-03-03T06:12:00.000Z'],
      [other, 'fillingLevel', 0.1],
    ])
  })

  it('ngsi-ld decoder should keep the entity id on the result, not on readings, when an array holds one entity', () => {
    const result = decodeNgsiLd([keyValuesExample], ctx)
    expect(result.entityId).toBe(binId)
    expect(result.readings).toHaveLength(5)
    expect(result.readings.every((r) => r.entityId === undefined)).toBe(true)
  })

  it('ngsi-ld decoder should refuse an entity of an unknown type as a whole', () => {
    const result = decodeNgsiLd({ id: 'urn:ngsi-ld:Bench:1', type: 'Bench', fillingLevel: 0.5 }, ctx)
    expect(result.readings).toEqual([])
    expect(result.entityType).toBeUndefined()
    expect(result.rejections).toEqual([{ code: 'ENTITY_TYPE_UNKNOWN', message: expect.stringContaining('"Bench"') as string }])
  })

  it('ngsi-ld decoder should accept a type array naming a known type', () => {
    const result = decodeNgsiLd({ id: binId, type: ['Thing', 'WasteContainer'], fillingLevel: 0.5 }, ctx)
    expect(result.entityType).toBe('WasteContainer')
    expect(result.readings.map((r) => r.value)).toEqual([0.5])
  })

  it.each([
    ['no id', { type: 'WasteContainer', fillingLevel: 0.5 }],
    ['an empty id', { id: '', type: 'WasteContainer', fillingLevel: 0.5 }],
    ['no type', { id: binId, fillingLevel: 0.5 }],
    ['a numeric type', { id: binId, type: 7, fillingLevel: 0.5 }],
  ])('ngsi-ld decoder should refuse an entity with %s as ENTITY_INVALID', (_label, entity) => {
    const result = decodeNgsiLd(entity, ctx)
    expect(result.readings).toEqual([])
    expect(codes(result.rejections)).toEqual([['ENTITY_INVALID', undefined]])
  })

  it('ngsi-ld decoder should refuse an empty array and entities that are not objects', () => {
    expect(codes(decodeNgsiLd([], ctx).rejections)).toEqual([['ENTITY_INVALID', undefined]])
    const mixed = decodeNgsiLd([keyValuesExample, 'bin'], ctx)
    expect(mixed.readings).toHaveLength(5)
    expect(mixed.rejections).toEqual([{ code: 'ENTITY_INVALID', message: 'entity #1 is "bin", not a JSON object' }])
  })

  it('ngsi-ld decoder should refuse fillingLevel 1.7 and keep the other attributes', () => {
    const result = decodeNgsiLd({ ...normalizedExample, fillingLevel: { type: 'Property', value: 1.7, observedAt: '2025-03-04T09:15:00Z' } }, ctx)
    expect(result.rejections).toEqual([{ code: 'VALUE_OUT_OF_RANGE', message: 'fillingLevel 1.7 is outside 0..1 ratio', attribute: 'fillingLevel' }])
    expect(result.readings.map((r) => r.attribute)).toEqual(['cargoWeight', 'temperature', 'status', 'dateLastEmptying'])
  })

  it('ngsi-ld decoder should refuse an unknown unitCode and a unit of the wrong quantity', () => {
    const result = decodeNgsiLd(
      {
        id: binId,
        type: 'WasteContainer',
        cargoWeight: { type: 'Property', value: 38.5, unitCode: 'LBR' },
        temperature: { type: 'Property', value: 21.4, unitCode: 'KGM' },
        fillingLevel: { type: 'Property', value: 0.3, unitCode: 'kgm' },
        methaneConcentration: { type: 'Property', value: 4, unitCode: 59 },
        status: 'ok',
      },
      ctx,
    )
    expect(result.readings.map((r) => r.attribute)).toEqual(['status'])
    expect(result.rejections).toEqual([
      { code: 'UNIT_UNKNOWN', message: 'cargoWeight unit "LBR" is neither a known UN/CEFACT nor a SenML unit code', attribute: 'cargoWeight' },
      { code: 'UNIT_MISMATCH', message: 'temperature measures temperature such as CEL, but "KGM" is a unit of mass', attribute: 'temperature' },
      { code: 'UNIT_UNKNOWN', message: 'fillingLevel unit "kgm" is neither a known UN/CEFACT nor a SenML unit code', attribute: 'fillingLevel' },
      { code: 'UNIT_UNKNOWN', message: 'methaneConcentration unit 59 is not a unit code', attribute: 'methaneConcentration' },
    ])
  })

  it('ngsi-ld decoder should convert P1 percent to a ratio and ppm methane as sent', () => {
    const result = decodeNgsiLd(
      { id: binId, type: 'WasteContainer', fillingLevel: { type: 'Property', value: 72, unitCode: 'P1' }, methaneConcentration: { value: 3.5, unitCode: '59' } },
      ctx,
    )
    expect(result.readings.map((r) => [r.field, r.value, r.unit])).toEqual([
      ['filling_level', 0.72, 'ratio'],
      ['methane_ppm', 3.5, 'ppm'],
    ])
  })

  it('ngsi-ld decoder should refuse observedAt beyond the allowed clock skew, naming the attribute', () => {
    const result = decodeNgsiLd(
      {
        id: binId,
        type: 'WasteContainer',
        fillingLevel: { type: 'Property', value: 0.5, observedAt: '2025-03-04T09:21:00Z' },
        temperature: { type: 'Property', value: 20, observedAt: '2025-03-04T09:21:01Z' },
      },
      ctx,
    )
    expect(result.readings.map((r) => [r.attribute, r.time])).toEqual([['fillingLevel', Date.parse('2025-03-04T09:21:00Z')]])
    expect(result.rejections).toEqual([
      { code: 'TIME_INVALID', message: 'temperature observedAt 2025-03-04T09:21:01.000Z is 301 s after the message was received (allowed: 300 s)', attribute: 'temperature' },
    ])
  })

  it.each(['2025-03-04 09:15:00', '2025-03-04T09:15:00', '2025-02-30T09:15:00Z', 'yesterday', 1741079700000])(
    'ngsi-ld decoder should refuse the unparseable observedAt %s',
    (bad) => {
      const result = decodeNgsiLd({ id: binId, type: 'WasteContainer', fillingLevel: { value: 0.5, observedAt: bad }, cargoWeight: 3 }, ctx)
      expect(result.readings.map((r) => r.attribute)).toEqual(['cargoWeight'])
      expect(codes(result.rejections)).toEqual([['TIME_INVALID', 'fillingLevel']])
    },
  )

  it('ngsi-ld decoder should take observedAt over dateObserved over timeInstant over the receive time', () => {
    const entity = {
      id: binId,
      type: 'WasteContainer',
      timeInstant: '2025-03-04T09:05:00Z',
      dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-04T09:10:00+01:00' } },
      fillingLevel: { value: 0.5, observedAt: '2025-03-04T09:12:00.250Z' },
      cargoWeight: 3,
    }
    const result = decodeNgsiLd(entity, ctx)
    expect(result.rejections).toEqual([])
    expect(result.readings.map((r) => [r.attribute, r.time])).toEqual([
      ['fillingLevel', Date.parse('2025-03-04T09:12:00.250Z')],
      ['cargoWeight', Date.parse('2025-03-04T08:10:00Z')],
    ])
    const { dateObserved: _dateObserved, ...withoutDateObserved } = entity
    expect(decodeNgsiLd(withoutDateObserved, ctx).readings[1]?.time).toBe(Date.parse('2025-03-04T09:05:00Z'))
  })

  it('ngsi-ld decoder should refuse attributes that depend on an invalid dateObserved and keep those with their own observedAt', () => {
    const result = decodeNgsiLd(
      { id: binId, type: 'WasteContainer', dateObserved: '2025-03-04T10:00:00Z', fillingLevel: { value: 0.5, observedAt: '2025-03-04T09:12:00Z' }, cargoWeight: 3 },
      ctx,
    )
    expect(result.readings.map((r) => r.attribute)).toEqual(['fillingLevel'])
    expect(codes(result.rejections)).toEqual([
      ['TIME_INVALID', 'dateObserved'],
      ['TIME_INVALID', 'cargoWeight'],
    ])
  })

  it('ngsi-ld decoder should refuse unknown attributes and skip metadata silently', () => {
    const result = decodeNgsiLd({ ...keyValuesExample, fillLevel: 0.5, binCapacity: 1100, name: 'bin 42', description: 'glass' }, ctx)
    expect(result.readings).toHaveLength(5)
    expect(result.rejections).toEqual([{ code: 'ATTRIBUTE_UNKNOWN', message: 'fillLevel is not an attribute of WasteContainer', attribute: 'fillLevel' }])
  })

  it.each([
    ['a numeric string', '0.5', 'VALUE_INVALID'],
    ['the string NaN', 'NaN', 'VALUE_INVALID'],
    ['null', null, 'VALUE_INVALID'],
    ['a boolean', true, 'VALUE_INVALID'],
    ['an object', { level: 0.5 }, 'VALUE_INVALID'],
    ['a negative number', -0.1, 'VALUE_OUT_OF_RANGE'],
  ])('ngsi-ld decoder should refuse fillingLevel given as %s', (_label, value, code) => {
    const result = decodeNgsiLd({ id: binId, type: 'WasteContainer', fillingLevel: value, cargoWeight: 3 }, ctx)
    expect(result.readings.map((r) => r.attribute)).toEqual(['cargoWeight'])
    expect(codes(result.rejections)).toEqual([[code, 'fillingLevel']])
  })

  it('ngsi-ld decoder should refuse a status outside the enum, a Relationship for a reading and a Property without value', () => {
    const result = decodeNgsiLd(
      {
        id: binId,
        type: 'WasteContainer',
        status: 'onFire',
        temperature: { type: 'Relationship', object: 'urn:ngsi-ld:Sensor:1' },
        cargoWeight: { type: 'Property', unitCode: 'KGM' },
        lidOpen: { type: 'Property', value: 'yes' },
      },
      ctx,
    )
    expect(result.readings).toEqual([])
    expect(result.rejections).toEqual([
      { code: 'VALUE_OUT_OF_RANGE', message: 'status "onFire" is not one of ok, lidOpen, dropped, moved, vandalized, burning, unknown', attribute: 'status' },
      { code: 'VALUE_INVALID', message: 'temperature must be a Property, not a Relationship', attribute: 'temperature' },
      { code: 'VALUE_INVALID', message: 'cargoWeight has no value', attribute: 'cargoWeight' },
      { code: 'VALUE_INVALID', message: 'lidOpen must be true or false, got "yes"', attribute: 'lidOpen' },
    ])
  })

  it('ngsi-ld decoder should read each instance of a multi-instance attribute (datasetId)', () => {
    const result = decodeNgsiLd(
      {
        id: binId,
        type: 'WasteContainer',
        temperature: [
          { type: 'Property', value: 21, observedAt: '2025-03-04T09:14:00Z', datasetId: 'urn:ngsi-ld:Dataset:top' },
          { type: 'Property', value: 250, unitCode: 'KEL', observedAt: '2025-03-04T09:15:00Z', datasetId: 'urn:ngsi-ld:Dataset:bottom' },
          { type: 'Property', value: 'hot', datasetId: 'urn:ngsi-ld:Dataset:side' },
        ],
        fillingLevel: [0.1, 0.2],
      },
      ctx,
    )
    expect(result.readings.map((r) => [r.attribute, r.time])).toEqual([
      ['temperature', Date.parse('2025-03-04T09:14:00Z')],
      ['temperature', Date.parse('2025-03-04T09:15:00Z')],
    ])
    expect(result.readings[0]?.value).toBe(21)
    expect(result.readings[1]?.value).toBeCloseTo(-23.15, 10)
    expect(codes(result.rejections)).toEqual([
      ['VALUE_INVALID', 'temperature'],
      ['VALUE_INVALID', 'fillingLevel'],
      ['VALUE_INVALID', 'fillingLevel'],
    ])
  })

  it('ngsi-ld decoder should store device health attributes of a container in device_health', () => {
    const result = decodeNgsiLd({ id: binId, type: 'WasteContainer', batteryLevel: { value: 87, unitCode: 'P1' }, rssi: -97 }, ctx)
    expect(result.readings.map((r) => [r.measurement, r.field, r.value, r.unit])).toEqual([
      ['device_health', 'battery_level', 0.87, 'ratio'],
      ['device_health', 'rssi_dbm', -97, 'dBm'],
    ])
  })

  it('ngsi-ld decoder should read a DeviceMeasurement numValue in the unit its unit attribute names', () => {
    const result = decodeNgsiLd(
      { id: 'urn:ngsi-ld:DeviceMeasurement:meter-7', type: 'DeviceMeasurement', numValue: 1500, unit: 'WHR', controlledProperty: 'energy', dateObserved: '2025-03-04T09:00:00Z' },
      ctx,
    )
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'numValue', measurement: 'generic_measurement', field: 'value', value: 1.5, unit: 'kWh', time: Date.parse('2025-03-04T09:00:00Z'), sourceUnit: 'WHR' },
    ])
  })
})
