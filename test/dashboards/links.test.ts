import { DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard'
import { describe, expect, test } from 'vitest'
import { linkTo, platformDashboardsLink, platformTag, uids } from '../../dashboards/links.js'

describe('dashboard uids', () => {
  test('should stay as they are, so that links and bookmarks survive regeneration', () => {
    expect(uids).toEqual({
      cityOverview: 'circular-city-overview',
      wasteOperations: 'circular-waste-operations',
      energy: 'circular-energy',
      recyclingCentres: 'circular-recycling-centres',
      pipelineHealth: 'circular-pipeline-health',
    })
  })
})

describe('platformDashboardsLink', () => {
  test('should be a dropdown of the dashboards with the platform tag, keeping the time range and variables', () => {
    expect(platformTag).toBe('circular')
    expect(platformDashboardsLink().build()).toMatchObject({
      title: 'Circular dashboards',
      type: DashboardLinkType.Dashboards,
      tags: ['circular'],
      asDropdown: true,
      keepTime: true,
      includeVars: true,
    })
  })
})

describe('linkTo', () => {
  test('should link to the dashboard by uid with the time range and variables in its URL, and not have Grafana add them again', () => {
    expect(linkTo(uids.recyclingCentres, 'Recycling centres').build()).toMatchObject({
      title: 'Recycling centres',
      type: DashboardLinkType.Link,
      url: '/d/circular-recycling-centres?${__url_time_range}&${__all_variables}',
      keepTime: false,
      includeVars: false,
    })
  })
})
