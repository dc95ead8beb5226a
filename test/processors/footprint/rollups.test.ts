import { describe, expect, test } from 'vitest'
import { contribute, evictClosedWindows } from '../../../processors/footprint/rollups.js'
import { emptyState } from '../../../processors/footprint/state.js'

const t = (iso: string): number => Date.parse(iso)
const tags = { tenant: 'city', site: 'rc-1', device: 'scale-1' }

describe('rollups', () => {
  test('a late contribution should re-emit the corrected window under the same series and time', () => {
    const state = emptyState(0, '0')
    const dims = { fraction: 'glass', direction: 'in', destination: 'none' }
    contribute(state, tags, { measurement: 'material_flow_rollup', dims, time: t('2026-03-01T10:10:00Z'), add: { mass_kg: 100 } })
    contribute(state, tags, { measurement: 'material_flow_rollup', dims, time: t('2026-03-01T11:10:00Z'), add: { mass_kg: 50 } })
    const corrected = contribute(state, tags, { measurement: 'material_flow_rollup', dims, time: t('2026-03-01T10:50:00Z'), add: { mass_kg: 25 } })
    expect(corrected).toEqual([
      { measurement: 'material_flow_rollup', tags: { ...tags, ...dims, interval: 'hour' }, fields: { mass_kg: 125 }, time: t('2026-03-01T10:00:00Z') },
      { measurement: 'material_flow_rollup', tags: { ...tags, ...dims, interval: 'day' }, fields: { mass_kg: 175 }, time: t('2026-03-01T00:00:00Z') },
      { measurement: 'material_flow_rollup', tags: { ...tags, ...dims, interval: 'month' }, fields: { mass_kg: 175 }, time: t('2026-03-01T00:00:00Z') },
    ])
  })

  test('max should keep the largest value and last the newest one, whatever order readings arrive in', () => {
    const state = emptyState(0, '0')
    const c = (iso: string, fill: number) => contribute(state, tags, { measurement: 'container_rollup', dims: {}, time: t(iso), add: { fill_sum: fill, fill_count: 1 }, max: { fill_max: fill }, last: { fill_last: fill } })
    c('2026-03-01T10:10:00Z', 0.4)
    c('2026-03-01T10:50:00Z', 0.6)
    const hour = c('2026-03-01T10:30:00Z', 0.9).find((p) => p.tags.interval === 'hour')!
    expect(hour.fields).toEqual({ fill_sum: 1.9, fill_count: 3, fill_max: 0.9, fill_last: 0.6, last_observed_at: t('2026-03-01T10:50:00Z') })
  })

  test('evictClosedWindows should keep only windows that end after the watermark', () => {
    const state = emptyState(0, '0')
    contribute(state, tags, { measurement: 'm', dims: {}, time: t('2026-03-01T10:10:00Z'), add: { x: 1 } })
    evictClosedWindows(state, t('2026-03-01T11:00:00Z'))
    expect(Object.values(state.windows).map((w) => w.interval).sort()).toEqual(['day', 'month'])
  })
  test('eviction should go on finding closed windows as the watermark moves, also in a state read back from JSON', () => {
    const state = emptyState(0, '0')
    for (const time of ['2026-03-01T10:10:00Z', '2026-03-01T11:10:00Z', '2026-03-02T09:00:00Z']) contribute(state, tags, { measurement: 'm', dims: {}, time: t(time), add: { x: 1 } })
    evictClosedWindows(state, t('2026-03-01T11:00:00Z'))
    const open = (s: typeof state): string[] => Object.values(s.windows).map((w) => `${w.interval} ${new Date(w.start).toISOString()}`).sort()
    expect(open(state)).toEqual(['day 2026-03-01T00:00:00.000Z', 'day 2026-03-02T00:00:00.000Z', 'hour 2026-03-01T11:00:00.000Z', 'hour 2026-03-02T09:00:00.000Z', 'month 2026-03-01T00:00:00.000Z'])
    // An earlier window opened after an eviction (a late reading) must still be evicted in time.
    contribute(state, tags, { measurement: 'm', dims: {}, time: t('2026-03-01T11:30:00Z'), add: { x: 1 } })
    evictClosedWindows(state, t('2026-03-01T12:00:00Z'))
    expect(open(state)).toEqual(['day 2026-03-01T00:00:00.000Z', 'day 2026-03-02T00:00:00.000Z', 'hour 2026-03-02T09:00:00.000Z', 'month 2026-03-01T00:00:00.000Z'])
    const reloaded = JSON.parse(JSON.stringify(state)) as typeof state
    contribute(reloaded, tags, { measurement: 'm', dims: {}, time: t('2026-03-02T10:00:00Z'), add: { x: 1 } })
    evictClosedWindows(reloaded, t('2026-03-02T00:00:00Z'))
    expect(open(reloaded)).toEqual(['day 2026-03-02T00:00:00.000Z', 'hour 2026-03-02T09:00:00.000Z', 'hour 2026-03-02T10:00:00.000Z', 'month 2026-03-01T00:00:00.000Z'])
  })
})
