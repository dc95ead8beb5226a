import { describe, expect, test } from 'vitest'
import { containerMeasures, electricityMeasures, gasMeasures, heatMeasures, weighingMeasures } from '../../../simulator/encode/observations.js'

const time = Date.parse('2026-03-02T08:15:00Z')

describe('observation measures', () => {
  test('a container should report fill, temperature, cargo, status and battery, the battery in percent over SenML', () => {
    expect(containerMeasures({ time, fill: 0.42, temperatureC: 11.5, status: 'ok', cargoKg: 63, battery: 0.8734 })).toEqual([
      { attribute: 'fillingLevel', value: 0.42, unitCode: 'C62', senml: { u: '/', v: 0.42 } },
      { attribute: 'temperature', value: 11.5, unitCode: 'CEL', senml: { u: 'Cel', v: 11.5 } },
      { attribute: 'cargoWeight', value: 63, unitCode: 'KGM', senml: { u: 'kg', v: 63 } },
      { attribute: 'status', value: 'ok', senml: { vs: 'ok' } },
      // 87.34 % rounded to one decimal, as the sensor displays it.
      { attribute: 'batteryLevel', value: 0.8734, unitCode: 'C62', senml: { n: 'battery', u: '%EL', v: 87.3 } },
    ])
  })

  test('an electricity meter should send its kWh register as a SenML sum of watt-seconds, and its power in W', () => {
    // 1.5 kWh = 5 400 000 J; 2.34567 kW = 2345.67 W, shown to one decimal.
    expect(electricityMeasures({ time, register: 1.5, ratePerHour: 2.34567 })).toEqual([
      { attribute: 'totalActiveEnergyImport', value: 1.5, unitCode: 'KWH', senml: { u: 'W', s: 5_400_000 } },
      { attribute: 'totalActivePower', value: 2345.7, unitCode: 'WTT', senml: { u: 'W', v: 2345.7 } },
    ])
  })

  test('a heat meter should send kWh as watt-seconds and a gas meter m³ as is, never as energy', () => {
    expect(heatMeasures({ time, register: 1234.5678, ratePerHour: 3 })).toEqual([{ attribute: 'totalConsumption', value: 1234.5678, unitCode: 'KWH', senml: { u: 'W', s: 4_444_444_080 } }])
    expect(gasMeasures({ time, register: 812.25, ratePerHour: 0.4 })).toEqual([{ attribute: 'totalConsumption', value: 812.25, unitCode: 'MTQ', senml: { u: 'm3', v: 812.25 } }])
  })

  test('a weighing should carry its three weights, material, code and direction, and a destination only when it has one', () => {
    const inflow = { time, direction: 'in' as const, fraction: 'glass' as const, wasteCode: '200102', grossKg: 1850, tareKg: 1620, netKg: 230 }
    expect(weighingMeasures(inflow)).toEqual([
      { attribute: 'grossWeight', value: 1850, unitCode: 'KGM', senml: { u: 'kg', v: 1850 } },
      { attribute: 'tareWeight', value: 1620, unitCode: 'KGM', senml: { u: 'kg', v: 1620 } },
      { attribute: 'weight', value: 230, unitCode: 'KGM', senml: { u: 'kg', v: 230 } },
      { attribute: 'storedWasteKind', value: 'glass', senml: { vs: 'glass' } },
      { attribute: 'storedWasteCode', value: '200102', senml: { vs: '200102' } },
      { attribute: 'direction', value: 'in', senml: { vs: 'in' } },
    ])
    expect(weighingMeasures({ ...inflow, direction: 'out', destination: 'recycling' }).at(-1)).toEqual({ attribute: 'destination', value: 'recycling', senml: { vs: 'recycling' } })
  })
})
