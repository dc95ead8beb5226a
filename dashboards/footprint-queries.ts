import type { FactorSet } from '../models/factors/factor-set.js'
import { dividedBy, field, sum, times, type Condition, type InfluxQuery } from './influxql.js'

/** The factors the CO2e panels multiply by: one factor set and the grid country, fixed at generation. */
export interface FootprintFactors {
  readonly set: FactorSet
  /** ISO 3166-1 alpha-2 country whose grid factor applies (FOOTPRINT_DEFAULT_COUNTRY). */
  readonly country: string
}

/** Hourly rollups of the selected tenants and sites; the day and month rollups repeat the same amounts. */
export const hourlyRollups: readonly Condition[] = [
  { tag: 'interval', is: 'hour' },
  { tag: 'tenant', variable: 'tenant' },
  { tag: 'site', variable: 'site' },
]

export const byFraction: Condition = { tag: 'fraction', variable: 'fraction' }

type GroupBy = Pick<InfluxQuery, 'groupByTime' | 'groupByTags' | 'fill'>

/** Consumption of one meter type × factor, summed per bucket. */
export function meterCo2e(meterType: 'electricity' | 'heat', factor: number, as: string, groupBy: GroupBy): InfluxQuery {
  return {
    select: [{ expr: times(sum('consumption_kwh'), factor), as }],
    from: 'energy_rollup',
    where: [...hourlyRollups, { tag: 'meter_type', is: meterType }],
    ...groupBy,
  }
}

export function gridFactor(factors: FootprintFactors): number {
  const f = factors.set.electricity[factors.country]?.value
  if (f === undefined) throw new RangeError(`factor set ${factors.set.version} has no grid factor for ${factors.country}`)
  return f
}

/** Gas (M3): kWh (gross CV) and m³ meters, each with its factor, in one sum. */
export function gasCo2e(factors: FootprintFactors, as: string, groupBy: GroupBy): InfluxQuery {
  const gas = [...hourlyRollups, { tag: 'meter_type', is: 'gas' }]
  return {
    select: [{ expr: sum('co2e'), as }],
    from: [
      { select: [{ expr: times(field('consumption_kwh'), factors.set.naturalGas.perKwhGcv.value), as: 'co2e' }], from: 'energy_rollup', where: gas },
      { select: [{ expr: times(field('consumption_m3'), factors.set.naturalGas.perM3.value), as: 'co2e' }], from: 'energy_rollup', where: gas },
    ],
    ...groupBy,
  }
}

/**
 * Waste treatment (M8, inventory): outflow tonnes × the factor of its fraction and route. Pairs
 * with the same factor share one subquery, so the statement stays short.
 */
export function treatmentCo2e(factors: FootprintFactors, as: string, groupBy: GroupBy): InfluxQuery {
  const pairsByFactor = new Map<number, { fraction: string; route: string }[]>()
  for (const [fraction, routes] of Object.entries(factors.set.wasteTreatment.perTonne)) {
    for (const [route, perTonne] of Object.entries(routes ?? {})) {
      if (perTonne === undefined) continue
      const list = pairsByFactor.get(perTonne) ?? []
      list.push({ fraction, route })
      pairsByFactor.set(perTonne, list)
    }
  }
  const subqueries: InfluxQuery[] = []
  for (const [perTonne, pairs] of [...pairsByFactor].sort((a, b) => a[0] - b[0])) {
    for (const route of [...new Set(pairs.map((p) => p.route))].sort()) {
      const fractions = pairs.filter((p) => p.route === route).map((p) => p.fraction).sort()
      subqueries.push({
        select: [{ expr: times(field('mass_kg'), perTonne / 1000), as: 'co2e' }],
        from: 'material_flow_rollup',
        where: [...hourlyRollups, { tag: 'direction', is: 'out' }, { tag: 'destination', is: route }, { tag: 'fraction', oneOf: fractions }],
      })
    }
  }
  return { select: [{ expr: sum('co2e'), as }], from: subqueries, ...groupBy }
}

/** Share of outflow mass (or inflow, for re-use) that went to the given destinations, per bucket. */
export function flowShare(destinations: readonly string[], of: 'in' | 'out', as: string, groupBy: GroupBy): InfluxQuery {
  const flows = [...hourlyRollups, byFraction]
  return {
    select: [{ expr: dividedBy(sum('part'), sum('whole')), as }],
    from: [
      { select: [{ expr: field('mass_kg'), as: 'part' }], from: 'material_flow_rollup', where: [...flows, { tag: 'direction', is: 'out' }, { tag: 'destination', oneOf: destinations }] },
      { select: [{ expr: field('mass_kg'), as: 'whole' }], from: 'material_flow_rollup', where: [...flows, { tag: 'direction', is: of }] },
    ],
    ...groupBy,
  }
}
