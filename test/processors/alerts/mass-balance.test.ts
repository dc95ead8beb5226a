import { describe, expect, test } from 'vitest'
import { addFlow, balanceVerdict, closeWindows, emptySiteBalance, weightBefore } from '../../../processors/alerts/mass-balance.js'
import { builtInSettings } from '../../../core/alerts/rule-settings.js'
import type { SiteFlow } from '../../../processors/alerts/site-flow.js'

const hour = 3_600_000
const day0 = Date.parse('2026-11-02T00:00:00Z')
const s = { ...builtInSettings.mass_balance, enabled: true }

let offset = 0
function flow(deviceId: string, parts: { weighings?: SiteFlow['weighings']; stock?: SiteFlow['stock'] }, at = offset++): SiteFlow {
  return { schema: 'circular.site-flow/v1', tenant: 'city', site: 'rc-1', deviceId, weighingDevice: deviceId === 'bridge', source: { topic: 'readings', partition: 0, offset: String(at) }, weighings: parts.weighings ?? [], stock: parts.stock ?? [] }
}
const weighing = (hours: number, direction: 'in' | 'out', netKg: number): SiteFlow['weighings'][number] => ({ time: day0 + hours * hour, direction, netKg })
const stock = (hours: number, kg: number): SiteFlow['stock'][number] => ({ time: day0 + hours * hour, kg })

describe('site mass balance', () => {
  test('a container weight just before a time: the last one before it, or its first for a container weighed only later', () => {
    const samples: [number, number][] = [
      [10, 200],
      [20, 800],
    ]
    expect(weightBefore(samples, 5)).toBe(200)
    expect(weightBefore(samples, 20)).toBe(200)
    expect(weightBefore(samples, 21)).toBe(800)
    expect(weightBefore([], 21)).toBe(0)
  })

  test('a day whose inflow went out or into weighed stock balances; a day with 500 kg unaccounted for raises', () => {
    const site = emptySiteBalance()
    // Day 0: 600 + 400 kg in, 300 kg out. Container A from 200 to 800 kg (+600), container B first
    // weighed at 50 kg mid-day and 150 kg later (+100): 1000 − 300 − 700 = 0.
    addFlow(site, flow('skip-a', { stock: [stock(1, 200)] }), s)
    addFlow(site, flow('bridge', { weighings: [weighing(2, 'in', 600), weighing(3, 'in', 400), weighing(5, 'out', 300)] }), s)
    addFlow(site, flow('skip-b', { stock: [stock(6, 50), stock(7, 150)] }), s)
    addFlow(site, flow('skip-a', { stock: [stock(8, 800)] }), s)
    // Day 1: 2000 kg in, nothing out, container A to 2300 kg (+1500): 500 kg unaccounted for.
    addFlow(site, flow('bridge', { weighings: [weighing(26, 'in', 2000)] }), s)
    addFlow(site, flow('skip-a', { stock: [stock(30, 2300)] }), s)
    // Not yet judged: the newest event (day 1, 06:00) is more than 60 min past day 0's end, so day 0 is.
    const first = closeWindows(site, s)
    expect(first).toEqual([{ start: day0, end: day0 + 24 * hour, inKg: 1000, outKg: 300, stockChangeKg: 700 }])
    expect(balanceVerdict(first[0]!, s).kind).toBe('clear')
    // Day 1 is judged once something happens at 01:00 on day 2 or later.
    addFlow(site, flow('bridge', { weighings: [weighing(48.5, 'in', 10)] }), s)
    expect(closeWindows(site, s)).toEqual([])
    addFlow(site, flow('bridge', { weighings: [weighing(49, 'in', 10)] }), s)
    const second = closeWindows(site, s)
    expect(second).toEqual([{ start: day0 + 24 * hour, end: day0 + 48 * hour, inKg: 2000, outKg: 0, stockChangeKg: 1500 }])
    // Tolerance: max(5 % of 2000, 50) = 100 kg.
    expect(balanceVerdict(second[0]!, s)).toEqual({
      kind: 'raise',
      value: 500,
      reason: '2000 kg in, 0 kg out, stock +1500 kg from 2026-11-03T00:00:00.000Z to 2026-11-04T00:00:00.000Z: 500 kg unaccounted for, more than 100 kg',
    })
  })

  test('a replayed flow should be skipped and a weighing for a judged window counted as late', () => {
    const site = emptySiteBalance()
    const first = flow('bridge', { weighings: [weighing(1, 'in', 100)] })
    expect(addFlow(site, first, s)).toEqual({ applied: true, late: 0 })
    expect(addFlow(site, first, s)).toEqual({ applied: false, late: 0 })
    addFlow(site, flow('bridge', { weighings: [weighing(25, 'in', 100)] }), s)
    expect(closeWindows(site, s).map((w) => w.inKg)).toEqual([100])
    expect(addFlow(site, flow('bridge', { weighings: [weighing(2, 'out', 100)] }), s)).toEqual({ applied: true, late: 1 })
    expect(site.windows).toEqual({ [day0 + 24 * hour]: { inKg: 100, outKg: 0 } })
  })

  test('container weights no open window needs should be forgotten, keeping the last one before', () => {
    const site = emptySiteBalance()
    addFlow(site, flow('skip-a', { stock: [stock(1, 10), stock(2, 20), stock(3, 30)] }), s)
    addFlow(site, flow('skip-a', { stock: [stock(26, 40)] }), s)
    closeWindows(site, s)
    expect(site.containers['skip-a']).toEqual([
      [day0 + 3 * hour, 30],
      [day0 + 26 * hour, 40],
    ])
  })

  test('hysteresis: raised beyond the tolerance, cleared only within tolerance − hysteresis', () => {
    const settings = { ...s, minKg: 10 }
    const verdict = (outKg: number): string => balanceVerdict({ start: day0, end: day0 + 24 * hour, inKg: 1000, outKg, stockChangeKg: 0 }, settings).kind
    // Limit max(50, 10) = 50 kg; clearing needs max(30, 10) = 30 kg or less.
    expect(verdict(940)).toBe('raise') // 60 unaccounted for
    expect(verdict(950)).toBe('hold') // 50: not beyond
    expect(verdict(960)).toBe('hold') // 40
    expect(verdict(970)).toBe('clear') // 30
    expect(verdict(1060)).toBe('raise') // −60: more out than in
  })
})
