import { DashboardBuilder, DashboardCursorSync, type QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { platformDashboardsLink, platformTag, type DashboardUid } from './links.js'

/**
 * What every platform dashboard shares: its stable uid, the platform tag and link menu, read-only
 * in Grafana (changes go through this code and the reviewed snapshot), UTC like the rollups.
 */
export function dashboardShell(spec: { uid: DashboardUid; title: string; description: string; tags: string[]; variables: QueryVariableBuilder[]; from: string }): DashboardBuilder {
  const dashboard = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([platformTag, ...spec.tags])
    .readonly()
    .timezone('utc')
    .time({ from: spec.from, to: 'now' })
    .refresh('1m')
    .tooltip(DashboardCursorSync.Crosshair)
    .link(platformDashboardsLink())
  for (const v of spec.variables) dashboard.withVariable(v)
  return dashboard
}
