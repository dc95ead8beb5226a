import type { Point } from '../../core/store/store.js'
import type { FactorSet, WasteFraction } from '../../models/factors/factor-set.js'
import { windowEnd, windowStart, type Interval } from '../../models/windows.js'

/** One row of a metric: a window start, the dimensions it is split by, and the value. */
export interface MetricRow {
  readonly time: number
  readonly dims: Readonly<Record<string, string>>
  readonly value: number
}

export interface MetricContext {
  readonly factors: FactorSet
  /** Country whose grid factor applies (ISO 3166-1 alpha-2). */
  readonly country: string
  /** The window the caller asked for; metrics read from hourly rollups bucket into it. */
  readonly interval: Interval
  /** Start of the requested range (rows before it only serve as history, e.g. a baseline). */
  readonly from: number
}

export interface MetricDefinition {
  readonly id: string
  /** Catalogue number in the footprint metric catalogue (M1 …). */
  readonly catalogue: string
  readonly summary: string
  readonly unit: string
  /** The rollup measurement the metric is computed from. */
  readonly measurement: string
  /** Whether the value depends on emission factors (then the factor-set version is reported). */
  readonly usesFactors: boolean
  /** EU targets to show beside the value, where there are any. */
  readonly targets?: readonly { year: number; value: number; source: string }[]
  readonly indicative?: boolean
  /** Read hourly rollups whatever the requested interval (the metric buckets them itself). */
  readonly fromHourly?: boolean
  /** History needed before `from`, e.g. for a baseline. */
  readonly lookbackMs?: number
  compute(points: readonly Point[], context: MetricContext): MetricRow[]
}

/** Sums a field of the points per window and the listed tags. */
function sumBy(points: readonly Point[], field: string, dims: readonly string[], keep: (p: Point) => boolean = () => true): MetricRow[] {
  const sums = new Map<string, { time: number; dims: Record<string, string>; value: number }>()
  for (const p of points) {
    const value = p.fields[field]
    if (typeof value !== 'number' || !keep(p)) continue
    const d = Object.fromEntries(dims.filter((k) => p.tags[k] !== undefined).map((k) => [k, p.tags[k] as string]))
    const key = `${p.time}|${JSON.stringify(d)}`
    const row = sums.get(key)
    if (row) row.value += value
    else sums.set(key, { time: p.time, dims: d, value })
  }
  return [...sums.values()].sort((a, b) => a.time - b.time || JSON.stringify(a.dims).localeCompare(JSON.stringify(b.dims)))
}

/** Per window and dimensions, Σ numerator ÷ Σ denominator (means and shares of counted events). */
function ratioOfSums(points: readonly Point[], numerator: string, denominator: string, dims: readonly string[]): MetricRow[] {
  const key = (r: MetricRow): string => `${r.time}|${JSON.stringify(r.dims)}`
  const totals = new Map(sumBy(points, denominator, dims).map((r) => [key(r), r.value]))
  return sumBy(points, numerator, dims).flatMap((r) => {
    const total = totals.get(key(r))
    return total ? [{ ...r, value: r.value / total }] : []
  })
}

/** Per window, the share of `part` in `whole` (both summed over the window's points); windows with no whole are left out. */
function shareBy(points: readonly Point[], field: string, part: (p: Point) => boolean, whole: (p: Point) => boolean): MetricRow[] {
  const parts = new Map(sumBy(points, field, [], part).map((r) => [r.time, r.value]))
  return sumBy(points, field, [], whole)
    .filter((r) => r.value > 0)
    .map((r) => ({ time: r.time, dims: {}, value: (parts.get(r.time) ?? 0) / r.value }))
}

const out = (p: Point): boolean => p.tags.direction === 'out'
const inflow = (p: Point): boolean => p.tags.direction === 'in'
const to = (...destinations: string[]) => (p: Point): boolean => out(p) && destinations.includes(p.tags.destination ?? '')
const meter = (type: string) => (p: Point): boolean => p.tags.meter_type === type

