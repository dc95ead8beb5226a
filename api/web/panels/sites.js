// Each site of the tenant this month, from /v1/sites/{id}/kpis.

import { query } from '../api-client.js'
import { h, replace } from '../dom.js'
import { number, percent } from '../format.js'
import { currentMonth } from '../ranges.js'
import { total } from './footprint-query.js'

const emissionMetrics = ['electricity_co2e', 'heat_co2e', 'gas_co2e', 'treatment_co2e']

export const sitesPanel = {
  id: 'sites',
  async load({ client, tenant, devices, now }) {
    const month = currentMonth(now)
    const sites = [...new Set(devices.map((d) => d.site))].sort()
    return Promise.all(
      sites.map(async (site) => {
        const body = await client.json(`/v1/sites/${encodeURIComponent(site)}/kpis?${query({ tenant, from: month.from, to: month.to, interval: 'month' })}`)
        const kpi = (id) => body.kpis.find((k) => k.metric === id)
        return {
          site,
          devices: devices.filter((d) => d.site === site).length,
          energyKwh: total(kpi('energy_kwh')),
          co2eKg: emissionMetrics.reduce((sum, id) => sum + total(kpi(id)), 0),
          receivedKg: total(kpi('waste_received_kg')),
          recyclingRate: kpi('recycling_rate').rows[0]?.value,
        }
      }),
    )
  },
  render(section, sites) {
    const body = section.querySelector('.panel-body')
    if (sites.length === 0) return replace(body, h('p', { class: 'empty' }, 'No sites.'))
    const cell = (field, value, text) => h('td', { class: field, 'data-value': value }, text)
    replace(
      body,
      h('table', { class: 'sites' },
        h('thead', {}, h('tr', {}, ['site', 'devices', 'kWh', 'kg CO2e', 'kg received', 'recycled'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, sites.map((s) => h('tr', { 'data-site': s.site },
          h('th', { scope: 'row' }, s.site),
          cell('devices', s.devices, String(s.devices)),
          cell('energy', s.energyKwh, number(s.energyKwh)),
          cell('co2e', s.co2eKg, number(s.co2eKg)),
          cell('received', s.receivedKg, number(s.receivedKg)),
          cell('recycling', s.recyclingRate, s.recyclingRate === undefined ? '–' : percent(s.recyclingRate)),
        ))),
      ),
    )
  },
}
