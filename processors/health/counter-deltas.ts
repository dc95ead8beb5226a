import type { Counters } from '../../core/counters.js'

/** Per component, how much each counter grew: `{ normaliser: { received: 12, accepted: 11, … } }`. */
export type Deltas = Map<string, Record<string, number>>

/**
 * Turns the monotonic counters of a process into increments per reporting interval, which sum
 * correctly over any time range and across processes (a restart starts the counters again at
 * zero, an increment is still an increment). Components of the same name in one process (a
 * broker and a bridge both ingest) are added up. The baseline moves only when a report was
 * stored, so a failed write is carried into the next report instead of lost.
 */
export class CounterDeltas {
  private baseline = new Map<string, Record<string, number>>()

  /** Increments since the last committed report, and the commit that makes them the new baseline. */
  next(counters: readonly Counters[]): { deltas: Deltas; commit: () => void } {
    const totals = totalsByComponent(counters)
    const deltas: Deltas = new Map()
    for (const [component, values] of totals) {
      const before = this.baseline.get(component) ?? {}
      const grown: Record<string, number> = {}
      for (const [name, value] of Object.entries(values)) grown[name] = Math.max(0, value - (before[name] ?? 0))
      deltas.set(component, grown)
    }
    return { deltas, commit: () => (this.baseline = totals) }
  }
}

function totalsByComponent(counters: readonly Counters[]): Map<string, Record<string, number>> {
  const totals = new Map<string, Record<string, number>>()
  for (const c of counters) {
    let sum = totals.get(c.component)
    if (!sum) totals.set(c.component, (sum = {}))
    for (const [name, value] of Object.entries(c.snapshot())) sum[name] = (sum[name] ?? 0) + value
  }
  return totals
}
