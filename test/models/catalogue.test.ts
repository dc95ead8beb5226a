import { describe, expect, it } from 'vitest'
import { entityTypeForKind, entityTypes, lookupEntityModel } from '../../models/catalogue.js'
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
      energy_meter: 'DeviceMeasurement',
      heat_meter: 'DeviceMeasurement',
      gas_meter: 'DeviceMeasurement',
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
    expect(entityTypes).toEqual(['WasteContainer', 'WasteObserved', 'Device', 'DeviceMeasurement'])
  })
})
