// Reading footprint metrics from /v1/footprint.

import { query } from '../api-client.js'

export function footprint(client, { metric, tenant, from, to, interval }) {
  return client.json(`/v1/footprint?${query({ metric, tenant, from, to, interval })}`)
}

/** Sum of a metric's rows per window start (ISO), over all dimensions. */
export function totalsByTime(body) {
  const totals = new Map()
  for (const row of body.rows) totals.set(row.time, (totals.get(row.time) ?? 0) + row.value)
  return totals
}

export function total(body) {
  return body.rows.reduce((sum, row) => sum + row.value, 0)
}