/** Mass × factor per tonne for each (window, fraction, destination) that has a factor. */
function perTonne(points: readonly Point[], factorOf: (fraction: WasteFraction, destination: string) => number | undefined): MetricRow[] {
  return sumBy(points, 'mass_kg', ['fraction', 'destination'], out).flatMap((row) => {
    const factor = factorOf(row.dims.fraction as WasteFraction, row.dims.destination ?? '')
    return factor === undefined ? [] : [{ ...row, value: (row.value / 1000) * factor }]
  })
}

const wfd = 'Directive 2008/98/EC Art. 11(2), as amended by Directive (EU) 2018/851'

export const metricCatalogue: readonly MetricDefinition[] = [
  {
    id: 'energy_kwh', catalogue: 'M1–M3 input', summary: 'Energy consumed, from meter register differences, by meter type', unit: 'kWh',
    measurement: 'energy_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'consumption_kwh', ['meter_type']),
  },
  {
    id: 'gas_m3', catalogue: 'M3 input', summary: 'Natural gas consumed by volume, from meter register differences', unit: 'm3',
    measurement: 'energy_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'consumption_m3', [], meter('gas')),
  },
  {
    id: 'electricity_co2e', catalogue: 'M1', summary: 'Electricity emissions, location-based Scope 2: kWh × grid factor of the country and year', unit: 'kg CO2e',
    measurement: 'energy_rollup', usesFactors: true,
    compute: (points, { factors, country }) => {
      const factor = factors.electricity[country]?.value
      return factor === undefined ? [] : sumBy(points, 'consumption_kwh', [], meter('electricity')).map((r) => ({ ...r, value: r.value * factor }))
    },
  },
  {
    id: 'heat_co2e', catalogue: 'M2', summary: 'District-heat emissions, Scope 2: kWh delivered × heat factor', unit: 'kg CO2e',
    measurement: 'energy_rollup', usesFactors: true,
    compute: (points, { factors }) => sumBy(points, 'consumption_kwh', [], meter('heat')).map((r) => ({ ...r, value: r.value * factors.districtHeat.value })),
  },
  {
    id: 'gas_co2e', catalogue: 'M3', summary: 'Natural-gas emissions, Scope 1: kWh (gross CV) × factor, plus m3 × factor where meters count volume', unit: 'kg CO2e',
    measurement: 'energy_rollup', usesFactors: true,
    compute: (points, { factors }) => {
      const byTime = new Map<number, number>()
      for (const r of sumBy(points, 'consumption_kwh', [], meter('gas'))) byTime.set(r.time, (byTime.get(r.time) ?? 0) + r.value * factors.naturalGas.perKwhGcv.value)
      for (const r of sumBy(points, 'consumption_m3', [], meter('gas'))) byTime.set(r.time, (byTime.get(r.time) ?? 0) + r.value * factors.naturalGas.perM3.value)
      return [...byTime].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, dims: {}, value }))
    },
  },
  {
    id: 'waste_received_kg', catalogue: 'M6', summary: 'Waste received at recycling centres by fraction (weighbridge inflows)', unit: 'kg',
    measurement: 'material_flow_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'mass_kg', ['fraction'], inflow),
  },
  {
    id: 'waste_collected_kg', catalogue: 'M6', summary: 'Waste collected from containers by fraction: the weight measured just before each emptying', unit: 'kg',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'collected_kg', ['fraction']),
  },
  {
    id: 'treatment_co2e', catalogue: 'M8', summary: 'Waste-treatment emissions (inventory): tonnes sent out per fraction and route × treatment factor; never netted with M9', unit: 'kg CO2e',
    measurement: 'material_flow_rollup', usesFactors: true,
    compute: (points, { factors }) => perTonne(points, (fraction, destination) => factors.wasteTreatment.perTonne[fraction]?.[destination as 'landfill']),
  },
  {
    id: 'avoided_co2e_indicative', catalogue: 'M9', summary: 'Indicative avoided emissions from recycling and re-use (primary minus closed-loop production); not an inventory figure', unit: 'kg CO2e avoided',
    measurement: 'material_flow_rollup', usesFactors: true, indicative: true,
    compute: (points, { factors }) => perTonne(points, (fraction, destination) => (destination === 'recycling' || destination === 'reuse' ? factors.avoidedIndicative.perTonne[fraction]?.[destination] : undefined)),
  },
  {
    id: 'recycling_rate', catalogue: 'M10', summary: 'Share of the mass sent out that went to re-use, recycling or composting (WFD Art. 11 style, at the site gate)', unit: 'ratio',
    measurement: 'material_flow_rollup', usesFactors: false,
    targets: [{ year: 2025, value: 0.55, source: wfd }, { year: 2030, value: 0.6, source: wfd }, { year: 2035, value: 0.65, source: wfd }],
    compute: (points) => shareBy(points, 'mass_kg', to('reuse', 'recycling', 'composting'), out),
  },
  {
    id: 'landfill_rate', catalogue: 'M11', summary: 'Share of the mass sent out that went to landfill', unit: 'ratio',
    measurement: 'material_flow_rollup', usesFactors: false,
    targets: [{ year: 2035, value: 0.1, source: 'Directive (EU) 2018/850 Art. 5 (at most 10 % landfilled)' }],
    compute: (points) => shareBy(points, 'mass_kg', to('landfill'), out),
  },
  {
    id: 'landfill_diversion_rate', catalogue: 'M11', summary: 'Share of the mass sent out that did not go to landfill (energy recovery counts as diverted)', unit: 'ratio',
    measurement: 'material_flow_rollup', usesFactors: false,
    compute: (points) => shareBy(points, 'mass_kg', to('reuse', 'recycling', 'composting', 'energy_recovery'), out),
  },
  {
    id: 'stock_change_kg', catalogue: 'M12', summary: 'Site mass balance: inflow minus outflow per fraction (stock change)', unit: 'kg',
    measurement: 'material_flow_rollup', usesFactors: false,
    compute: (points) => {
      const outflow = new Map(sumBy(points, 'mass_kg', ['fraction'], out).map((r) => [`${r.time}|${r.dims.fraction}`, r.value]))
      const rows = new Map(sumBy(points, 'mass_kg', ['fraction'], inflow).map((r) => [`${r.time}|${r.dims.fraction}`, { ...r }]))
      for (const [key, value] of outflow) {
        const [time, fraction] = key.split('|') as [string, string]
        const row = rows.get(key) ?? { time: Number(time), dims: { fraction }, value: 0 }
        rows.set(key, { ...row, value: row.value - value })
      }
      return [...rows.values()].sort((a, b) => a.time - b.time || String(a.dims.fraction).localeCompare(String(b.dims.fraction)))
    },
  },
  {
    id: 'reuse_rate', catalogue: 'M13', summary: 'Mass sent to re-use divided by mass received', unit: 'ratio',
    measurement: 'material_flow_rollup', usesFactors: false,
    compute: (points) => shareBy(points, 'mass_kg', to('reuse'), inflow),
  },
  {
    id: 'recycling_share', catalogue: 'M13', summary: 'Mass sent to recycling divided by all mass sent out', unit: 'ratio',
    measurement: 'material_flow_rollup', usesFactors: false,
    compute: (points) => shareBy(points, 'mass_kg', to('recycling'), out),
  },
  {
    id: 'collections', catalogue: 'M14', summary: 'Container collections (emptyings detected from fill drops) by fraction', unit: 'count',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'collections', ['fraction']),
  },
  {
    id: 'fill_at_collection', catalogue: 'M14', summary: 'Mean fill level just before a collection', unit: 'ratio',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => ratioOfSums(points, 'fill_at_collection_sum', 'collections', []),
  },
  {
    id: 'low_fill_share', catalogue: 'M14', summary: 'Share of collections made below the low-fill level (wasted trips)', unit: 'ratio',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => ratioOfSums(points, 'low_fill_collections', 'collections', []),
  },
]

