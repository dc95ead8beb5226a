import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { dashboardShell } from './dashboard-shell.js'
import { byFraction, flowShare, gasCo2e, gridFactor, hourlyRollups, meterCo2e, treatmentCo2e, type FootprintFactors } from './footprint-queries.js'
import { targets } from './influx-target.js'
import { sum } from './influxql.js'
import { linkTo, uids } from './links.js'
import { Layout, units } from './panel.js'
import { linesAgainstThresholds, stackedBars } from './panel-kinds.js'
import { fractionVariable, siteVariable, tenantVariable } from './variables.js'

/** EU recycling targets for municipal waste (Directive 2008/98/EC Art. 11(2) as amended by 2018/851). */
const recyclingTargets = [
  { value: null, color: 'red' },
  { value: 0.55, color: 'orange' },
  { value: 0.6, color: 'yellow' },
  { value: 0.65, color: 'green' },
]

/** At most 10 % landfilled by 2035 (Directive (EU) 2018/850 Art. 5): diversion of at least 90 %. */
const diversionTargets = [
  { value: null, color: 'red' },
  { value: 0.9, color: 'green' },
]

export function cityOverview(factors: FootprintFactors): Dashboard {
  const layout = new Layout()
  const version = `factor set ${factors.set.version}`
  const bySource = { groupByTime: 'auto', fill: 'none' } as const
  const bySite = { groupByTime: 'auto', groupByTags: ['site'], fill: 'none' } as const

  return dashboardShell({
    uid: uids.cityOverview,
    title: 'City overview',
    description: 'Emissions by source and site, waste by fraction, recycling and landfill diversion against the EU targets, and material flows.',
    tags: ['footprint'],
    variables: [tenantVariable(), siteVariable(), fractionVariable()],
    from: 'now-30d',
  })
    .withPanel(
      layout.place(stackedBars(), {
        title: 'CO2e by source',
        description: `Electricity (Scope 2, grid factor ${factors.country} ${gridFactor(factors)} kg/kWh), district heat (Scope 2), natural gas (Scope 1) and waste treatment (inventory, M8), ${version}. The API serves the same metrics with any factor set.`,
        unit: units.co2eKg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets(
          { query: meterCo2e('electricity', gridFactor(factors), 'electricity', bySource) },
          { query: meterCo2e('heat', factors.set.districtHeat.value, 'district heat', bySource) },
          { query: gasCo2e(factors, 'natural gas', bySource) },
          { query: treatmentCo2e(factors, 'waste treatment', bySource) },
        ),
        links: [linkTo(uids.energy, 'Energy'), linkTo(uids.recyclingCentres, 'Recycling centres')],
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'CO2e by site',
        description: `Energy and waste-treatment emissions per site, ${version}.`,
        unit: units.co2eKg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets(
          { query: meterCo2e('electricity', gridFactor(factors), 'electricity', bySite), alias: '$tag_site electricity' },
          { query: meterCo2e('heat', factors.set.districtHeat.value, 'district heat', bySite), alias: '$tag_site district heat' },
          { query: gasCo2e(factors, 'natural gas', bySite), alias: '$tag_site natural gas' },
          { query: treatmentCo2e(factors, 'waste treatment', bySite), alias: '$tag_site waste treatment' },
        ),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Waste by fraction',
        description: 'Received at recycling centres (weighbridge inflows, M6) and collected from containers (weight just before each emptying).',
        unit: units.kg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets(
          { query: { select: [{ expr: sum('mass_kg'), as: 'received' }], from: 'material_flow_rollup', where: [...hourlyRollups, byFraction, { tag: 'direction', is: 'in' }], groupByTime: 'auto', groupByTags: ['fraction'], fill: 'none' }, alias: '$tag_fraction received' },
          { query: { select: [{ expr: sum('collected_kg'), as: 'collected' }], from: 'collection_rollup', where: [...hourlyRollups, byFraction], groupByTime: 'auto', groupByTags: ['fraction'], fill: 'none' }, alias: '$tag_fraction collected' },
        ),
        links: [linkTo(uids.wasteOperations, 'Waste operations')],
      }),
    )
    .withPanel(
      layout.place(linesAgainstThresholds(), {
        title: 'Recycling and landfill diversion against EU targets',
        description: 'Recycling rate (M10: re-use, recycling and composting over all outflow) with the EU targets of 55 % (2025), 60 % (2030) and 65 % (2035) as threshold lines; landfill diversion (M11) against the 2035 cap of 10 % landfilled. Measured at the site gate.',
        unit: units.ratio,
        size: [12, 9],
        minInterval: '1d',
        thresholds: recyclingTargets,
        targets: targets(
          { query: flowShare(['reuse', 'recycling', 'composting'], 'out', 'recycling rate', { groupByTime: 'auto', fill: 'none' }) },
          { query: flowShare(['reuse', 'recycling', 'composting', 'energy_recovery'], 'out', 'landfill diversion', { groupByTime: 'auto', fill: 'none' }) },
        ),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Recycling rate in the period',
        description: 'M10 over the whole time range; green from the 2035 target of 65 %.',
        unit: units.ratio,
        size: [6, 6],
        thresholds: recyclingTargets,
        targets: targets({ query: flowShare(['reuse', 'recycling', 'composting'], 'out', 'recycling rate', {}) }),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Landfill diversion in the period',
        description: 'M11 over the whole time range; green from 90 % (at most 10 % landfilled, 2035).',
        unit: units.ratio,
        size: [6, 6],
        thresholds: diversionTargets,
        targets: targets({ query: flowShare(['reuse', 'recycling', 'composting', 'energy_recovery'], 'out', 'landfill diversion', {}) }),
      }),
    )
    .withPanel(
      layout.place(new TablePanel(), {
        title: 'Material flows',
        description: 'Mass per fraction, direction and destination at the recycling centres in the time range (inflows have destination "none").',
        unit: units.kg,
        size: [12, 9],
        targets: targets({ query: { select: [{ expr: sum('mass_kg'), as: 'mass' }], from: 'material_flow_rollup', where: [...hourlyRollups, byFraction], groupByTags: ['fraction', 'direction', 'destination'] }, format: 'table' }),
        links: [linkTo(uids.recyclingCentres, 'Recycling centres')],
      }),
    )
    .build()
}
