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

  test('evictClosedWindows should keep only windows that end after the watermark', () => {
    const state = emptyState(0, '0')
    contribute(state, tags, { measurement: 'm', dims: {}, time: t('2026-03-01T10:10:00Z'), add: { x: 1 } })
    evictClosedWindows(state, t('2026-03-01T11:00:00Z'))
    expect(Object.values(state.windows).map((w) => w.interval).sort()).toEqual(['day', 'month'])
  })
})
