import { describe, expect, it } from 'vitest'
import { storedFieldNames, storedMeasurements, unitOf } from '../../api/stored-fields.js'
import { storedFields } from '../../models/catalogue.js'

describe('stored fields', () => {
  it('should list every measurement of the catalogue once, sorted', () => {
    const measurements = new Set(storedFields.map((f) => f.measurement))
    expect(storedMeasurements).toEqual([...measurements].sort())
    expect(new Set(storedMeasurements).size).toBe(storedMeasurements.length)
    expect(storedMeasurements).toEqual(expect.arrayContaining(['device_health', 'waste_container']))
  })

  it('should know every field name of the catalogue and no other', () => {
    for (const f of storedFields) expect(storedFieldNames.has(f.field), f.field).toBe(true)
    expect(storedFieldNames.size).toBe(new Set(storedFields.map((f) => f.field)).size)
    expect(storedFieldNames.has('filling_levle')).toBe(false)
  })

  it('should give each stored field the unit the catalogue gives it', () => {
    for (const f of storedFields) expect(unitOf(f.measurement, f.field), `${f.measurement}/${f.field}`).toBe(f.unit)
    expect(unitOf('waste_container', 'filling_level')).toBe('ratio')
    expect(unitOf('waste_container', 'cargo_weight_kg')).toBe('kg')
    expect(unitOf('device_health', 'rssi_dbm')).toBe('dBm')
  })

  it('should give text fields, unknown fields and a field under another measurement no unit', () => {
    expect(unitOf('waste_container', 'status')).toBe('')
    expect(unitOf('waste_container', 'no_such_field')).toBe('')
    expect(unitOf('device_health', 'filling_level')).toBe('')
  })
})
