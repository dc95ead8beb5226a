// Reads the API's /metrics (Prometheus text format) into the flow through each pipeline hop.

/** `name value` per sample line; comments, labels and timestamps are not needed here. */
export function parseSamples(text) {
  const samples = new Map()
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line)
    if (match) samples.set(match[1], Number(match[2]))
  }
  return samples
}

/** The columns of the health table and the counters that feed them. */
export const hopColumns = [
  { id: 'received', label: 'received', counters: ['received'] },
  { id: 'accepted', label: 'accepted', counters: ['accepted', 'applied'] },
  { id: 'deadLettered', label: 'dead-lettered', counters: ['dead_lettered'] },
  { id: 'stored', label: 'stored', counters: ['stored'] },
]

/** Hops in the order data passes them; components the page does not know follow. */
const hopOrder = ['ingest', 'bridge', 'normaliser', 'store_sink', 'footprint', 'alerts', 'alert_notifier']
const hopNames = { ingest: 'MQTT → bus', normaliser: 'normaliser', store_sink: 'store', footprint: 'footprint', alerts: 'alerts', alert_notifier: 'notifier' }

/**
 * One row per component that counts what it received (the API counts requests, not data, and
 * is left out): `circular_<component>_<counter>_total` → { component, name, received, … }.
 */
export function hops(samples) {
  const counterNames = hopColumns.flatMap((c) => c.counters).join('|')
  const pattern = new RegExp(`^circular_(.+?)_(${counterNames})_total$`)
  const byComponent = new Map()
  for (const [name, value] of samples) {
    const match = pattern.exec(name)
    if (!match) continue
    const [, component, counter] = match
    const row = byComponent.get(component) ?? { component, name: hopNames[component] ?? component.replace(/_/g, ' ') }
    const column = hopColumns.find((c) => c.counters.includes(counter))
    row[column.id] = (row[column.id] ?? 0) + value
    byComponent.set(component, row)
  }
  const rank = (component) => (hopOrder.includes(component) ? hopOrder.indexOf(component) : hopOrder.length)
  return [...byComponent.values()].filter((row) => row.received !== undefined).sort((a, b) => rank(a.component) - rank(b.component) || a.component.localeCompare(b.component))
}