const weekMs = 7 * 24 * 3_600_000
const baselineWeeks = 4

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Container statistics, telemetry completeness and the energy baseline: operational metrics beside the footprint ones. */
const operational: readonly MetricDefinition[] = [
  {
    id: 'overflow_events', catalogue: 'M15', summary: 'Overflow periods (container at 100 %) that began in the window', unit: 'count',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'overflow_events', ['fraction']),
  },
  {
    id: 'overflow_hours', catalogue: 'M15', summary: 'Hours containers spent full (overflowing), by the window the overflow began in', unit: 'h',
    measurement: 'collection_rollup', usesFactors: false,
    compute: (points) => sumBy(points, 'overflow_hours', ['fraction']),
  },
  {
    id: 'fill_level_mean', catalogue: 'M14–M16 context', summary: 'Mean of all fill-level readings in the window', unit: 'ratio',
    measurement: 'container_rollup', usesFactors: false,
    compute: (points) => ratioOfSums(points, 'fill_sum', 'fill_count', ['fraction']),
  },
  {
    id: 'temperature_max_c', catalogue: 'M17 context', summary: 'Highest container temperature in the window', unit: 'Cel',
    measurement: 'container_rollup', usesFactors: false,
    compute: (points) => {
      const max = new Map<number, number>()
      for (const p of points) if (typeof p.fields.temperature_max_c === 'number') max.set(p.time, Math.max(max.get(p.time) ?? -Infinity, p.fields.temperature_max_c))
      return [...max].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, dims: {}, value }))
    },
  },
  {
    id: 'telemetry_completeness', catalogue: 'M18', summary: 'Per device, the share of hours in the window in which it sent anything', unit: 'ratio',
    measurement: 'telemetry_rollup', usesFactors: false, fromHourly: true,
    compute: (points, { interval }) => {
      const heard = new Map<string, { time: number; device: string; hours: number }>()
      for (const p of points) {
        const start = windowStart(interval, p.time)
        const device = p.tags.device ?? ''
        const key = `${start}|${device}`
        const entry = heard.get(key) ?? { time: start, device, hours: 0 }
        entry.hours++
        heard.set(key, entry)
      }
      return [...heard.values()]
        .sort((a, b) => a.time - b.time || a.device.localeCompare(b.device))
        .map((e) => ({ time: e.time, dims: { device: e.device }, value: e.hours / ((windowEnd(interval, e.time) - e.time) / 3_600_000) }))
    },
  },
  {
    id: 'energy_anomaly', catalogue: 'M5', summary: `Hourly consumption against the median of the same hour of the week over the ${baselineWeeks} weeks before, as (kWh − baseline) / baseline`, unit: 'ratio',
    measurement: 'energy_rollup', usesFactors: false, fromHourly: true, lookbackMs: baselineWeeks * weekMs,
    compute: (points, { from }) => {
      const hourly = sumBy(points, 'consumption_kwh', ['meter_type'])
      const byKey = new Map(hourly.map((r) => [`${r.time}|${r.dims.meter_type}`, r.value]))
      return hourly.flatMap((r) => {
        if (r.time < from) return []
        const history = Array.from({ length: baselineWeeks }, (_, i) => byKey.get(`${r.time - (i + 1) * weekMs}|${r.dims.meter_type}`)).filter((v): v is number => v !== undefined)
        const baseline = median(history)
        return baseline === undefined || baseline <= 0 ? [] : [{ ...r, value: (r.value - baseline) / baseline }]
      })
    },
  },
]

export const allMetrics: readonly MetricDefinition[] = [...metricCatalogue, ...operational]
export const metricIds = allMetrics.map((m) => m.id) as [string, ...string[]]
