import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { entityTypes } from '../../models/catalogue.js'
import { decodePayload } from '../../models/decode.js'
import { entitySchemas, type EntityType } from '../../models/entities.js'
import { encodeEntities, encodePayload, envelopeEntityReadings, type NgsiLdEntity } from '../../models/ngsi-ld-encode.js'
import type { CanonicalReading, ReadingEnvelope } from '../../models/reading.js'
import type { MeterType } from '../../models/vocabulary.js'
import { observations } from './arbitraries.js'
import { decodeContext } from './decode-context.js'

const binId = 'urn:ngsi-ld:WasteContainer:antwerp:bin-0042'
/** 2025-03-04T09:15:00Z. */
const t0 = 1741079700000

/** The readings without `sourceUnit`: what an encoding of canonical values can give back. */
function comparable(readings: readonly CanonicalReading[]): Omit<CanonicalReading, 'sourceUnit'>[] {
  return readings
    .map(({ sourceUnit: _sourceUnit, entityId, ...rest }): Omit<CanonicalReading, 'sourceUnit'> => (entityId === undefined ? rest : { ...rest, entityId }))
    .sort((a, b) => a.time - b.time || (a.entityId ?? '').localeCompare(b.entityId ?? '') || a.attribute.localeCompare(b.attribute) || String(a.value).localeCompare(String(b.value)))
}

/** Decoded as a device would send them on `devices/<id>/attrs`: the content says NGSI-LD. */
function decodeEntities(payload: unknown, meterType?: MeterType): ReturnType<typeof decodePayload> {
  const result = decodePayload(Buffer.from(JSON.stringify(payload)), decodeContext({ format: 'auto', ...(meterType !== undefined ? { meterType } : {}) }))
  expect(result.format).toBe('ngsi-ld')
  return result
}

/** The concise form of a normalized entity (ETSI GS CIM 009 4.5.2.3): Properties without `type`. */
function concise(entity: NgsiLdEntity): NgsiLdEntity {
  const out: NgsiLdEntity = { id: entity.id, type: entity.type }
  for (const [name, member] of Object.entries(entity)) {
    if (name === 'id' || name === 'type') continue
    if (name === '@context') {
      out[name] = member
      continue
    }
    const { type: _type, ...rest } = member as Record<string, unknown>
    out[name] = rest
  }
  return out
}

