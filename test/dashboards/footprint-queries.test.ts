import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { byFraction, flowShare, gasCo2e, gridFactor, hourlyRollups, meterCo2e, treatmentCo2e, type FootprintFactors } from '../../dashboards/footprint-queries.js'
import { field, renderQuery, sum, times } from '../../dashboards/influxql.js'
import type { FactorSet } from '../../models/factors/factor-set.js'

const builtIn = JSON.parse(readFileSync(new URL('../../models/factors/sets/2025.1.json', import.meta.url), 'utf8')) as FactorSet
const factors = (perTonne: FactorSet['wasteTreatment']['perTonne'] = builtIn.wasteTreatment.perTonne, country = 'BE'): FootprintFactors => ({
  set: { ...builtIn, wasteTreatment: { ...builtIn.wasteTreatment, perTonne } },
  country,
})
const perBucket = { groupByTime: 'auto', fill: 'none' } as const

describe('gridFactor', () => {
  test('should be the grid factor of the configured country, and refuse a country the set does not have', () => {
    expect(gridFactor(factors(undefined, 'BE'))).toBe(builtIn.electricity.BE!.value)
    expect(() => gridFactor(factors(undefined, 'XX'))).toThrow(new RangeError('factor set 2025.1 has no grid factor for XX'))
  })
})

describe('meterCo2e and gasCo2e', () => {
  test('a meter type\'s CO2e should be its hourly kWh times the factor, per bucket of the selected tenants and sites', () => {
    expect(renderQuery(meterCo2e('heat', 0.2, 'district heat', { groupByTime: 'auto', groupByTags: ['site'], fill: 'none' }))).toBe(
      'SELECT (sum("consumption_kwh") * 0.2) AS "district heat" FROM "energy_rollup" WHERE "interval"::tag = \'hour\' AND "tenant"::tag =~ /^$tenant$/ AND "site"::tag =~ /^$site$/ AND "meter_type"::tag = \'heat\' AND $timeFilter GROUP BY time($__interval), "site" fill(none)',
    )
  })

  test('gas should add kWh and m³ meters, each with its own factor', () => {
    const gas = gasCo2e(factors(), 'natural gas', perBucket)
    const where = [...hourlyRollups, { tag: 'meter_type', is: 'gas' }]
    expect(gas).toEqual({
      select: [{ expr: sum('co2e'), as: 'natural gas' }],
      from: [
        { select: [{ expr: times(field('consumption_kwh'), builtIn.naturalGas.perKwhGcv.value), as: 'co2e' }], from: 'energy_rollup', where },
        { select: [{ expr: times(field('consumption_m3'), builtIn.naturalGas.perM3.value), as: 'co2e' }], from: 'energy_rollup', where },
      ],
      ...perBucket,
    })
  })
})

describe('treatmentCo2e', () => {
  test('should turn kg into tonnes times each fraction\'s factor for its route, one subquery per factor and route', () => {
    const query = treatmentCo2e(factors({ paper: { recycling: 20, landfill: 500 }, glass: { recycling: 20 }, metal: { recycling: 20, landfill: 8 }, wood: {} }), 'waste treatment', perBucket)
    const outflow = (route: string, fractions: string[]) => [...hourlyRollups, { tag: 'direction', is: 'out' }, { tag: 'destination', is: route }, { tag: 'fraction', oneOf: fractions }]
    expect(query).toEqual({
      select: [{ expr: sum('co2e'), as: 'waste treatment' }],
      // Ordered by factor, then route; fractions sorted.
      from: [
        { select: [{ expr: times(field('mass_kg'), 0.008), as: 'co2e' }], from: 'material_flow_rollup', where: outflow('landfill', ['metal']) },
        { select: [{ expr: times(field('mass_kg'), 0.02), as: 'co2e' }], from: 'material_flow_rollup', where: outflow('recycling', ['glass', 'metal', 'paper']) },
        { select: [{ expr: times(field('mass_kg'), 0.5), as: 'co2e' }], from: 'material_flow_rollup', where: outflow('landfill', ['paper']) },
      ],
      ...perBucket,
    })
  })

  test('one factor for two routes should still give each route its own subquery', () => {
    const query = treatmentCo2e(factors({ paper: { recycling: 20, energy_recovery: 20 } }), 'waste treatment', {})
    const subqueries = query.from as Exclude<typeof query.from, string>
    expect(subqueries.map((q) => q.where?.find((c) => c.tag === 'destination'))).toEqual([
      { tag: 'destination', is: 'energy_recovery' },
      { tag: 'destination', is: 'recycling' },
    ])
  })

  test('the built-in set should render its factors per tonne as kg factors written out exactly', () => {
    // Paper to recycling: 4.68568 kg CO2e per tonne is 0.00468568 per kg.
    expect(renderQuery(treatmentCo2e(factors(), 'waste treatment', perBucket))).toContain('("mass_kg" * 0.00468568)')
  })
})

describe('flowShare', () => {
  test('should divide the outflow to the destinations by all flow of the given direction', () => {
    const flows = [...hourlyRollups, byFraction]
    expect(flowShare(['reuse', 'recycling'], 'in', 're-use rate', perBucket)).toEqual({
      select: [{ expr: { kind: 'math', op: '/', left: sum('part'), right: sum('whole') }, as: 're-use rate' }],
      from: [
        { select: [{ expr: field('mass_kg'), as: 'part' }], from: 'material_flow_rollup', where: [...flows, { tag: 'direction', is: 'out' }, { tag: 'destination', oneOf: ['reuse', 'recycling'] }] },
        { select: [{ expr: field('mass_kg'), as: 'whole' }], from: 'material_flow_rollup', where: [...flows, { tag: 'direction', is: 'in' }] },
      ],
      ...perBucket,
    })
  })
})
