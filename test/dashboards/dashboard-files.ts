import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The parts of a generated dashboard the tests look at. */
export interface DashboardJson {
  uid: string
  title: string
  schemaVersion: number
  time: { from: string; to: string }
  links: { type: string; tags?: string[]; url?: string }[]
  templating: { list: { name: string; query: string; datasource: { uid: string } }[] }
  panels: PanelJson[]
}

export interface PanelJson {
  id: number
  type: string
  title: string
  interval?: string
  datasource?: { type: string; uid: string }
  fieldConfig: { defaults: { unit?: string } }
  links?: { url?: string }[]
  targets: { refId: string; query: string; resultFormat: string; datasource?: { uid: string } }[]
}

export const generatedDir = 'dashboards/generated'

/** The committed snapshot: file name → its text. */
export function committedFiles(): Map<string, string> {
  return new Map(readdirSync(generatedDir).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(generatedDir, f), 'utf8')]))
}

export function committedDashboards(): DashboardJson[] {
  return [...committedFiles().values()].map((text) => JSON.parse(text) as DashboardJson)
}
