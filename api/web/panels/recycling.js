// The recycling rate (M10) per day and this month, against the EU municipal-waste targets.

import { ratioLine } from '../charts.js'
import { h, replace } from '../dom.js'
import { day, percent } from '../format.js'
import { currentMonth, recentDays } from '../ranges.js'
import { footprint } from './footprint-query.js'

export const recyclingPanel = {
  id: 'recycling',
  async load({ client, tenant, now }) {
    const days = recentDays(now)
    const month = currentMonth(now)
    const [daily, monthly] = await Promise.all([
      footprint(client, { metric: 'recycling_rate', tenant, from: days.from, to: days.to, interval: 'day' }),
      footprint(client, { metric: 'recycling_rate', tenant, from: month.from, to: month.to, interval: 'month' }),
    ])
    return { days, daily, monthly, now }
  },
  render(section, { days, daily, monthly, now }) {
    const byDay = new Map(daily.rows.map((row) => [row.time, row.value]))
    const targets = daily.targets.map((t) => ({ ...t, label: `${t.year} target ${percent(t.value)}` }))
    const rate = monthly.rows[0]?.value
    // The target in force: the first one whose year has not passed.
    const year = new Date(now).getUTCFullYear()
    const target = daily.targets.find((t) => t.year >= year) ?? daily.targets.at(-1)
    const verdict = rate === undefined || target === undefined ? '' : `${rate >= target.value ? ' · meets' : ' · below'} the ${target.year} target of ${percent(target.value)}`
    replace(
      section.querySelector('.panel-body'),
      h('p', { class: 'headline' }, 'This month: ', h('b', { class: 'month-rate', 'data-value': rate }, rate === undefined ? 'no outflows yet' : percent(rate)), verdict),
      ratioLine({ label: 'Recycling rate per day against the EU targets', points: days.starts.map((start) => ({ key: start.slice(0, 10), label: day(start), value: byDay.get(start) })), targets }),
      h('p', { class: 'note' }, `Share of the mass sent out to re-use, recycling or composting. Targets: ${daily.targets[0]?.source ?? ''}.`),
    )
  },
}
