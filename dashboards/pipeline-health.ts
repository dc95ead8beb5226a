import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { healthMeasurements } from '../models/health-measurements.js'
import { dashboardShell } from './dashboard-shell.js'
import { targets } from './influx-target.js'
import { dividedBy, field, last, max, sum, times, type Condition } from './influxql.js'
import { uids } from './links.js'
import { Layout, units } from './panel.js'
import { stackedBars, timeseries } from './panel-kinds.js'
import { hostVariable } from './variables.js'

const byHost: Condition[] = [{ tag: 'host', variable: 'host' }]
const hopCounters = ['received', 'accepted', 'dead_lettered', 'stored'] as const

export function pipelineHealth(): Dashboard {
  const layout = new Layout()
  return dashboardShell({
    uid: uids.pipelineHealth,
    title: 'Pipeline health',
    description: 'Per-hop counters, dead-letter reasons, consumer lag and end-to-end delay, as written by the health reporter.',
    tags: ['operations'],
    variables: [hostVariable()],
    from: 'now-6h',
  })
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Records per hop',
        description: 'Received, accepted, dead-lettered and stored per component in the time range: ingest → normaliser → store-sink, with footprint and alerts beside them. Empty cells: the component has no such counter.',
        unit: units.records,
        size: [24, 7],
        targets: targets({ query: { select: hopCounters.map((c) => ({ expr: sum(c), as: c })), from: healthMeasurements.counters, where: byHost, groupByTags: ['component'] }, format: 'table' }),
      }),
    )
    .withPanel(
      layout.place(timeseries(), {
        title: 'Received per hop',
        description: 'Records each component received per bucket.',
        unit: units.records,
        size: [12, 8],
        targets: targets({ query: { select: [{ expr: sum('received'), as: 'received' }], from: healthMeasurements.counters, where: byHost, groupByTime: 'auto', groupByTags: ['component'], fill: '0' }, alias: '$tag_component' }),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Dead letters by reason',
        description: 'Records sent to the dead-letter topic, by the component that refused them and the reason code (core/errors.ts).',
        unit: units.records,
        size: [12, 8],
        targets: targets({ query: { select: [{ expr: sum('records'), as: 'records' }], from: healthMeasurements.deadLetters, where: byHost, groupByTime: 'auto', groupByTags: ['stage', 'code'], fill: 'none' }, alias: '$tag_stage $tag_code' }),
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Dead-letter reasons',
        description: 'Dead letters per component and reason code in the time range.',
        unit: units.records,
        size: [12, 8],
        targets: targets({ query: { select: [{ expr: sum('records'), as: 'records' }], from: healthMeasurements.deadLetters, where: byHost, groupByTags: ['stage', 'code'] }, format: 'table' }),
      }),
    )
    .withPanel(
      layout.place(timeseries(), {
        title: 'Consumer lag',
        description: 'Records not yet committed per consumer group and topic (sum over partitions of the highest lag in each bucket).',
        unit: units.records,
        size: [12, 8],
        targets: targets({
          query: {
            select: [{ expr: sum('lag'), as: 'lag' }],
            from: [{ select: [{ expr: max('lag'), as: 'lag' }], from: healthMeasurements.lag, groupByTime: 'auto', groupByTags: ['group', 'topic', 'partition'] }],
            groupByTime: 'auto',
            groupByTags: ['group', 'topic'],
            fill: 'none',
          },
          alias: '$tag_group $tag_topic',
        }),
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Lag per partition',
        description: 'Newest lag of every consumer group, topic and partition.',
        unit: units.records,
        size: [12, 8],
        targets: targets({ query: { select: [{ expr: last('lag'), as: 'lag' }], from: healthMeasurements.lag, groupByTags: ['group', 'topic', 'partition'] }, format: 'table' }),
      }),
    )
    .withPanel(
      layout.place(timeseries(), {
        title: 'End-to-end delay',
        description: 'From broker receipt (received) and from the device\u2019s observation time (observed) until the store accepted the reading: mean weighted by readings, and the maximum per bucket. Observed delays include time a device buffered its readings.',
        unit: units.ms,
        size: [24, 8],
        targets: targets(
          {
            query: {
              select: [{ expr: dividedBy(sum('weighted_ms'), sum('readings')), as: 'mean' }],
              from: [{ select: [{ expr: times(field('mean_ms'), field('readings')), as: 'weighted_ms' }, { expr: field('readings'), as: 'readings' }], from: healthMeasurements.delay, where: byHost }],
              groupByTime: 'auto',
              groupByTags: ['stage', 'basis'],
              fill: 'none',
            },
            alias: '$tag_basis mean',
          },
          { query: { select: [{ expr: max('max_ms'), as: 'max' }], from: healthMeasurements.delay, where: byHost, groupByTime: 'auto', groupByTags: ['stage', 'basis'], fill: 'none' }, alias: '$tag_basis max' },
        ),
      }),
    )
    .build()
}
