/** What a delay is measured from: the observation time the device reported, or when the broker received the message. */
export type DelayBasis = 'observed' | 'received'

/** Delays of one basis over one reporting interval, in milliseconds. */
export interface DelaySummary {
  readonly count: number
  readonly meanMs: number
  readonly maxMs: number
}

/**
 * End-to-end delays of readings, from observation or broker receipt until the store accepted
 * them. The sink records each stored reading point; the health reporter drains one summary per
 * basis and interval. Constant memory: only count, sum and maximum are kept.
 */
export class EndToEndDelays {
  private readonly open = new Map<DelayBasis, { count: number; sumMs: number; maxMs: number }>()

  constructor(readonly stage: string) {}

  record(basis: DelayBasis, delayMs: number): void {
    // A clock ahead of ours (device or broker host) would give a negative delay; it is no delay.
    const ms = Math.max(0, delayMs)
    const slot = this.open.get(basis)
    if (slot) {
      slot.count++
      slot.sumMs += ms
      slot.maxMs = Math.max(slot.maxMs, ms)
    } else this.open.set(basis, { count: 1, sumMs: ms, maxMs: ms })
  }

  /** The summaries since the last drain, and a fresh start; bases without readings are left out. */
  drain(): Map<DelayBasis, DelaySummary> {
    const out = new Map<DelayBasis, DelaySummary>()
    for (const [basis, s] of this.open) out.set(basis, { count: s.count, meanMs: s.sumMs / s.count, maxMs: s.maxMs })
    this.open.clear()
    return out
  }

  /** Puts drained summaries back, so a report the store refused is counted in the next one. */
  restore(summaries: ReadonlyMap<DelayBasis, DelaySummary>): void {
    for (const [basis, s] of summaries) {
      const slot = this.open.get(basis)
      if (slot) {
        slot.sumMs += s.meanMs * s.count
        slot.count += s.count
        slot.maxMs = Math.max(slot.maxMs, s.maxMs)
      } else this.open.set(basis, { count: s.count, sumMs: s.meanMs * s.count, maxMs: s.maxMs })
    }
  }
}
