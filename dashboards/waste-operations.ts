import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { FrameGeometrySourceBuilder, FrameGeometrySourceMode, MapLayerOptionsBuilder } from '@grafana/grafana-foundation-sdk/common'
import { PanelBuilder as GeomapPanel, MapViewConfigBuilder } from '@grafana/grafana-foundation-sdk/geomap'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { dashboardShell } from './dashboard-shell.js'
import { byFraction, hourlyRollups } from './footprint-queries.js'
import { targets } from './influx-target.js'
import { dividedBy, field, last, mean, sum, count, type Condition } from './influxql.js'
import { linkTo, uids } from './links.js'
import { Layout, units } from './panel.js'
import { stackedBars, timeseries } from './panel-kinds.js'
import { fractionVariable, siteVariable, tenantVariable } from './variables.js'

const selected: Condition[] = [{ tag: 'tenant', variable: 'tenant' }, { tag: 'site', variable: 'site' }, byFraction]

/** Fill thresholds: fine, filling, due (the default full threshold 0.8), overflowing. */
const fillThresholds = [
  { value: null, color: 'green' },
  { value: 0.5, color: 'yellow' },
  { value: 0.8, color: 'orange' },
  { value: 1, color: 'red' },
]

/** Each container's newest fill level joined with its registered position (device_inventory). */
function fillMap(): GeomapPanel {
  return new GeomapPanel()
    .view(new MapViewConfigBuilder().id('fit').allLayers(true))
    .basemap(new MapLayerOptionsBuilder().type('osm-standard').name('OpenStreetMap'))
    .layers([
      new MapLayerOptionsBuilder()
        .type('markers')
        .name('Containers')
        .location(new FrameGeometrySourceBuilder().mode(FrameGeometrySourceMode.Coords).latitude('latitude').longitude('longitude'))
        .config({ color: { field: 'fill', fixed: 'green' }, size: { fixed: 8 }, showLegend: true })
        .tooltip(true),
    ])
    .withTransformation({ id: 'joinByField', options: { byField: 'device', mode: 'inner' } })
}

export function wasteOperations(): Dashboard {
  const layout = new Layout()
  return dashboardShell({
    uid: uids.wasteOperations,
    title: 'Waste operations',
    description: 'Container fill levels, time to full, overflow and fire alerts, and collection efficiency.',
    tags: ['waste'],
    variables: [tenantVariable(), siteVariable(), fractionVariable()],
    from: 'now-7d',
  })
    .withPanel(
      layout.place(fillMap(), {
        title: 'Container fill levels',
        description: 'Newest fill level of each container at its registered position; orange from the default full threshold (80 %), red when overflowing.',
        unit: units.ratio,
        size: [12, 12],
        thresholds: fillThresholds,
        targets: targets(
          { query: { select: [{ expr: last('filling_level'), as: 'fill' }], from: 'waste_container', where: selected, groupByTags: ['device'] }, format: 'table' },
          { query: { select: [{ expr: last('latitude'), as: 'latitude' }, { expr: last('longitude'), as: 'longitude' }], from: 'device_inventory', where: [...selected, { tag: 'kind', is: 'waste_container' }], groupByTags: ['device'] }, format: 'table' },
        ),
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Time to full',
        description: 'Per container, hours until it reaches its full threshold at the fill rate since its last emptying (M16, least squares over at least three readings).',
        unit: units.hours,
        size: [12, 12],
        targets: targets({
          query: {
            select: [{ expr: last('time_to_full_h'), as: 'hours to full' }, { expr: last('fill_rate_per_day'), as: 'fill rate per day' }, { expr: last('fill_level'), as: 'fill' }],
            from: 'container_forecast',
            where: selected,
            groupByTags: ['site', 'fraction', 'device'],
          },
          format: 'table',
        }),
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Overflow and fire alerts',
        description: 'Alert transitions of the fill (container full) and fire rules in the time range.',
        unit: units.count,
        size: [12, 9],
        targets: targets({
          query: { select: [{ expr: field('alert_id'), as: 'alert' }, { expr: field('value'), as: 'value' }, { expr: field('reason'), as: 'reason' }], from: 'alerts', where: [{ tag: 'tenant', variable: 'tenant' }, { tag: 'site', variable: 'site' }, { tag: 'rule', oneOf: ['fill', 'fire'] }], groupByTags: ['rule', 'phase', 'device'] },
          format: 'table',
        }),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Overflows and fire alerts over time',
        description: 'Overflow periods that began (M15) and fire alerts raised.',
        unit: units.count,
        size: [12, 9],
        minInterval: '1h',
        targets: targets(
          { query: { select: [{ expr: sum('overflow_events'), as: 'overflows' }], from: 'collection_rollup', where: [...hourlyRollups, byFraction], groupByTime: 'auto', fill: 'none' } },
          { query: { select: [{ expr: count('alert_id'), as: 'fire alerts' }], from: 'alerts', where: [{ tag: 'tenant', variable: 'tenant' }, { tag: 'site', variable: 'site' }, { tag: 'rule', is: 'fire' }, { tag: 'phase', is: 'firing' }], groupByTime: 'auto', fill: 'none' } },
        ),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Low-fill collection share',
        description: 'Share of collections made below 50 % fill (wasted trips, M14) in the time range.',
        unit: units.ratio,
        size: [6, 6],
        thresholds: [{ value: null, color: 'green' }, { value: 0.2, color: 'orange' }, { value: 0.4, color: 'red' }],
        targets: targets({ query: { select: [{ expr: dividedBy(sum('low_fill_collections'), sum('collections')), as: 'low-fill share' }], from: 'collection_rollup', where: [...hourlyRollups, byFraction] } }),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Mean fill at collection',
        description: 'Mean fill level just before a collection (M14).',
        unit: units.ratio,
        size: [6, 6],
        targets: targets({ query: { select: [{ expr: dividedBy(sum('fill_at_collection_sum'), sum('collections')), as: 'fill at collection' }], from: 'collection_rollup', where: [...hourlyRollups, byFraction] } }),
      }),
    )
    .withPanel(
      layout.place(timeseries(), {
        title: 'Mean fill level by fraction',
        description: 'Mean of the fill-level readings per bucket.',
        unit: units.ratio,
        size: [12, 9],
        thresholds: fillThresholds,
        targets: targets({ query: { select: [{ expr: mean('filling_level'), as: 'fill' }], from: 'waste_container', where: selected, groupByTime: 'auto', groupByTags: ['fraction'], fill: 'none' }, alias: '$tag_fraction' }),
        links: [linkTo(uids.cityOverview, 'City overview')],
      }),
    )
    .build()
}
