// Waste per fraction over the last two weeks: what recycling centres received and what
// collection rounds took from containers.

import { groupedBars } from '../charts.js'
import { h, replace } from '../dom.js'
import { words } from '../format.js'
import { recentDays } from '../ranges.js'
import { footprint } from './footprint-query.js'

const flows = [
  { key: 'waste_received_kg', name: 'received at recycling centres', colour: '#2f8f83' },
  { key: 'waste_collected_kg', name: 'collected from containers', colour: '#8a6d3b' },
]

export const wasteFractionsPanel = {
  id: 'fractions',
  async load({ client, tenant, now }) {
    const range = recentDays(now)
    return Promise.all(flows.map((flow) => footprint(client, { metric: flow.key, tenant, from: range.from, to: range.to, interval: 'day' })))
  },
  render(section, bodies) {
    const kgByFraction = new Map()
    bodies.forEach((body, k) => {
      for (const row of body.rows) {
        const fraction = row.dims.fraction ?? 'unknown'
        const values = kgByFraction.get(fraction) ?? flows.map(() => 0)
        values[k] += row.value
        kgByFraction.set(fraction, values)
      }
    })
    const body = section.querySelector('.panel-body')
    if (kgByFraction.size === 0) return replace(body, h('p', { class: 'empty' }, 'No waste weighed or collected in the last 14 days.'))
    const rows = [...kgByFraction].sort((a, b) => b[1][0] + b[1][1] - (a[1][0] + a[1][1])).map(([fraction, values]) => ({ key: fraction, label: words(fraction), values }))
    replace(
      body,
      groupedBars({ label: 'Waste by fraction, kg, last 14 days', rows, series: flows, unit: 'kg' }),
      h('ul', { class: 'legend' }, flows.map((flow) => h('li', {}, h('span', { class: `swatch swatch-${flow.key}` }), `${flow.name}, kg`))),
    )
  },
}
