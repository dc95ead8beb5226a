import { describe, expect, test } from 'vitest'
import { deriveConsumption } from '../../../processors/footprint/derive-energy.js'
import { emptyState } from '../../../processors/footprint/state.js'
import type { CanonicalReading } from '../../../models/reading.js'

const t = (iso: string): number => Date.parse(iso)
const register = (value: number, iso: string): CanonicalReading => ({ attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value, unit: 'kWh', time: t(iso) })
const tags = { tenant: 'city', site: 'hall', device: 'meter-1' }
const spec = { meterType: 'electricity' as const, consumptionField: 'consumption_kwh' as const }

describe('energy consumption from a cumulative register', () => {
  test('differences between readings should land in the hours they were consumed in, and in the day and month', () => {
    const state = emptyState(0, '0')
    expect(deriveConsumption(state, tags, register(1000, '2026-03-01T10:00:00Z'), spec)).toEqual([])
    deriveConsumption(state, tags, register(1004, '2026-03-01T11:00:00Z'), spec)
    const points = deriveConsumption(state, tags, register(1010, '2026-03-01T12:30:00Z'), spec)
    // 6 kWh over 90 minutes: 4 in hour 11, 2 in hour 12; the day holds all 10.
    const hour11 = points.find((p) => p.tags.interval === 'hour' && p.time === t('2026-03-01T11:00:00Z'))
    const hour12 = points.find((p) => p.tags.interval === 'hour' && p.time === t('2026-03-01T12:00:00Z'))
    const day = points.filter((p) => p.tags.interval === 'day').at(-1)
    expect(hour11?.fields.consumption_kwh).toBeCloseTo(4, 9)
    expect(hour12?.fields.consumption_kwh).toBeCloseTo(2, 9)
    expect(day).toMatchObject({ measurement: 'energy_rollup', time: t('2026-03-01T00:00:00Z'), tags: { ...tags, meter_type: 'electricity', interval: 'day' } })
    expect(day?.fields.consumption_kwh).toBeCloseTo(10, 9)
  })

  test('a register that goes backwards should count as restarted from zero and be flagged', () => {
    const state = emptyState(0, '0')
    deriveConsumption(state, tags, register(5000, '2026-03-01T10:00:00Z'), spec)
    const points = deriveConsumption(state, tags, register(3, '2026-03-01T10:30:00Z'), spec)
    const hour = points.filter((p) => p.tags.interval === 'hour').at(-1)
    expect(hour?.fields).toEqual({ consumption_kwh: 3, counter_resets: 1 })
  })

  test('a reading older than the newest one should not produce negative or double consumption', () => {
    const state = emptyState(0, '0')
    deriveConsumption(state, tags, register(100, '2026-03-01T10:00:00Z'), spec)
    deriveConsumption(state, tags, register(110, '2026-03-01T11:00:00Z'), spec)
    expect(deriveConsumption(state, tags, register(105, '2026-03-01T10:30:00Z'), spec)).toEqual([])
    expect(state.counters['energy_ac.total_active_energy_import_kwh']).toEqual({ value: 110, time: t('2026-03-01T11:00:00Z') })
  })
})
