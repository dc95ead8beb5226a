// Greenhouse-gas emissions per day: energy by carrier and waste treatment, stacked.

import { stackedBars } from '../charts.js'
import { h, replace } from '../dom.js'
import { day, number } from '../format.js'
import { recentDays } from '../ranges.js'
import { footprint, total, totalsByTime } from './footprint-query.js'

/** The inventory emissions (M1–M3, M8); avoided emissions are indicative and stay out of the stack. */
const sources = [
  { key: 'electricity_co2e', name: 'electricity', colour: '#3f7fbf' },
  { key: 'heat_co2e', name: 'district heat', colour: '#d9822b' },
  { key: 'gas_co2e', name: 'natural gas', colour: '#a35fb5' },
  { key: 'treatment_co2e', name: 'waste treatment', colour: '#6b8e23' },
]

export const co2ePanel = {
  id: 'co2e',
  async load({ client, tenant, now }) {
    const range = recentDays(now)
    const bodies = await Promise.all(sources.map((source) => footprint(client, { metric: source.key, tenant, from: range.from, to: range.to, interval: 'day' })))
    return { range, bodies }
  },
  render(section, { range, bodies }) {
    const series = sources.map((source, i) => {
      const byDay = totalsByTime(bodies[i])
      return { ...source, values: range.starts.map((start) => byDay.get(start) ?? 0), total: total(bodies[i]) }
    })
    const factorSet = bodies.find((b) => b.factorSet)?.factorSet
    replace(
      section.querySelector('.panel-body'),
      stackedBars({ label: 'CO2e per day by source', categories: range.starts.map((start) => ({ key: start.slice(0, 10), label: day(start) })), series, unit: 'kg CO2e' }),
      h('ul', { class: 'legend' },
        series.map((serie) => h('li', { 'data-series': serie.key, 'data-value': serie.total }, h('span', { class: `swatch swatch-${serie.key}` }), `${serie.name} `, h('b', {}, number(serie.total)), ' kg')),
        h('li', { 'data-series': 'total', 'data-value': series.reduce((sum, serie) => sum + serie.total, 0) }, 'total ', h('b', {}, number(series.reduce((sum, serie) => sum + serie.total, 0))), ' kg CO2e, 14 days'),
      ),
      factorSet ? h('p', { class: 'note' }, `Factor set ${factorSet.version} (${factorSet.country}): ${factorSet.description}`) : null,
    )
  },
}
