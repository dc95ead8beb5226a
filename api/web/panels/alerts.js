// Alerts that still need someone: firing or acknowledged, newest first.

import { query } from '../api-client.js'
import { h, replace } from '../dom.js'
import { ago, number, percent, words } from '../format.js'

/** How each rule's value reads; rules not listed show the bare value. */
const valueFormats = {
  fill: percent,
  low_battery: percent,
  fire: (celsius) => `${number(celsius)}\u00a0°C`,
}

export const alertsPanel = {
  id: 'alerts',
  async load({ client, tenant }) {
    const [firing, acknowledged] = await Promise.all(['firing', 'acknowledged'].map((state) => client.json(`/v1/alerts?${query({ tenant, state })}`)))
    return [...firing.alerts, ...acknowledged.alerts].sort((a, b) => b.firedAt.localeCompare(a.firedAt))
  },
  render(section, alerts, { now }) {
    const body = section.querySelector('.panel-body')
    section.querySelector('.count').textContent = alerts.length === 0 ? '' : String(alerts.length)
    if (alerts.length === 0) return replace(body, h('p', { class: 'empty' }, 'No open alerts.'))
    replace(
      body,
      h('table', { class: 'alerts' },
        h('thead', {}, h('tr', {}, ['state', 'rule', 'device', 'site', 'value', 'fired'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, alerts.map((alert) => alertRow(alert, now))),
      ),
    )
  },
}

function alertRow(alert, now) {
  const format = valueFormats[alert.rule]
  const value = alert.value === undefined ? '' : typeof alert.value === 'number' && format ? format(alert.value) : String(alert.value)
  return h(
    'tr',
    { 'data-alert': alert.alertId, class: `state-${alert.state}` },
    h('td', { class: 'state' }, alert.state),
    h('td', { class: 'rule' }, words(alert.rule)),
    h('td', { class: 'device' }, alert.deviceId),
    h('td', { class: 'site' }, alert.site),
    h('td', { class: 'value', title: alert.reason }, value),
    h('td', { class: 'fired', title: alert.firedAt }, ago(Date.parse(alert.firedAt), now)),
  )
}
