import type { DevicePlan } from './fleet.js'
import type { Scenario } from './scenario.js'
import { sourceFor, type SimulatedMessage, type Source } from './sources.js'

/**
 * The whole city's messages in simulated-time order, merged from every device's stream with a
 * binary heap (ties by fleet order, so the sequence is fully determined by seed, fleet and start).
 */
export class CityEngine {
  private readonly heap: { at: number; order: number; source: Source }[] = []

  constructor(plans: readonly DevicePlan[], apiKey: string, seed: number, scenario: Scenario) {
    plans.forEach((plan, order) => this.push(sourceFor(plan, apiKey, seed, scenario), order))
  }

  /** Simulated time of the next message; undefined when every device has gone silent. */
  peekTime(): number | undefined {
    return this.heap[0]?.at
  }

  /** The next message; call only when `peekTime()` is defined. */
  take(): SimulatedMessage {
    const top = this.heap[0]
    if (top === undefined) throw new Error('no device has anything left to report')
    const message = top.source.emit()
    const last = this.heap.pop()!
    if (this.heap.length > 0) {
      this.heap[0] = last
      this.siftDown(0)
    }
    this.push(top.source, top.order)
    return message
  }

  /** Up to `max` messages observed at or before `until`, in order. */
  takeUntil(until: number, max = Number.POSITIVE_INFINITY): SimulatedMessage[] {
    const out: SimulatedMessage[] = []
    while (out.length < max) {
      const at = this.peekTime()
      if (at === undefined || at > until) break
      out.push(this.take())
    }
    return out
  }

  private push(source: Source, order: number): void {
    const at = source.nextAt
    if (at === undefined) return
    this.heap.push({ at, order, source })
    let i = this.heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < this.heap.length && this.before(left, smallest)) smallest = left
      if (right < this.heap.length && this.before(right, smallest)) smallest = right
      if (smallest === i) return
      this.swap(i, smallest)
      i = smallest
    }
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!
    const y = this.heap[b]!
    return x.at < y.at || (x.at === y.at && x.order < y.order)
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a]!
    this.heap[a] = this.heap[b]!
    this.heap[b] = x
  }
}
