import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { dashboardShell } from './dashboard-shell.js'
import { byFraction, flowShare, hourlyRollups } from './footprint-queries.js'
import { targets } from './influx-target.js'
import { field, sum, times, type Condition } from './influxql.js'
import { linkTo, uids } from './links.js'
import { Layout, units } from './panel.js'
import { linesAgainstThresholds, stackedBars } from './panel-kinds.js'
import { fractionVariable, siteVariable, tenantVariable } from './variables.js'

const flows: Condition[] = [...hourlyRollups, byFraction]
const inflow: Condition = { tag: 'direction', is: 'in' }
const outflow: Condition = { tag: 'direction', is: 'out' }

export function recyclingCentres(): Dashboard {
  const layout = new Layout()
  return dashboardShell({
    uid: uids.recyclingCentres,
    title: 'Recycling centres',
    description: 'Weighbridge flows by material and destination, the sites\u2019 mass balance, and re-use and recycling shares.',
    tags: ['waste', 'footprint'],
    variables: [tenantVariable(), siteVariable(), fractionVariable()],
    from: 'now-30d',
  })
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Inflow by material',
        description: 'Net mass received per material (M6).',
        unit: units.kg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets({ query: { select: [{ expr: sum('mass_kg'), as: 'inflow' }], from: 'material_flow_rollup', where: [...flows, inflow], groupByTime: 'auto', groupByTags: ['fraction'], fill: 'none' }, alias: '$tag_fraction' }),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Outflow by material and destination',
        description: 'Net mass sent out per material and destination (re-use, recycling, composting, energy recovery, landfill).',
        unit: units.kg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets({ query: { select: [{ expr: sum('mass_kg'), as: 'outflow' }], from: 'material_flow_rollup', where: [...flows, outflow], groupByTime: 'auto', groupByTags: ['fraction', 'destination'], fill: 'none' }, alias: '$tag_fraction → $tag_destination' }),
      }),
    )
    .withPanel(
      layout.place(new BarGaugePanel(), {
        title: 'Mass balance by material',
        description: 'Inflow minus outflow per material in the time range (M12): what the sites hold more (positive) or less (negative) at the end.',
        unit: units.kg,
        size: [12, 9],
        targets: targets({
          query: {
            select: [{ expr: sum('signed_kg'), as: 'stock change' }],
            from: [
              { select: [{ expr: field('mass_kg'), as: 'signed_kg' }], from: 'material_flow_rollup', where: [...flows, inflow] },
              { select: [{ expr: times(field('mass_kg'), -1), as: 'signed_kg' }], from: 'material_flow_rollup', where: [...flows, outflow] },
            ],
            groupByTags: ['fraction'],
          },
          alias: '$tag_fraction',
        }),
      }),
    )
    .withPanel(
      layout.place(linesAgainstThresholds(), {
        title: 'Re-use and recycling shares',
        description: 'Re-use rate (M13: re-used ÷ received) and recycling share (M13: recycled ÷ sent out) per bucket; the line marks the 2025 EU recycling target of 55 %.',
        unit: units.ratio,
        size: [12, 9],
        minInterval: '1d',
        thresholds: [{ value: null, color: 'red' }, { value: 0.55, color: 'green' }],
        targets: targets(
          { query: flowShare(['reuse'], 'in', 're-use rate', { groupByTime: 'auto', fill: 'none' }) },
          { query: flowShare(['recycling'], 'out', 'recycling share', { groupByTime: 'auto', fill: 'none' }) },
        ),
        links: [linkTo(uids.cityOverview, 'City overview')],
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Weighings per site',
        description: 'Number of weighings and mass per site and direction in the time range.',
        unit: units.kg,
        size: [24, 8],
        targets: targets({ query: { select: [{ expr: sum('weighings'), as: 'weighings' }, { expr: sum('mass_kg'), as: 'mass' }], from: 'material_flow_rollup', where: flows, groupByTags: ['site', 'direction'] }, format: 'table' }),
      }),
    )
    .build()
}
