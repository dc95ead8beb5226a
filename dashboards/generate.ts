import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../core/config.js'
import { buildDashboards, dashboardJson, footprintFactors } from './catalogue.js'

/** Where `npm run dashboards` writes, and where Grafana's dashboard provider reads (deploy/grafana). */
export const generatedDir = join(fileURLToPath(new URL('.', import.meta.url)), 'generated')

/** Writes one file per dashboard and removes files of dashboards that no longer exist. */
export function writeDashboards(dir: string = generatedDir): string[] {
  const dashboards = buildDashboards(footprintFactors(loadConfig()))
  mkdirSync(dir, { recursive: true })
  const files = dashboards.map((d) => `${d.uid}.json`)
  for (const stale of readdirSync(dir).filter((f) => f.endsWith('.json') && !files.includes(f))) rmSync(join(dir, stale))
  for (const d of dashboards) writeFileSync(join(dir, `${d.uid}.json`), dashboardJson(d))
  return files
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of writeDashboards()) console.log(`dashboards/generated/${file}`)
}
