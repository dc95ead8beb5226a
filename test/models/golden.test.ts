import { describe, expect, it } from 'vitest'
import { decodePayload } from '../../models/decode.js'
import type { DecodeContext } from '../../models/decoding.js'
import { canonicalReading } from '../../models/reading.js'
import { decodeContext } from './decode-context.js'

/**
 * Golden cases: one payload per data model and per format, with the canonical readings written
 * out by hand from the specs (data-models §1.4–§1.6, §3, §6; RFC 8428; the unit registries) —
 * values, fields, units and times in ms — not produced by the code under test.
 */

/** 2025-03-04T10:05:00Z: a few minutes after the observations below. */
const receivedAt = 1741082700000
/** 2025-03-04T10:02:11Z, the data-models §1.4 weighing. */
const weighedAt = 1741082531000
/** 2025-03-04T10:00:00Z, the data-models §1.5 meter reading. */
const meteredAt = 1741082400000
/** 2025-03-04T09:00:00Z. */
const nineOClock = 1741078800000

function ctx(overrides: Partial<DecodeContext>): DecodeContext {
  return decodeContext({ receivedAt, ...overrides })
}

function decode(payload: unknown, context: DecodeContext): ReturnType<typeof decodePayload> {
  const result = decodePayload(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), context)
  for (const reading of result.readings) expect(canonicalReading.safeParse(reading).success, reading.attribute).toBe(true)
  return result
}

