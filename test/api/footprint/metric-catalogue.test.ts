import { describe, expect, test } from 'vitest'
import { allMetrics, type MetricContext } from '../../../api/footprint/metric-catalogue.js'
import type { Point } from '../../../core/store/store.js'
import { loadFactorSets } from '../../../models/factors/factor-sets.js'

const factors = loadFactorSets().get('2025.1')!
const day = Date.parse('2026-03-01T00:00:00Z')
const context: MetricContext = { factors, country: 'BE', interval: 'day', from: day }
const metric = (id: string) => allMetrics.find((m) => m.id === id)!

const flow = (fraction: string, direction: 'in' | 'out', destination: string, massKg: number): Point => ({
  measurement: 'material_flow_rollup',
  tags: { tenant: 'city', site: 'rc-1', device: 'scale-1', interval: 'day', fraction, direction, destination },
  fields: { mass_kg: massKg, weighings: 1 },
  time: day,
})
const energy = (device: string, meterType: string, fields: Record<string, number>, time = day): Point => ({
  measurement: 'energy_rollup',
  tags: { tenant: 'city', site: 'hall', device, interval: 'day', meter_type: meterType },
  fields,
  time,
})

// A recycling centre's day: 1000 kg glass and 500 kg paper in; out: 800 kg glass to recycling,
// 300 kg paper to recycling, 100 kg paper to landfill, 50 kg textile to re-use.
const siteDay = [flow('glass', 'in', 'none', 1000), flow('paper', 'in', 'none', 500), flow('glass', 'out', 'recycling', 800), flow('paper', 'out', 'recycling', 300), flow('paper', 'out', 'landfill', 100), flow('textile', 'out', 'reuse', 50)]

describe('footprint metric catalogue (values worked out by hand from the 2025.1 factor set)', () => {
  test('M1: electricity kWh of every meter × the Belgian grid factor 0.154 kg/kWh', () => {
    const rows = metric('electricity_co2e').compute([energy('m1', 'electricity', { consumption_kwh: 100 }), energy('m2', 'electricity', { consumption_kwh: 50 }), energy('h1', 'heat', { consumption_kwh: 999 })], context)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.value).toBeCloseTo(150 * 0.154, 9)
  })

  test('M2 and M3: heat × 0.1796; gas kWh × 0.18231 plus m3 × 2.02633', () => {
    const points = [energy('h1', 'heat', { consumption_kwh: 1000 }), energy('g1', 'gas', { consumption_kwh: 200 }), energy('g2', 'gas', { consumption_m3: 10 })]
    expect(metric('heat_co2e').compute(points, context)[0]!.value).toBeCloseTo(179.6, 9)
    expect(metric('gas_co2e').compute(points, context)[0]!.value).toBeCloseTo(200 * 0.18231 + 10 * 2.02633, 9)
  })

  test('M8: treatment emissions per tonne by fraction and route; re-use has no published factor and is left out', () => {
    const rows = metric('treatment_co2e').compute(siteDay, context)
    const byKey = Object.fromEntries(rows.map((r) => [`${r.dims.fraction}/${r.dims.destination}`, r.value]))
    expect(Object.keys(byKey).sort()).toEqual(['glass/recycling', 'paper/landfill', 'paper/recycling'])
    expect(byKey['glass/recycling']).toBeCloseTo(0.8 * 4.68568, 9)
    expect(byKey['paper/recycling']).toBeCloseTo(0.3 * 4.68568, 9)
    expect(byKey['paper/landfill']).toBeCloseTo(0.1 * 1164.4894, 9)
  })

  test('M9: indicative avoided emissions for recycling and re-use, labelled indicative', () => {
    const m = metric('avoided_co2e_indicative')
    expect(m.indicative).toBe(true)
    const byKey = Object.fromEntries(m.compute(siteDay, context).map((r) => [`${r.dims.fraction}/${r.dims.destination}`, r.value]))
    expect(byKey['glass/recycling']).toBeCloseTo(0.8 * 579.6, 9)
    expect(byKey['paper/recycling']).toBeCloseTo(0.3 * 219.7, 9)
    expect(byKey['textile/reuse']).toBeCloseTo(0.05 * 22157.8, 9)
  })

  test('M10–M13: rates and shares of the outflow, the stock change and the EU targets', () => {
    // Out: 1250 kg; to re-use/recycling 1150; to landfill 100; in: 1500.
    expect(metric('recycling_rate').compute(siteDay, context)[0]!.value).toBeCloseTo(1150 / 1250, 12)
    expect(metric('recycling_rate').targets?.map((t) => [t.year, t.value])).toEqual([[2025, 0.55], [2030, 0.6], [2035, 0.65]])
    expect(metric('landfill_rate').compute(siteDay, context)[0]!.value).toBeCloseTo(100 / 1250, 12)
    expect(metric('landfill_diversion_rate').compute(siteDay, context)[0]!.value).toBeCloseTo(1150 / 1250, 12)
    expect(metric('reuse_rate').compute(siteDay, context)[0]!.value).toBeCloseTo(50 / 1500, 12)
    expect(metric('recycling_share').compute(siteDay, context)[0]!.value).toBeCloseTo(1100 / 1250, 12)
    expect(metric('stock_change_kg').compute(siteDay, context).map((r) => [r.dims.fraction, r.value])).toEqual([['glass', 200], ['paper', 100], ['textile', -50]])
    expect(metric('waste_received_kg').compute(siteDay, context).map((r) => [r.dims.fraction, r.value])).toEqual([['glass', 1000], ['paper', 500]])
  })

  test('M5: an hour 50 % above the median of the same hour in the four weeks before', () => {
    const week = 7 * 86_400_000
    const hour = (time: number, kwh: number): Point => ({ ...energy('m1', 'electricity', { consumption_kwh: kwh }, time), tags: { tenant: 'city', site: 'hall', device: 'm1', interval: 'hour', meter_type: 'electricity' } })
    const history = [10, 12, 8, 30].map((kwh, i) => hour(day - (i + 1) * week, kwh))
    const rows = metric('energy_anomaly').compute([...history, hour(day, 16.5)], { ...context, interval: 'hour' })
    // Median of 8, 10, 12, 30 is 11; (16.5 − 11) / 11 = 0.5.
    expect(rows).toEqual([{ time: day, dims: { meter_type: 'electricity' }, value: 0.5 }])
  })
})
