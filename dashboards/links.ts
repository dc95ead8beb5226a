import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard'

/** Every dashboard of the platform carries this tag; the link menu lists them all. */
export const platformTag = 'circular'

/** The dashboards' uids: stable, so links and bookmarks survive regeneration. */
export const uids = {
  cityOverview: 'circular-city-overview',
  wasteOperations: 'circular-waste-operations',
  energy: 'circular-energy',
  recyclingCentres: 'circular-recycling-centres',
  pipelineHealth: 'circular-pipeline-health',
} as const

export type DashboardUid = (typeof uids)[keyof typeof uids]

/** The dropdown of all platform dashboards, keeping time range and variables. */
export function platformDashboardsLink(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('Circular dashboards').type(DashboardLinkType.Dashboards).tags([platformTag]).asDropdown(true).keepTime(true).includeVars(true)
}

/** A link from a panel to another dashboard, with the same time range and variables. */
export function linkTo(uid: DashboardUid, title: string): DashboardLinkBuilder {
  return new DashboardLinkBuilder(title).type(DashboardLinkType.Link).url(`/d/${uid}?\${__url_time_range}&\${__all_variables}`).keepTime(false).includeVars(false)
}