describe('NGSI-LD encoder', () => {
  it('NGSI-LD encoder should write canonical readings as a normalized entity with UN/CEFACT unit codes and observedAt', () => {
    const readings: CanonicalReading[] = [
      { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.72, unit: 'ratio', time: t0, sourceUnit: 'P1' },
      { attribute: 'cargoWeight', measurement: 'waste_container', field: 'cargo_weight_kg', value: 38.5, unit: 'kg', time: t0 },
      { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 21.4, unit: 'Cel', time: t0 },
      { attribute: 'status', measurement: 'waste_container', field: 'status', value: 'ok', unit: '', time: t0 },
      { attribute: 'dateLastEmptying', measurement: 'waste_container', field: 'date_last_emptying', value: '2025-03-03T06:12:00.000Z', unit: '', time: t0 },
      { attribute: 'rssi', measurement: 'device_health', field: 'rssi_dbm', value: -97, unit: 'dBm', time: t0 },
    ]
    const context = 'https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld'
    const at = '2025-03-04T09:15:00.000Z'
    expect(encodePayload({ entityId: binId, entityType: 'WasteContainer', readings }, 'normalized', { context })).toEqual({
      id: binId,
      type: 'WasteContainer',
      fillingLevel: { type: 'Property', value: 0.72, unitCode: 'C62', observedAt: at },
      cargoWeight: { type: 'Property', value: 38.5, unitCode: 'KGM', observedAt: at },
      temperature: { type: 'Property', value: 21.4, unitCode: 'CEL', observedAt: at },
      status: { type: 'Property', value: 'ok', observedAt: at },
      dateLastEmptying: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-03T06:12:00.000Z' }, observedAt: at },
      rssi: { type: 'Property', value: -97, unitCode: 'dBm', observedAt: at },
      '@context': context,
    })
    expect(encodePayload({ entityId: binId, entityType: 'WasteContainer', readings }, 'keyValues')).toEqual({
      id: binId,
      type: 'WasteContainer',
      dateObserved: at,
      fillingLevel: 0.72,
      cargoWeight: 38.5,
      temperature: 21.4,
      status: 'ok',
      dateLastEmptying: '2025-03-03T06:12:00.000Z',
      rssi: -97,
    })
  })

  it('NGSI-LD encoder should gather per-phase readings into StructuredValues and split instants into entities', () => {
    const readings: CanonicalReading[] = [
      { attribute: 'current.L1', measurement: 'energy_ac', field: 'current_l1_a', value: 56.13, unit: 'A', time: t0 + 1000 },
      { attribute: 'activePower.L1', measurement: 'energy_ac', field: 'active_power_l1_w', value: 11996.4, unit: 'W', time: t0 },
      { attribute: 'activePower.L3', measurement: 'energy_ac', field: 'active_power_l3_w', value: 10242.4, unit: 'W', time: t0 },
      { attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value: 150781.96, unit: 'kWh', time: t0 },
    ]
    const id = 'urn:ngsi-ld:ACMeasurement:recyparc-noord:main-meter'
    expect(encodeEntities({ entityId: id, entityType: 'ACMeasurement', readings }, 'normalized')).toEqual([
      {
        id,
        type: 'ACMeasurement',
        activePower: { type: 'Property', value: { L1: 11996.4, L3: 10242.4 }, unitCode: 'WTT', observedAt: '2025-03-04T09:15:00.000Z' },
        totalActiveEnergyImport: { type: 'Property', value: 150781.96, unitCode: 'KWH', observedAt: '2025-03-04T09:15:00.000Z' },
      },
      { id, type: 'ACMeasurement', current: { type: 'Property', value: { L1: 56.13 }, unitCode: 'AMP', observedAt: '2025-03-04T09:15:01.000Z' } },
    ])
    expect(encodeEntities({ entityId: id, entityType: 'ACMeasurement', readings }, 'keyValues')).toEqual([
      { id, type: 'ACMeasurement', dateObserved: '2025-03-04T09:15:00.000Z', activePower: { L1: 11996.4, L3: 10242.4 }, totalActiveEnergyImport: 150781.96 },
      { id, type: 'ACMeasurement', dateObserved: '2025-03-04T09:15:01.000Z', current: { L1: 56.13 } },
    ])
  })

  it('NGSI-LD encoder should name an envelope entity after its payload, else after the device', () => {
    const envelope: ReadingEnvelope = {
      schema: 'circular.readings/v1',
      tenant: 'antwerp',
      site: 'depot',
      deviceId: 'gas-1',
      kind: 'gas_meter',
      format: 'senml',
      receivedAt: t0,
      source: { topic: 'raw', partition: 0, offset: '1' },
      readings: [{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 1520.25, unit: 'm3', time: t0 }],
    }
    expect(envelopeEntityReadings(envelope)).toMatchObject({ entityId: 'urn:ngsi-ld:SmartMeteringObservation:antwerp:gas-1', entityType: 'SmartMeteringObservation' })
    expect(envelopeEntityReadings({ ...envelope, entityType: 'SmartMeteringObservation', entityId: 'urn:x' }).entityId).toBe('urn:x')
    expect(encodePayload(envelopeEntityReadings(envelope), 'normalized')).toMatchObject({ totalConsumption: { value: 1520.25, unitCode: 'MTQ' } })
  })

  it('NGSI-LD encoder should refuse readings of an attribute the entity type does not have', () => {
    const readings: CanonicalReading[] = [{ attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: 0.5, unit: 'ratio', time: t0 }]
    expect(() => encodeEntities({ entityId: 'urn:x', entityType: 'ACMeasurement', readings }, 'normalized')).toThrow(/fillingLevel/)
    expect(() => encodeEntities({ entityId: 'urn:x', entityType: 'Bench', readings }, 'normalized')).toThrow(/Bench/)
  })
})

describe('NGSI-LD round trips', () => {
  // Gas and water meters send registers in m³; the others in the model's default units.
  const cases: { type: string; meterType?: MeterType }[] = entityTypes.map((type) => ({ type, ...(type === 'SmartMeteringObservation' ? { meterType: 'heat' as const } : {}) }))
  cases.push({ type: 'SmartMeteringObservation', meterType: 'gas' })

  it.each(cases)('decode(encode(x)) should give x back for random $type readings (meter type $meterType), normalized, concise and keyValues', ({ type, meterType }) => {
    const flavour = meterType !== undefined ? { meterType } : {}
    fc.assert(
      fc.property(observations(type, flavour), fc.boolean(), (readings, withContext) => {
        const input = { entityId: `urn:ngsi-ld:${type}:x`, entityType: type, readings }
        const options = withContext ? { context: ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld'] } : {}
        const normalized = encodeEntities(input, 'normalized', options)
        const keyValues = encodeEntities(input, 'keyValues', options)
        for (const [label, payload] of [
          ['normalized', normalized],
          ['concise', normalized.map((entity) => concise(entity))],
          ['keyValues', keyValues],
        ] as const) {
          const decoded = decodeEntities(payload.length === 1 ? payload[0] : payload, meterType)
          expect(decoded.rejections, label).toEqual([])
          expect(comparable(decoded.readings), label).toEqual(comparable(readings))
        }
        for (const entity of keyValues) expect(entitySchemas[type as EntityType].safeParse(entity).success).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('decode(encode(x)) should keep readings of several entities apart', () => {
    const twoBins = fc.tuple(observations('WasteContainer', {}, { entityId: 'urn:bin:1', maxTimes: 2 }), observations('WasteContainer', {}, { entityId: 'urn:bin:2', maxTimes: 2 }))
    fc.assert(
      fc.property(twoBins, ([first, second]) => {
        const readings = [...first, ...second]
        for (const representation of ['normalized', 'keyValues'] as const) {
          const decoded = decodeEntities(encodeEntities({ entityId: 'urn:unused', entityType: 'WasteContainer', readings }, representation))
          expect(decoded.rejections).toEqual([])
          expect(comparable(decoded.readings)).toEqual(comparable(readings))
        }
      }),
      { numRuns: 500 },
    )
  })
})
