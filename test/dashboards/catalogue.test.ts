import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../core/config.js'
import { buildDashboards, dashboardJson, footprintFactors } from '../../dashboards/catalogue.js'
import { uids } from '../../dashboards/links.js'
import { committedDashboards, committedFiles, type DashboardJson } from './dashboard-files.js'

// The committed snapshot is generated with the default configuration (no environment).
const generated = buildDashboards(footprintFactors(loadConfig({})))
const dashboards = committedDashboards()
const panels = dashboards.flatMap((d) => d.panels.map((p) => ({ dashboard: d, panel: p })))

describe('generated dashboards', () => {
  test('the committed JSON in dashboards/generated is exactly what the code generates (run `npm run dashboards` and review the diff)', () => {
    const expected = new Map(generated.map((d) => [`${d.uid}.json`, dashboardJson(d)]))
    const committed = committedFiles()
    expect([...committed.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [file, text] of expected) expect(committed.get(file), file).toBe(text)
  })

  test('every dashboard has a current schema version, its stable uid, a title, and the platform link menu', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(Object.values(uids).sort())
    for (const d of dashboards) {
      expect(d.schemaVersion, d.uid).toBeGreaterThanOrEqual(39)
      expect(d.title, d.uid).not.toBe('')
      expect(d.links.some((l) => l.type === 'dashboards' && l.tags?.includes('circular')), d.uid).toBe(true)
    }
  })

  test('panel ids are unique within each dashboard, and every panel has a title, a unit, the InfluxDB data source and at least one query', () => {
    for (const d of dashboards) expect(new Set(d.panels.map((p) => p.id)).size, d.uid).toBe(d.panels.length)
    for (const { dashboard, panel } of panels) {
      const where = `${dashboard.uid} / ${panel.title}`
      expect(panel.title, where).not.toBe('')
      expect(panel.fieldConfig.defaults.unit, where).toBeTruthy()
      expect(panel.datasource, where).toEqual({ type: 'influxdb', uid: 'circular-influxdb' })
      expect(panel.targets.length, where).toBeGreaterThan(0)
      for (const t of panel.targets) {
        expect(t.datasource?.uid, where).toBe('circular-influxdb')
        expect(t.query, where).toMatch(/^SELECT .* WHERE .*\$timeFilter/)
      }
    }
  })

  test('the footprint dashboards offer tenant, site and fraction, and every variable a query uses is defined', () => {
    const names = (d: DashboardJson): string[] => d.templating.list.map((v) => v.name)
    for (const uid of [uids.cityOverview, uids.wasteOperations, uids.recyclingCentres]) expect(names(dashboards.find((d) => d.uid === uid)!)).toEqual(['tenant', 'site', 'fraction'])
    expect(names(dashboards.find((d) => d.uid === uids.energy)!)).toEqual(['tenant', 'site'])
    for (const d of dashboards) {
      for (const v of d.templating.list) {
        expect(v.query, `${d.uid} $${v.name}`).toMatch(/^SHOW TAG VALUES /)
        expect(v.datasource.uid).toBe('circular-influxdb')
      }
      const queries = [...d.panels.flatMap((p) => p.targets.map((t) => t.query)), ...d.templating.list.map((v) => v.query)]
      const used = new Set(queries.flatMap((q) => [...q.matchAll(/\$(\w+)/g)].map((m) => m[1]!)).filter((n) => !['timeFilter', '__interval'].includes(n)))
      for (const name of used) expect(names(d), `${d.uid} uses $${name}`).toContain(name)
    }
  })

  test('links between dashboards point at dashboards that exist', () => {
    const known = new Set(dashboards.map((d) => d.uid))
    const targets = panels.flatMap(({ panel }) => (panel.links ?? []).map((l) => /^\/d\/([^?]+)/.exec(l.url ?? '')?.[1]))
    expect(targets.length).toBeGreaterThan(0)
    for (const uid of targets) expect(known.has(uid ?? '')).toBe(true)
  })
})
