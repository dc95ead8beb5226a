import { describe, expect, it } from 'vitest'
import { entityTypeForKind, entityTypes, lookupEntityModel, meterTypeForKind, storedFields } from '../../models/catalogue.js'
import type { DeviceKind } from '../../models/reading.js'

const storageName = /^[a-z][a-z0-9_]*$/

describe('attribute catalogue', () => {
  it('attribute catalogue should describe WasteContainer readings with their field, quantity, range and default unit', () => {
    const model = lookupEntityModel('WasteContainer')
    expect(model?.type).toBe('WasteContainer')
    expect(model?.attributes.get('fillingLevel')).toMatchObject({ role: 'reading', measurement: 'waste_container', field: 'filling_level', valueType: 'number', quantity: 'ratio', min: 0, max: 1, defaultUnit: { code: 'C62' } })
    expect(model?.attributes.get('cargoWeight')).toMatchObject({ field: 'cargo_weight_kg', quantity: 'mass', min: 0, max: 100_000, defaultUnit: { code: 'KGM' } })
    expect(model?.attributes.get('temperature')).toMatchObject({ field: 'temperature_c', quantity: 'temperature', min: -60, max: 1200, defaultUnit: { code: 'CEL' } })
    expect(model?.attributes.get('methaneConcentration')).toMatchObject({ field: 'methane_ppm', quantity: 'concentration', min: 0, defaultUnit: { code: '59' } })
    expect(model?.attributes.get('status')).toMatchObject({ field: 'status', valueType: 'string', allowed: new Set(['ok', 'lidOpen', 'dropped', 'moved', 'vandalized', 'burning', 'unknown']) })
    expect(model?.attributes.get('batteryLevel')).toMatchObject({ measurement: 'device_health', field: 'battery_level', quantity: 'ratio', min: 0, max: 1 })
    expect(model?.attributes.get('rssi')).toMatchObject({ measurement: 'device_health', field: 'rssi_dbm', quantity: 'signal' })
  })

  it('attribute catalogue should list descriptive attributes as metadata and know nothing else', () => {
    const model = lookupEntityModel('WasteContainer')
    for (const name of ['id', 'type', '@context', 'location', 'category', 'storedWasteKind', 'refDevice', 'refWasteContainerIsle', 'name', 'description', 'address', 'dateObserved', 'timeInstant']) {
      expect(model?.attributes.get(name), name).toEqual({ role: 'metadata' })
    }
    for (const name of ['fillLevel', 'constructor', '__proto__', 'toString', 'weight']) expect(model?.attributes.get(name), name).toBeUndefined()
    expect(model?.timeAttributes).toEqual(['dateObserved', 'binLoggedTime', 'timeInstant', 'TimeInstant'])
  })

  it('attribute catalogue should use storage-safe measurement and field names, one field per measurement', () => {
    for (const type of entityTypes) {
      const fields = new Map<string, string>()
      for (const [name, spec] of lookupEntityModel(type)?.attributes ?? []) {
        if (spec.role !== 'reading') continue
        expect(spec.measurement, `${type}.${name}`).toMatch(storageName)
        expect(spec.field, `${type}.${name}`).toMatch(storageName)
        const key = `${spec.measurement}.${spec.field}`
        // Only aliases of one reading (batteryLevel / battery) may share a field.
        if (fields.has(key)) expect([fields.get(key), name].sort(), key).toEqual(['battery', 'batteryLevel'])
        fields.set(key, name)
      }
    }
  })

  it('attribute catalogue should map device kinds to the entity type their payloads follow', () => {
    const expected: Record<DeviceKind, string> = {
      waste_container: 'WasteContainer',
      weighing_device: 'WasteObserved',
      energy_meter: 'ACMeasurement',
      heat_meter: 'SmartMeteringObservation',
      gas_meter: 'SmartMeteringObservation',
      generic: 'DeviceMeasurement',
    }
    for (const [kind, type] of Object.entries(expected)) {
      expect(entityTypeForKind(kind as DeviceKind)).toBe(type)
      expect(lookupEntityModel(type)?.type).toBe(type)
    }
    expect(entityTypeForKind('toString' as DeviceKind)).toBeUndefined()
  })

  it('attribute catalogue should not know entity types outside it', () => {
    expect(lookupEntityModel('Bench')).toBeUndefined()
    expect(lookupEntityModel('wastecontainer')).toBeUndefined()
    expect(entityTypes).toEqual(['WasteContainer', 'WasteObserved', 'ACMeasurement', 'SmartMeteringObservation', 'Device', 'DeviceMeasurement'])
  })

  it('attribute catalogue should flatten ACMeasurement per-phase attributes to one field per phase (data-models §8.3)', () => {
    const model = lookupEntityModel('ACMeasurement')
    const structured = model?.attributes.get('current')
    expect(structured?.role).toBe('structured')
    if (structured?.role !== 'structured') return
    expect([...structured.components].map(([phase, spec]) => [phase, spec.field])).toEqual([
      ['L1', 'current_l1_a'],
      ['L2', 'current_l2_a'],
      ['L3', 'current_l3_a'],
      ['N', 'current_n_a'],
    ])
    expect(model?.attributes.get('current.N')).toBe(structured.components.get('N'))
    expect(model?.attributes.get('phaseToPhaseVoltage.L12')).toMatchObject({ field: 'phase_to_phase_voltage_l12_v', quantity: 'voltage', min: 0 })
    expect(model?.attributes.get('activePower.L2')).toMatchObject({ field: 'active_power_l2_w', quantity: 'power', min: 0, defaultUnit: { code: 'WTT' } })
    expect(model?.attributes.get('totalActivePower')).toMatchObject({ field: 'total_active_power_w', quantity: 'power' })
    expect(model?.attributes.get('totalActivePower')).not.toHaveProperty('min')
    expect(model?.attributes.get('totalActiveEnergyImport')).toMatchObject({ field: 'total_active_energy_import_kwh', quantity: 'energy', min: 0, register: true, defaultUnit: { code: 'KWH' } })
    expect(model?.attributes.get('powerFactor.L3')).toMatchObject({ field: 'power_factor_l3', min: -1, max: 1 })
    expect(model?.attributes.get('thdCurrent.L1')).toMatchObject({ field: 'thd_current_l1', min: 0, max: 1 })
    expect(model?.attributes.get('activePower.N')).toBeUndefined()
  })

  it('attribute catalogue should store a utility register in kWh or m³ by the unit it comes in, defaulting by meter type', () => {
    const spec = lookupEntityModel('SmartMeteringObservation')?.attributes.get('totalConsumption')
    expect(spec).toMatchObject({ field: 'total_consumption_kwh', quantity: 'energy', min: 0, register: true })
    if (spec?.role !== 'reading' || spec.valueType !== 'number') throw new Error('not a number reading')
    expect([...(spec.alternatives ?? [])]).toEqual([['volume', 'total_consumption_m3']])
    expect(Object.entries(spec.defaultUnitByMeterType ?? {}).map(([meter, unit]) => [meter, unit.code])).toEqual([
      ['electricity', 'KWH'],
      ['heat', 'KWH'],
      ['gas', 'MTQ'],
      ['water', 'MTQ'],
    ])
  })

  it('attribute catalogue should carry the WasteObserved material-flow extension as bounded string readings', () => {
    const model = lookupEntityModel('WasteObserved')
    expect(model?.attributes.get('direction')).toMatchObject({ field: 'direction', allowed: new Set(['in', 'out']) })
    expect(model?.attributes.get('destination')).toMatchObject({ field: 'destination', allowed: new Set(['reuse', 'recycling', 'composting', 'energy_recovery', 'landfill']) })
    expect(model?.attributes.get('storedWasteKind')).toMatchObject({ field: 'stored_waste_kind' })
    expect(model?.attributes.get('storedWasteCode')).toMatchObject({ field: 'waste_code' })
    expect(model?.attributes.get('refWeighingDevice')).toEqual({ role: 'metadata' })
  })

  it('attribute catalogue should list every stored field once with the canonical unit of its numbers', () => {
    const units = Object.fromEntries(storedFields.map((f) => [`${f.measurement}/${f.field}`, f.unit]))
    expect(units).toMatchObject({
      'waste_container/filling_level': 'ratio',
      'waste_container/status': '',
      'waste_weighing/net_weight_kg': 'kg',
      'waste_weighing/direction': '',
      'energy_ac/current_n_a': 'A',
      'energy_ac/total_reactive_energy_import_kvarh': 'kvarh',
      'utility_meter/total_consumption_kwh': 'kWh',
      'utility_meter/total_consumption_m3': 'm3',
      'device_health/rssi_dbm': 'dBm',
      'generic_measurement/value': '',
    })
    expect(new Set(storedFields.map((f) => `${f.measurement}/${f.field}`)).size).toBe(storedFields.length)
  })

  it('attribute catalogue should know what meters of each kind meter', () => {
    expect(meterTypeForKind('energy_meter')).toBe('electricity')
    expect(meterTypeForKind('heat_meter')).toBe('heat')
    expect(meterTypeForKind('gas_meter')).toBe('gas')
    expect(meterTypeForKind('waste_container')).toBeUndefined()
    expect(meterTypeForKind('constructor' as DeviceKind)).toBeUndefined()
  })
})
