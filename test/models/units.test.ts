import { describe, expect, it } from 'vitest'
import { canonicalUnits, convertToCanonical, integralToCanonical, lookupUnit, quantities, unitCodeOfCanonical, unitDefinitions } from '../../models/units.js'

describe('units', () => {
  it.each([
    // code, value sent, canonical value, canonical unit
    ['KGM', 38.5, 38.5, 'kg'],
    ['TNE', 2.36, 2360, 'kg'],
    ['GRM', 1500, 1.5, 'kg'],
    ['kg', 38.5, 38.5, 'kg'],
    ['g', 250, 0.25, 'kg'],
    ['C62', 0.72, 0.72, 'ratio'],
    ['P1', 72, 0.72, 'ratio'],
    ['/', 0.72, 0.72, 'ratio'],
    ['%', 0.72, 0.72, 'ratio'],
    ['%EL', 87, 0.87, 'ratio'],
    ['%RH', 55, 0.55, 'ratio'],
    ['CEL', 21.4, 21.4, 'Cel'],
    ['Cel', 21.4, 21.4, 'Cel'],
    ['KWH', 150781.96, 150781.96, 'kWh'],
    ['kWh', 2.5, 2.5, 'kWh'],
    ['WHR', 1500, 1.5, 'kWh'],
    ['Wh', 1500, 1.5, 'kWh'],
    ['MWH', 1.5, 1500, 'kWh'],
    ['JOU', 7.2e6, 2, 'kWh'],
    ['J', 3.6e6, 1, 'kWh'],
    ['WTT', 31700.3, 31700.3, 'W'],
    ['W', 230, 230, 'W'],
    ['KWT', 1.5, 1500, 'W'],
    ['kW', 2, 2000, 'W'],
    ['MTQ', 1.1, 1.1, 'm3'],
    ['m3', 1.1, 1.1, 'm3'],
    ['LTR', 240, 0.24, 'm3'],
    ['l', 150, 0.15, 'm3'],
    ['59', 12, 12, 'ppm'],
    ['ppm', 12, 12, 'ppm'],
    ['count', 3, 3, 'count'],
    ['dBm', -97, -97, 'dBm'],
    ['dBW', -127, -97, 'dBm'],
    ['VLT', 234.96, 234.96, 'V'],
    ['mV', 3300, 3.3, 'V'],
    ['AMP', 56.13, 56.13, 'A'],
    ['mA', 250, 0.25, 'A'],
    ['HTZ', 50.02, 50.02, 'Hz'],
    ['3B', 36, 10, 'kWh'],
    ['GV', 3.6, 1000, 'kWh'],
    ['/100', 72, 0.72, 'ratio'],
    ['D44', 1200, 1200, 'var'],
    ['KVR', 1.2, 1200, 'var'],
    ['var', 1200, 1200, 'var'],
    ['kvar', 1.2, 1200, 'var'],
    ['D46', 13201.4, 13201.4, 'VA'],
    ['KVA', 13.2, 13200, 'VA'],
    ['VA', 230, 230, 'VA'],
    ['kVA', 2, 2000, 'VA'],
    ['K3', 5, 5, 'kvarh'],
    ['kvarh', 5, 5, 'kvarh'],
    ['varh', 5000, 5, 'kvarh'],
    ['vars', 7.2e6, 2, 'kvarh'],
    ['C79', 5, 5, 'kVAh'],
    ['kVAh', 5, 5, 'kVAh'],
    ['VAs', 7.2e6, 2, 'kVAh'],
    ['MQS', 0.5, 0.5, 'm3/s'],
    ['m3/s', 0.5, 0.5, 'm3/s'],
    ['l/s', 500, 0.5, 'm3/s'],
    ['2Z', 3300, 3.3, 'V'],
    ['4K', 250, 0.25, 'A'],
  ])('units should convert %s %d to %d %s', (code, sent, canonical, unit) => {
    expect(convertToCanonical(sent, code)).toBe(canonical)
    expect(lookupUnit(code)?.canonical).toBe(unit)
  })

  it('units should convert kelvin to degrees Celsius with the −273.15 offset', () => {
    expect(convertToCanonical(294.55, 'K')).toBeCloseTo(21.4, 10)
    expect(convertToCanonical(273.15, 'KEL')).toBe(0)
    expect(lookupUnit('K')).toMatchObject({ quantity: 'temperature', canonical: 'Cel', offset: -273.15 })
  })

  it('units should treat SenML % as a ratio, not as a percentage', () => {
    expect(convertToCanonical(0.5, '%')).toBe(0.5)
    expect(convertToCanonical(50, 'P1')).toBe(0.5)
  })

  it('units should accept exact codes only, and none without a registry entry', () => {
    // DBM has no UN/CEFACT Rec 20 entry; GQ (µg/m³) and ug/m3 need a molar mass to become ppm; mW is not linear in dBm.
    for (const code of ['kgm', 'Kgm', 'KG', ' KGM', 'KGM ', 'cel', 'KWh', 'kwh', 'c62', '', 'DBM', 'GQ', 'ug/m3', 'mW', 'C31', 'degC']) {
      expect(lookupUnit(code), code).toBeUndefined()
      expect(convertToCanonical(1, code), code).toBeUndefined()
    }
  })

  it('units should not answer for names inherited from Object.prototype', () => {
    expect(lookupUnit('constructor')).toBeUndefined()
    expect(lookupUnit('__proto__')).toBeUndefined()
  })

  it('units should list every code once, each converting to its quantity\'s canonical unit', () => {
    const codes = unitDefinitions.map((unit) => unit.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const unit of unitDefinitions) expect(unit.canonical, unit.code).toBe(canonicalUnits[unit.quantity])
    expect(lookupUnit('TNE')).toEqual({ code: 'TNE', system: 'UN/CEFACT', name: 'tonne', quantity: 'mass', canonical: 'kg', multiplyBy: 1000, divideBy: 1, offset: 0 })
  })

  it('units should give the UN/CEFACT code of each canonical unit, and the SenML symbol where Rec 20 has none', () => {
    expect(quantities.map((q) => [canonicalUnits[q], unitCodeOfCanonical(canonicalUnits[q])])).toEqual([
      ['kg', 'KGM'],
      ['ratio', 'C62'],
      ['Cel', 'CEL'],
      ['kWh', 'KWH'],
      ['W', 'WTT'],
      ['var', 'D44'],
      ['VA', 'D46'],
      ['kvarh', 'K3'],
      ['kVAh', 'C79'],
      ['m3', 'MTQ'],
      ['m3/s', 'MQS'],
      ['ppm', '59'],
      ['count', 'count'],
      ['dBm', 'dBm'],
      ['V', 'VLT'],
      ['A', 'AMP'],
      ['Hz', 'HTZ'],
    ])
    // Each of those codes reads back as its canonical unit, unchanged.
    for (const q of quantities) expect(lookupUnit(unitCodeOfCanonical(canonicalUnits[q]) ?? '')).toMatchObject({ quantity: q, multiplyBy: 1, divideBy: 1, offset: 0 })
    expect(unitCodeOfCanonical('')).toBeUndefined()
  })

  it('units should turn a SenML sum of a rate over seconds into the integral (RFC 8428 §4.2)', () => {
    expect(integralToCanonical(3.6e6, lookupUnit('W')!)).toEqual({ quantity: 'energy', value: 1 })
    expect(integralToCanonical(3600, lookupUnit('kW')!)).toEqual({ quantity: 'energy', value: 1 })
    expect(integralToCanonical(7.2e6, lookupUnit('var')!)).toEqual({ quantity: 'reactive_energy', value: 2 })
    expect(integralToCanonical(7.2e6, lookupUnit('VA')!)).toEqual({ quantity: 'apparent_energy', value: 2 })
    expect(integralToCanonical(2500, lookupUnit('l/s')!)).toEqual({ quantity: 'volume', value: 2.5 })
    expect(integralToCanonical(1, lookupUnit('kWh')!)).toBeUndefined()
    expect(integralToCanonical(1, lookupUnit('Cel')!)).toBeUndefined()
  })
})
