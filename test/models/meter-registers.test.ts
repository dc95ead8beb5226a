import { describe, expect, test } from 'vitest'
import { storedFields } from '../../models/catalogue.js'
import { cumulativeRegisters, meterTypeOf, registerIncrement } from '../../models/meter-registers.js'
import type { DeviceKind, ReadingEnvelope } from '../../models/reading.js'
import type { MeterType } from '../../models/vocabulary.js'

const utilityKwh = cumulativeRegisters['utility_meter.total_consumption_kwh']!
const utilityM3 = cumulativeRegisters['utility_meter.total_consumption_m3']!

const envelope = (kind: DeviceKind, meterType?: MeterType): ReadingEnvelope => ({
  schema: 'circular.readings/v1',
  tenant: 'city',
  site: 'hall',
  deviceId: 'meter-1',
  kind,
  format: 'senml',
  receivedAt: 0,
  source: { topic: 'readings', partition: 0, offset: '0' },
  readings: [{ attribute: 'totalConsumption', measurement: 'utility_meter', field: 'total_consumption_kwh', value: 1, unit: 'kWh', time: 0 }],
  ...(meterType !== undefined ? { meterType } : {}),
})

describe('cumulativeRegisters', () => {
  test('every register should be a field the catalogue stores, in the unit its consumption is summed in', () => {
    const units = new Map(storedFields.map((f) => [`${f.measurement}.${f.field}`, f.unit]))
    for (const [key, spec] of Object.entries(cumulativeRegisters)) {
      expect(units.get(key), key).toBe(spec.consumptionField === 'consumption_kwh' ? 'kWh' : 'm3')
    }
  })
})

describe('meterTypeOf', () => {
  test('the registered meter type should win, then the kind, then the register\'s own', () => {
    expect(meterTypeOf(envelope('generic', 'water'), utilityM3)).toBe('water')
    expect(meterTypeOf(envelope('heat_meter', 'electricity'), utilityKwh)).toBe('electricity')
    expect(meterTypeOf(envelope('heat_meter'), utilityM3)).toBe('heat')
    expect(meterTypeOf(envelope('gas_meter'), utilityKwh)).toBe('gas')
    expect(meterTypeOf(envelope('energy_meter'), utilityM3)).toBe('electricity')
    expect(meterTypeOf(envelope('generic'), utilityKwh)).toBe('heat')
    expect(meterTypeOf(envelope('generic'), utilityM3)).toBe('gas')
  })
})

describe('registerIncrement', () => {
  test('should be the difference while the register grows, and the new value once it went backwards', () => {
    expect(registerIncrement(100, 130.5)).toEqual({ consumed: 30.5, reset: false })
    expect(registerIncrement(100, 100)).toEqual({ consumed: 0, reset: false })
    expect(registerIncrement(150_781.96, 12)).toEqual({ consumed: 12, reset: true })
    expect(registerIncrement(100, 0)).toEqual({ consumed: 0, reset: true })
  })
})
