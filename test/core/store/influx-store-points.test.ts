import { afterAll, describe, expect, test } from 'vitest'
import { InfluxStore } from '../../../core/store/influx-store.js'
import { dropDatabase, silentLogger, testInfluxConfig } from './test-database.js'

describe('InfluxStore.points', () => {
  const config = testInfluxConfig()
  const store = new InfluxStore(config, silentLogger)
  afterAll(async () => {
    await dropDatabase(config.database)
    await store.close()
  })

  test('should return whole points with their tags, filtered by tag and time, oldest first per series', async () => {
    await store.ensureReady()
    const base = Date.parse('2026-03-01T00:00:00Z')
    const tags = { tenant: 'city', site: 'rc-1', interval: 'day' }
    await store.write([
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'glass', direction: 'in' }, fields: { mass_kg: 120, weighings: 2 }, time: base + 86_400_000 },
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'glass', direction: 'in' }, fields: { mass_kg: 100, weighings: 1 }, time: base },
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'paper', direction: 'out' }, fields: { mass_kg: 80, weighings: 1 }, time: base },
      { measurement: 'material_flow_rollup', tags: { ...tags, tenant: 'othercity', fraction: 'glass', direction: 'in' }, fields: { mass_kg: 999, weighings: 9 }, time: base },
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'glass', direction: 'in' }, fields: { mass_kg: 5, weighings: 1 }, time: base + 3 * 86_400_000 },
    ])
    const points = await store.points({ measurement: 'material_flow_rollup', tags: { tenant: 'city', interval: 'day' }, from: base, to: base + 2 * 86_400_000, limit: 100 })
    const sorted = [...points].sort((a, b) => String(a.tags.fraction).localeCompare(String(b.tags.fraction)) || a.time - b.time)
    expect(sorted).toEqual([
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'glass', direction: 'in' }, fields: { mass_kg: 100, weighings: 1 }, time: base },
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'glass', direction: 'in' }, fields: { mass_kg: 120, weighings: 2 }, time: base + 86_400_000 },
      { measurement: 'material_flow_rollup', tags: { ...tags, fraction: 'paper', direction: 'out' }, fields: { mass_kg: 80, weighings: 1 }, time: base },
    ])
  })

  test('a hostile tag value should match nothing', async () => {
    const points = await store.points({ measurement: 'material_flow_rollup', tags: { tenant: "city' OR tenant='othercity" }, from: 0, to: Date.now(), limit: 100 })
    expect(points).toEqual([])
  })
})
