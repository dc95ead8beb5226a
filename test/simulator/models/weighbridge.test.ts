import { describe, expect, test } from 'vitest'
import { localTime } from '../../../simulator/local-time.js'
import { isOpen, outflowHours, WeighbridgeModel, type Weighing } from '../../../simulator/models/weighbridge.js'
import { Rng } from '../../../simulator/prng.js'
import { flowDestinations } from '../../../models/vocabulary.js'

const start = Date.parse('2026-01-12T00:00:00Z') // a Monday
const week = 7 * 24 * 3_600_000

function weekOfWeighings(seed: number): Weighing[] {
  const bridge = new WeighbridgeModel(new Rng(seed), start, 'Europe/Brussels')
  const out: Weighing[] = []
  for (let w = bridge.next(); w.time < start + week; w = bridge.next()) out.push(w)
  return out
}

describe('WeighbridgeModel', () => {
  const weighings = weekOfWeighings(4)

  test('should weigh only while the centre is open, in time order, on whole seconds', () => {
    expect(weighings.length).toBeGreaterThan(200)
    for (const [i, w] of weighings.entries()) {
      expect(isOpen(localTime(w.time, 'Europe/Brussels'))).toBe(true)
      expect(w.time % 1000).toBe(0)
      if (i > 0) expect(w.time).toBeGreaterThan(weighings[i - 1]!.time)
    }
  })

  test('every weighing should have net = gross − tare, as the normaliser checks', () => {
    for (const w of weighings) {
      expect(w.grossKg - w.tareKg).toBe(w.netKg)
      expect(w.netKg).toBeGreaterThan(0)
      expect(w.wasteCode).toMatch(/^\d{6}$/)
    }
  })

  test('inflows should have no destination; trucks should leave at the outflow hours for every destination within the week', () => {
    const inflows = weighings.filter((w) => w.direction === 'in')
    const outflows = weighings.filter((w) => w.direction === 'out')
    expect(inflows.every((w) => w.destination === undefined)).toBe(true)
    expect(outflows.every((w) => outflowHours.includes(localTime(w.time, 'Europe/Brussels').hour))).toBe(true)
    expect(new Set(outflows.map((w) => w.destination))).toEqual(new Set(flowDestinations))
    // Monday–Saturday three trucks a day, Sunday one (10–13).
    expect(outflows).toHaveLength(6 * 3 + 1)
  })
})