describe('golden payloads', () => {
  it('golden: WasteObserved, NGSI-LD normalized (data-models §1.4) with the material-flow extension', () => {
    const entity = {
      id: 'urn:ngsi-ld:WasteObserved:recyparc-noord:2025-03-04T10:02:11Z:lane1',
      type: 'WasteObserved',
      dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-04T10:02:11Z' } },
      grossWeight: { type: 'Property', value: 14230, unitCode: 'KGM', observedAt: '2025-03-04T10:02:11Z' },
      tareWeight: { type: 'Property', value: 11870, unitCode: 'KGM', observedAt: '2025-03-04T10:02:11Z' },
      weight: { type: 'Property', value: 2360, unitCode: 'KGM', observedAt: '2025-03-04T10:02:11Z' },
      storedWasteCode: { type: 'Property', value: '200139' },
      storedWasteKind: { type: 'Property', value: 'plastic' },
      direction: { type: 'Property', value: 'out' },
      destination: { type: 'Property', value: 'recycling' },
      refWeighingDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:weighbridge-lane1' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [4.4031, 51.2442] } },
      '@context': ['https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld'],
    }
    const result = decode(entity, ctx({ kind: 'weighing_device', format: 'ngsi-ld' }))
    expect(result.rejections).toEqual([])
    expect(result).toMatchObject({ format: 'ngsi-ld', entityType: 'WasteObserved', entityId: entity.id })
    expect(result.readings).toEqual([
      { attribute: 'grossWeight', measurement: 'waste_weighing', field: 'gross_weight_kg', value: 14230, unit: 'kg', time: weighedAt, sourceUnit: 'KGM' },
      { attribute: 'tareWeight', measurement: 'waste_weighing', field: 'tare_weight_kg', value: 11870, unit: 'kg', time: weighedAt, sourceUnit: 'KGM' },
      { attribute: 'weight', measurement: 'waste_weighing', field: 'net_weight_kg', value: 2360, unit: 'kg', time: weighedAt, sourceUnit: 'KGM' },
      { attribute: 'storedWasteCode', measurement: 'waste_weighing', field: 'waste_code', value: '20 01 39', unit: '', time: weighedAt },
      { attribute: 'storedWasteKind', measurement: 'waste_weighing', field: 'stored_waste_kind', value: 'plastic', unit: '', time: weighedAt },
      { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: 'out', unit: '', time: weighedAt },
      { attribute: 'destination', measurement: 'waste_weighing', field: 'destination', value: 'recycling', unit: '', time: weighedAt },
    ])
  })

  it('golden: ACMeasurement three-phase, NGSI-LD keyValues (data-models §1.5), per-phase objects flattened to fields', () => {
    const entity = {
      id: 'urn:ngsi-ld:ACMeasurement:recyparc-noord:main-meter',
      type: 'ACMeasurement',
      phaseType: 'threePhase',
      dateObserved: '2025-03-04T10:00:00Z',
      location: { type: 'Point', coordinates: [4.4031, 51.2442] },
      activePower: { L1: 11996.4, L2: 9461.5, L3: 10242.4 },
      totalActivePower: 31700.3,
      totalActiveEnergyImport: 150781.96,
      phaseVoltage: { L1: 234.96, L2: 234.56, L3: 235.35 },
      current: { L1: 56.13, L2: 45.89, L3: 50.87, N: 0.0 },
      frequency: 50.02,
      powerFactor: { L1: 0.909, L2: 0.88, L3: 0.859 },
      refDevice: ['urn:ngsi-ld:Device:meter-0007'],
      '@context': ['https://raw.githubusercontent.com/smart-data-models/dataModel.Energy/master/context.jsonld'],
    }
    const result = decode(entity, ctx({ kind: 'energy_meter', format: 'ngsi-ld' }))
    expect(result.rejections).toEqual([])
    expect(result.entityType).toBe('ACMeasurement')
    const m = 'energy_ac'
    const t = meteredAt
    expect(result.readings).toEqual([
      { attribute: 'phaseType', measurement: m, field: 'phase_type', value: 'threePhase', unit: '', time: t },
      { attribute: 'activePower.L1', measurement: m, field: 'active_power_l1_w', value: 11996.4, unit: 'W', time: t },
      { attribute: 'activePower.L2', measurement: m, field: 'active_power_l2_w', value: 9461.5, unit: 'W', time: t },
      { attribute: 'activePower.L3', measurement: m, field: 'active_power_l3_w', value: 10242.4, unit: 'W', time: t },
      { attribute: 'totalActivePower', measurement: m, field: 'total_active_power_w', value: 31700.3, unit: 'W', time: t },
      { attribute: 'totalActiveEnergyImport', measurement: m, field: 'total_active_energy_import_kwh', value: 150781.96, unit: 'kWh', time: t },
      { attribute: 'phaseVoltage.L1', measurement: m, field: 'phase_voltage_l1_v', value: 234.96, unit: 'V', time: t },
      { attribute: 'phaseVoltage.L2', measurement: m, field: 'phase_voltage_l2_v', value: 234.56, unit: 'V', time: t },
      { attribute: 'phaseVoltage.L3', measurement: m, field: 'phase_voltage_l3_v', value: 235.35, unit: 'V', time: t },
      { attribute: 'current.L1', measurement: m, field: 'current_l1_a', value: 56.13, unit: 'A', time: t },
      { attribute: 'current.L2', measurement: m, field: 'current_l2_a', value: 45.89, unit: 'A', time: t },
      { attribute: 'current.L3', measurement: m, field: 'current_l3_a', value: 50.87, unit: 'A', time: t },
      { attribute: 'current.N', measurement: m, field: 'current_n_a', value: 0, unit: 'A', time: t },
      { attribute: 'frequency', measurement: m, field: 'frequency_hz', value: 50.02, unit: 'Hz', time: t },
      { attribute: 'powerFactor.L1', measurement: m, field: 'power_factor_l1', value: 0.909, unit: 'ratio', time: t },
      { attribute: 'powerFactor.L2', measurement: m, field: 'power_factor_l2', value: 0.88, unit: 'ratio', time: t },
      { attribute: 'powerFactor.L3', measurement: m, field: 'power_factor_l3', value: 0.859, unit: 'ratio', time: t },
    ])
  })

  it('golden: ACMeasurement single-phase, NGSI-LD normalized with sub-properties, kW and MWh converted', () => {
    const entity = {
      id: 'urn:ngsi-ld:ACMeasurement:depot-north:kiosk',
      type: 'ACMeasurement',
      phaseType: { type: 'Property', value: 'singlePhase' },
      activePower: {
        type: 'Property',
        value: { L1: 1.5 },
        unitCode: 'KWT',
        observedAt: '2025-03-04T10:00:00Z',
        measurementType: { type: 'Property', value: 'average' },
        measurementInterval: { type: 'Property', value: 1 },
      },
      totalActiveEnergyImport: { type: 'Property', value: 150.78196, unitCode: 'MWH', observedAt: '2025-03-04T10:00:00Z' },
      thdVoltage: { type: 'Property', value: { L1: 3.5 }, unitCode: 'P1', observedAt: '2025-03-04T10:00:00Z' },
      refTargetDevice: { type: 'Relationship', object: ['urn:ngsi-ld:Device:compactor-1'] },
    }
    const result = decode(entity, ctx({ kind: 'energy_meter', format: 'ngsi-ld' }))
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'phaseType', measurement: 'energy_ac', field: 'phase_type', value: 'singlePhase', unit: '', time: receivedAt },
      { attribute: 'activePower.L1', measurement: 'energy_ac', field: 'active_power_l1_w', value: 1500, unit: 'W', time: meteredAt, sourceUnit: 'KWT' },
      { attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value: 150781.96, unit: 'kWh', time: meteredAt, sourceUnit: 'MWH' },
      { attribute: 'thdVoltage.L1', measurement: 'energy_ac', field: 'thd_voltage_l1', value: 0.035, unit: 'ratio', time: meteredAt, sourceUnit: 'P1' },
    ])
  })

  it('golden: SmartMeteringObservation heat meter, NGSI-LD concise without @context: kWh register', () => {
    const entity = {
      id: 'urn:ngsi-ld:SmartMeteringObservation:depot-north:heat-1',
      type: 'SmartMeteringObservation',
      meterType: 'Heat',
      totalConsumption: { value: 48250.5, unitCode: 'KWH', observedAt: '2025-03-04T09:00:00Z' },
      peakConsumption: { value: 3100, unitCode: 'WHR', observedAt: '2025-03-04T09:00:00Z' },
      powerFactor: 0.98,
      refDevice: { object: 'urn:ngsi-ld:Device:heat-1' },
    }
    const result = decode(entity, ctx({ kind: 'heat_meter', meterType: 'heat', format: 'ngsi-ld' }))
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_kwh', value: 48250.5, unit: 'kWh', time: nineOClock, sourceUnit: 'KWH' },
      { attribute: 'peakConsumption', measurement: 'utility_meter', field: 'peak_consumption_kwh', value: 3.1, unit: 'kWh', time: nineOClock, sourceUnit: 'WHR' },
      { attribute: 'powerFactor', measurement: 'utility_meter', field: 'power_factor', value: 0.98, unit: 'ratio', time: receivedAt },
    ])
  })

  it('golden: SmartMeteringObservation gas meter, IoT Agent JSON: a bare register is m³ by the registered meter type; litres converted', () => {
    const gas = ctx({ kind: 'gas_meter', meterType: 'gas', format: 'iota-json', topic: '/json/antwerp/gas-1/attrs' })
    const result = decode({ totalConsumption: 1520.25, TimeInstant: '2025-03-04T09:00:00Z' }, gas)
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 1520.25, unit: 'm3', time: nineOClock }])

    const single = decode('1520.5', { ...gas, topic: '/json/antwerp/gas-1/attrs/totalConsumption' })
    expect(single.readings).toEqual([{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 1520.5, unit: 'm3', time: receivedAt }])

    const litres = decode({ id: 'urn:ngsi-ld:SmartMeteringObservation:gas-1', type: 'SmartMeteringObservation', totalConsumption: { value: 2500, unitCode: 'LTR' } }, { ...gas, format: 'ngsi-ld' })
    expect(litres.readings).toEqual([{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 2.5, unit: 'm3', time: receivedAt, sourceUnit: 'LTR' }])
  })

  it('golden: ACMeasurement over SenML: per-phase names, secondary units with bver 26, and an energy register from a sum in W·s', () => {
    const pack = [
      { bver: 26, bn: 'urn:dev:meter-0007:', bt: 1741082400, n: 'activePower.L1', u: 'kW', v: 11.9964 },
      { n: 'phaseVoltage.L1', u: 'V', v: 234.96 },
      { n: 'current.N', u: 'mA', v: 250 },
      // RFC 8428 §4.2: the sum is in the unit × seconds: 5.4e11 W·s = 5.4e11 J = 150 000 kWh.
      { n: 'totalActiveEnergyImport', u: 'W', s: 5.4e11 },
      { n: 'totalActiveEnergyExport', u: 'kWh', v: 12.5 },
    ]
    const result = decode(pack, ctx({ kind: 'energy_meter', format: 'senml' }))
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'activePower.L1', measurement: 'energy_ac', field: 'active_power_l1_w', value: 11996.4, unit: 'W', time: meteredAt, sourceUnit: 'kW' },
      { attribute: 'phaseVoltage.L1', measurement: 'energy_ac', field: 'phase_voltage_l1_v', value: 234.96, unit: 'V', time: meteredAt, sourceUnit: 'V' },
      { attribute: 'current.N', measurement: 'energy_ac', field: 'current_n_a', value: 0.25, unit: 'A', time: meteredAt, sourceUnit: 'mA' },
      { attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value: 150000, unit: 'kWh', time: meteredAt, sourceUnit: 'W·s' },
      { attribute: 'totalActiveEnergyExport', measurement: 'energy_ac', field: 'total_active_energy_export_kwh', value: 12.5, unit: 'kWh', time: meteredAt, sourceUnit: 'kWh' },
    ])
  })

  it('golden: heat and gas registers over SenML sums: W·s → kWh, l/s·s → m³', () => {
    const heat = decode([{ bn: 'urn:dev:heat-1:', bt: 1741078800, n: 'totalConsumption', u: 'W', s: 1.8e11 }], ctx({ kind: 'heat_meter', meterType: 'heat', format: 'senml' }))
    expect(heat.rejections).toEqual([])
    expect(heat.readings).toEqual([{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_kwh', value: 50000, unit: 'kWh', time: nineOClock, sourceUnit: 'W·s' }])
    const gas = decode([{ bn: 'urn:dev:gas-1:', bt: 1741078800, bs: 2000, n: 'totalConsumption', u: 'l/s', s: 500 }], ctx({ kind: 'gas_meter', meterType: 'gas', format: 'senml' }))
    expect(gas.rejections).toEqual([])
    expect(gas.readings).toEqual([{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_m3', value: 2.5, unit: 'm3', time: nineOClock, sourceUnit: 'l/s·s' }])
  })

  it('golden: WasteObserved over Ultralight 2.0 with a timestamped group', () => {
    const ul = ctx({ kind: 'weighing_device', format: 'ultralight', topic: '/ul/antwerp/scale-1/attrs' })
    const result = decode('2025-03-04T10:02:11Z|grossWeight|14230|tareWeight|11870|weight|2360|storedWasteKind|glass|storedWasteCode|20 01 02|direction|in', ul)
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'grossWeight', measurement: 'waste_weighing', field: 'gross_weight_kg', value: 14230, unit: 'kg', time: weighedAt },
      { attribute: 'tareWeight', measurement: 'waste_weighing', field: 'tare_weight_kg', value: 11870, unit: 'kg', time: weighedAt },
      { attribute: 'weight', measurement: 'waste_weighing', field: 'net_weight_kg', value: 2360, unit: 'kg', time: weighedAt },
      { attribute: 'storedWasteKind', measurement: 'waste_weighing', field: 'stored_waste_kind', value: 'glass', unit: '', time: weighedAt },
      { attribute: 'storedWasteCode', measurement: 'waste_weighing', field: 'waste_code', value: '20 01 02', unit: '', time: weighedAt },
      { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: 'in', unit: '', time: weighedAt },
    ])
  })

  it('golden: Device health, NGSI-LD normalized, and over Ultralight on a container', () => {
    const device = {
      id: 'urn:ngsi-ld:Device:fill-sensor-0042',
      type: 'Device',
      controlledProperty: { type: 'Property', value: ['fillingLevel', 'temperature'] },
      batteryLevel: { type: 'Property', value: 0.87, observedAt: '2025-03-04T09:00:00Z' },
      rssi: { type: 'Property', value: -97, observedAt: '2025-03-04T09:00:00Z' },
      deviceState: { type: 'Property', value: 'ok', observedAt: '2025-03-04T09:00:00Z' },
      dateLastValueReported: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-04T08:59:30Z' }, observedAt: '2025-03-04T09:00:00Z' },
    }
    const result = decode(device, ctx({ format: 'ngsi-ld' }))
    expect(result.rejections).toEqual([])
    expect(result.readings).toEqual([
      { attribute: 'batteryLevel', measurement: 'device_health', field: 'battery_level', value: 0.87, unit: 'ratio', time: nineOClock },
      { attribute: 'rssi', measurement: 'device_health', field: 'rssi_dbm', value: -97, unit: 'dBm', time: nineOClock },
      { attribute: 'deviceState', measurement: 'device_health', field: 'device_state', value: 'ok', unit: '', time: nineOClock },
      { attribute: 'dateLastValueReported', measurement: 'device_health', field: 'last_value_reported', value: '2025-03-04T08:59:30.000Z', unit: '', time: nineOClock },
    ])

    const ul = decode('batteryLevel|0.5|rssi|-112.5', ctx({ format: 'ultralight', topic: '/ul/antwerp/bin-0042/attrs' }))
    expect(ul.readings).toEqual([
      { attribute: 'batteryLevel', measurement: 'device_health', field: 'battery_level', value: 0.5, unit: 'ratio', time: receivedAt },
      { attribute: 'rssi', measurement: 'device_health', field: 'rssi_dbm', value: -112.5, unit: 'dBm', time: receivedAt },
    ])
  })

  it('golden: DeviceMeasurement, NGSI-LD keyValues with its unit attribute; IoT Agent JSON per-phase object on a meter', () => {
    const measurement = decode(
      { id: 'urn:ngsi-ld:DeviceMeasurement:shredder-1:temp', type: 'DeviceMeasurement', numValue: 294.15, unit: 'KEL', controlledProperty: 'temperature', dateObserved: '2025-03-04T09:00:00Z' },
      ctx({ kind: 'generic', format: 'ngsi-ld' }),
    )
    expect(measurement.rejections).toEqual([])
    expect(measurement.readings).toHaveLength(1)
    expect(measurement.readings[0]).toMatchObject({ attribute: 'numValue', measurement: 'generic_measurement', field: 'value', unit: 'Cel', time: nineOClock, sourceUnit: 'KEL' })
    expect(measurement.readings[0]?.value).toBeCloseTo(21, 10)

    const meter = decode({ current: { L1: 5.2, N: 0.1 }, 'phaseVoltage.L2': 231 }, ctx({ kind: 'energy_meter', format: 'iota-json', topic: '/json/antwerp/meter-1/attrs' }))
    expect(meter.rejections).toEqual([])
    expect(meter.readings).toEqual([
      { attribute: 'current.L1', measurement: 'energy_ac', field: 'current_l1_a', value: 5.2, unit: 'A', time: receivedAt },
      { attribute: 'current.N', measurement: 'energy_ac', field: 'current_n_a', value: 0.1, unit: 'A', time: receivedAt },
      { attribute: 'phaseVoltage.L2', measurement: 'energy_ac', field: 'phase_voltage_l2_v', value: 231, unit: 'V', time: receivedAt },
    ])
  })
})

describe('golden rejections', () => {
  it('golden: a weighing whose weights disagree is refused whole; a destination needs direction out; a malformed List of Waste code is refused', () => {
    const scale = ctx({ kind: 'weighing_device', format: 'iota-json', topic: '/json/antwerp/scale-1/attrs' })
    const result = decode({ grossWeight: 14230, tareWeight: 11870, weight: 2000, direction: 'in', destination: 'landfill', storedWasteCode: '20-01-39' }, scale)
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([['direction', 'in']])
    expect(result.rejections).toEqual([
      { code: 'VALUE_INVALID', message: 'storedWasteCode "20-01-39" is not a List of Waste code such as "20 01 39" or "200133*"', attribute: 'storedWasteCode' },
      { code: 'VALUE_OUT_OF_RANGE', message: 'weight refused: weight 2000 kg is not grossWeight − tareWeight = 14230 − 11870 = 2360 kg', attribute: 'weight' },
      { code: 'VALUE_OUT_OF_RANGE', message: 'grossWeight refused: weight 2000 kg is not grossWeight − tareWeight = 14230 − 11870 = 2360 kg', attribute: 'grossWeight' },
      { code: 'VALUE_OUT_OF_RANGE', message: 'tareWeight refused: weight 2000 kg is not grossWeight − tareWeight = 14230 − 11870 = 2360 kg', attribute: 'tareWeight' },
      { code: 'VALUE_INVALID', message: 'destination landfill is given only for an outflow, and this weighing has no direction "out"', attribute: 'destination' },
    ])
  })

  it('golden: a tare above the gross is refused beyond the display rounding, and tolerated within it', () => {
    const scale = ctx({ kind: 'weighing_device', format: 'iota-json', topic: '/json/antwerp/scale-1/attrs' })
    const refused = decode({ grossWeight: 11870, tareWeight: 14230 }, scale)
    expect(refused.readings).toEqual([])
    expect(refused.rejections.map((r) => [r.code, r.attribute, r.message])).toEqual([
      ['VALUE_OUT_OF_RANGE', 'grossWeight', 'grossWeight refused: tareWeight 14230 kg exceeds grossWeight 11870 kg'],
      ['VALUE_OUT_OF_RANGE', 'tareWeight', 'tareWeight refused: tareWeight 14230 kg exceeds grossWeight 11870 kg'],
    ])
    expect(decode({ grossWeight: 11870, tareWeight: 11870.5, weight: 0 }, scale).rejections).toEqual([])
  })

  it('golden: meter faults are refused naming the attribute', () => {
    const meter = ctx({ kind: 'energy_meter', format: 'ngsi-ld' })
    const result = decode(
      {
        id: 'urn:ngsi-ld:ACMeasurement:m',
        type: 'ACMeasurement',
        activePower: { L1: 10, L4: 3 },
        powerFactor: { L1: 1.2 },
        totalActiveEnergyImport: { value: 5, unitCode: 'WTT' },
        current: 7,
        phaseType: 'twoPhase',
      },
      meter,
    )
    expect(result.readings.map((r) => r.attribute)).toEqual(['activePower.L1'])
    expect(result.rejections).toEqual([
      { code: 'ATTRIBUTE_UNKNOWN', message: 'activePower.L4 is not a phase of activePower (L1, L2, L3)', attribute: 'activePower.L4' },
      { code: 'VALUE_OUT_OF_RANGE', message: 'powerFactor.L1 1.2 is outside -1..1 ratio', attribute: 'powerFactor.L1' },
      { code: 'UNIT_MISMATCH', message: 'totalActiveEnergyImport measures energy such as KWH, but "WTT" is a unit of power', attribute: 'totalActiveEnergyImport' },
      { code: 'VALUE_INVALID', message: 'current must be an object of per-phase numbers (L1, L2, L3, N) or be sent per phase as current.<phase>, got 7', attribute: 'current' },
      { code: 'VALUE_OUT_OF_RANGE', message: 'phaseType "twoPhase" is not one of singlePhase, threePhase', attribute: 'phaseType' },
    ])

    const bare = decode({ totalConsumption: 12 }, ctx({ kind: 'generic', format: 'iota-json' }))
    expect(bare.rejections.map((r) => [r.code, r.attribute])).toEqual([['ATTRIBUTE_UNKNOWN', 'totalConsumption']])
    const noMeterType = decode({ id: 'urn:x', type: 'SmartMeteringObservation', totalConsumption: 12 }, ctx({ kind: 'generic', format: 'ngsi-ld' }))
    expect(noMeterType.rejections).toEqual([
      { code: 'UNIT_UNKNOWN', message: "totalConsumption has no unit: give a unit code (e.g. KWH, MTQ) or register the meter's type", attribute: 'totalConsumption' },
    ])
  })

  it('golden: SenML sums that are no register integral, per-phase attributes named whole, and an unknown battery level are refused', () => {
    const meter = ctx({ kind: 'energy_meter', format: 'senml' })
    const result = decode(
      [
        { bn: 'urn:dev:m:', n: 'totalActiveEnergyImport', u: 'kWh', s: 10 },
        { n: 'totalActiveEnergyImport', s: 10 },
        { n: 'activePower', u: 'W', v: 10 },
        { n: 'batteryLevel', v: -1 },
        { n: 'frequency', u: 'Hz', v: 50, s: 3000 },
      ],
      meter,
    )
    expect(result.readings.map((r) => [r.attribute, r.value])).toEqual([['frequency', 50]])
    expect(result.rejections).toEqual([
      { code: 'UNIT_MISMATCH', message: 'totalActiveEnergyImport sum s is in kWh·s, which is no integral the platform knows; give the rate in W, kW, var, VA or m3/s', attribute: 'totalActiveEnergyImport' },
      {
        code: 'UNIT_UNKNOWN',
        message: "totalActiveEnergyImport sum s has no unit: it is in the record's unit (u or bu, a rate such as W, kW, var, VA or m3/s) times seconds (RFC 8428 §4.2)",
        attribute: 'totalActiveEnergyImport',
      },
      { code: 'VALUE_INVALID', message: 'activePower has one value per phase: name the records activePower.L1, activePower.L2, activePower.L3', attribute: 'activePower' },
      { code: 'VALUE_INVALID', message: 'batteryLevel -1 means "cannot be determined" in the data model; there is nothing to store', attribute: 'batteryLevel' },
      { code: 'VALUE_INVALID', message: 'frequency carries a sum (s), but only cumulative registers (such as totalActiveEnergyImport) take one; the sum is not stored', attribute: 'frequency' },
    ])
  })
})
