import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { dashboardShell } from './dashboard-shell.js'
import { gasCo2e, gridFactor, hourlyRollups, meterCo2e, type FootprintFactors } from './footprint-queries.js'
import { targets } from './influx-target.js'
import { energyAnomalyBaseline, energyAnomalyMeasurement } from '../models/energy-anomaly.js'
import { max, sum, type InfluxQuery } from './influxql.js'
import { linkTo, uids } from './links.js'
import { Layout, units } from './panel.js'
import { stackedBars, timeseries } from './panel-kinds.js'
import { siteVariable, tenantVariable } from './variables.js'

const consumption = (field: 'consumption_kwh' | 'consumption_m3', as: string, groupBy: Pick<InfluxQuery, 'groupByTime' | 'groupByTags' | 'fill'>): InfluxQuery => ({
  select: [{ expr: sum(field), as }],
  from: 'energy_rollup',
  where: hourlyRollups,
  ...groupBy,
})

export function energy(factors: FootprintFactors): Dashboard {
  const layout = new Layout()
  const perSiteAndType = { groupByTime: 'auto', groupByTags: ['site', 'meter_type'], fill: 'none' } as const
  const perSite = { groupByTime: 'auto', groupByTags: ['site'], fill: 'none' } as const
  return dashboardShell({
    uid: uids.energy,
    title: 'Energy',
    description: 'Consumption and emissions per site and meter type, from meter register differences, and consumption against its recent baseline.',
    tags: ['energy', 'footprint'],
    variables: [tenantVariable(), siteVariable()],
    from: 'now-7d',
  })
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Consumption per site and meter type',
        description: 'Energy consumed (electricity, district heat, gas metered in kWh), spread over the hours between register readings.',
        unit: units.kwh,
        size: [12, 9],
        minInterval: '1h',
        targets: targets({ query: consumption('consumption_kwh', 'consumption', perSiteAndType), alias: '$tag_site $tag_meter_type' }),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'Gas by volume per site',
        description: 'Natural gas metered in m³ (never converted to energy without the billed calorific value).',
        unit: units.m3,
        size: [12, 9],
        minInterval: '1h',
        targets: targets({ query: consumption('consumption_m3', 'gas', perSite), alias: '$tag_site gas' }),
      }),
    )
    .withPanel(
      layout.place(stackedBars(), {
        title: 'CO2e per site and meter type',
        description: `Electricity × grid factor ${factors.country} (${gridFactor(factors)} kg/kWh, location-based Scope 2), district heat × ${factors.set.districtHeat.value} kg/kWh, gas by energy and volume (Scope 1); factor set ${factors.set.version}.`,
        unit: units.co2eKg,
        size: [12, 9],
        minInterval: '1h',
        targets: targets(
          { query: meterCo2e('electricity', gridFactor(factors), 'electricity', perSite), alias: '$tag_site electricity' },
          { query: meterCo2e('heat', factors.set.districtHeat.value, 'district heat', perSite), alias: '$tag_site district heat' },
          { query: gasCo2e(factors, 'natural gas', perSite), alias: '$tag_site natural gas' },
        ),
        links: [linkTo(uids.cityOverview, 'City overview')],
      }),
    )
    .withPanel(
      layout.place(timeseries(), {
        title: 'Consumption against baseline',
        description: `Energy anomaly (M5, as the API's energy_anomaly): each meter's hourly kWh against the median of the same hour of the week over the ${energyAnomalyBaseline.weeks} weeks before, as (kWh − baseline) / baseline; the largest of a site's meters per hour and meter type. An hour shows once a week before it has data and the baseline is above zero.`,
        unit: units.ratio,
        size: [12, 9],
        minInterval: '1h',
        thresholds: [{ value: null, color: 'green' }, { value: 0.5, color: 'orange' }, { value: 1, color: 'red' }],
        targets: targets({
          query: {
            select: [{ expr: max('anomaly'), as: 'anomaly' }],
            from: energyAnomalyMeasurement,
            where: [{ tag: 'tenant', variable: 'tenant' }, { tag: 'site', variable: 'site' }],
            groupByTime: '1h',
            groupByTags: ['site', 'meter_type'],
            fill: 'none',
          },
          alias: '$tag_site $tag_meter_type',
        }),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Energy in the period',
        description: 'Total energy consumed in the time range, all meter types metered in kWh.',
        unit: units.kwh,
        size: [6, 6],
        targets: targets({ query: consumption('consumption_kwh', 'energy', {}) }),
      }),
    )
    .withPanel(
      layout.place(new StatPanel(), {
        title: 'Register resets',
        description: 'Meter registers that went backwards (reset or swapped) in the time range; each is counted as restarting from zero.',
        unit: units.count,
        size: [6, 6],
        targets: targets({ query: { select: [{ expr: sum('counter_resets'), as: 'resets' }], from: 'energy_rollup', where: hourlyRollups } }),
      }),
    )
    .build()
}
