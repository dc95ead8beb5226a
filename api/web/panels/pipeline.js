// Flow through each hop of the pipeline, from the API's /metrics counters.

import { ApiError } from '../api-client.js'
import { h, replace } from '../dom.js'
import { number } from '../format.js'
import { hopColumns, hops, parseSamples } from '../prometheus.js'

export const pipelinePanel = {
  id: 'pipeline',
  async load({ client }) {
    try {
      return hops(parseSamples(await client.text('/metrics')))
    } catch (error) {
      // The counters cover every tenant, so only a platform admin key may read them.
      if (error instanceof ApiError && error.status === 403) return { forbidden: error.message }
      throw error
    }
  },
  render(section, rows) {
    const body = section.querySelector('.panel-body')
    if (rows.forbidden) return replace(body, h('p', { class: 'empty' }, `Pipeline counters cover every tenant and need a platform admin key (${rows.forbidden}).`))
    if (rows.length === 0) return replace(body, h('p', { class: 'empty' }, 'No pipeline components run in this process.'))
    replace(
      body,
      h('table', { class: 'pipeline' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'hop'), hopColumns.map((c) => h('th', { scope: 'col' }, c.label)))),
        h('tbody', {}, rows.map((row) => h('tr', { 'data-hop': row.component, class: row.deadLettered > 0 ? 'has-dead-letters' : undefined },
          h('th', { scope: 'row' }, row.name),
          hopColumns.map((c) => h('td', { class: c.id, 'data-value': row[c.id] }, row[c.id] === undefined ? '–' : number(row[c.id]))),
        ))),
      ),
      h('p', { class: 'note' }, 'Counters since this process started. Dead-lettered messages are kept on the dead-letter topic with their reason.'),
    )
  },
}
