import type { SiteBalanceState, Verdict } from './state.js'
import type { RuleSettings } from '../../core/alerts/rule-settings.js'
import type { SiteFlow } from './site-flow.js'

const minuteMs = 60_000
const hourMs = 3_600_000

/** A judged window. */
export interface ClosedWindow {
  readonly start: number
  readonly end: number
  readonly inKg: number
  readonly outKg: number
  readonly stockChangeKg: number
}

export function emptySiteBalance(): SiteBalanceState {
  return { windows: {}, containers: {}, sources: {} }
}

/**
 * Adds one flow, unless its readings record was applied already (a replay of the processor that
 * derived it). Returns how many of its values came after their window was judged: those are lost
 * to the balance, and counted so that an operator can raise `closeAfterMinutes`.
 */
export function addFlow(state: SiteBalanceState, flow: SiteFlow, s: RuleSettings['mass_balance']): { applied: boolean; late: number } {
  const position = `${flow.source.topic}:${flow.source.partition}`
  const applied = state.sources[position]
  if (applied !== undefined && BigInt(applied) >= BigInt(flow.source.offset)) return { applied: false, late: 0 }
  state.sources[position] = flow.source.offset
  const windowMs = s.windowHours * hourMs
  let late = 0
  const windowAt = (time: number): { inKg: number; outKg: number } | undefined => {
    state.newestTime = Math.max(state.newestTime ?? time, time)
    if (time < (state.judgedUntil ?? Number.NEGATIVE_INFINITY)) return undefined
    return (state.windows[Math.floor(time / windowMs) * windowMs] ??= { inKg: 0, outKg: 0 })
  }
  for (const w of flow.weighings) {
    const window = windowAt(w.time)
    if (!window) late++
    else if (w.direction === 'in') window.inKg += w.netKg
    else window.outKg += w.netKg
  }
  for (const c of flow.stock) {
    if (!windowAt(c.time)) late++
    const samples = (state.containers[flow.deviceId] ??= [])
    samples.push([c.time, c.kg])
    samples.sort((a, b) => a[0] - b[0])
  }
  return { applied: true, late }
}

/**
 * Judges, oldest first, every window the site's newest event is at least `closeAfterMinutes`
 * past the end of, and forgets container weights no open window needs.
 */
export function closeWindows(state: SiteBalanceState, s: RuleSettings['mass_balance']): ClosedWindow[] {
  const windowMs = s.windowHours * hourMs
  const newest = state.newestTime ?? Number.NEGATIVE_INFINITY
  const due = Object.keys(state.windows)
    .map(Number)
    .filter((start) => start + windowMs + s.closeAfterMinutes * minuteMs <= newest)
    .sort((a, b) => a - b)
  const closed: ClosedWindow[] = []
  for (const start of due) {
    const end = start + windowMs
    const { inKg, outKg } = state.windows[start]!
    const stockChangeKg = Object.values(state.containers).reduce((sum, samples) => sum + weightBefore(samples, end) - weightBefore(samples, start), 0)
    closed.push({ start, end, inKg, outKg, stockChangeKg })
    delete state.windows[start]
    state.judgedUntil = Math.max(state.judgedUntil ?? end, end)
  }
  const keepFrom = Math.min(state.judgedUntil ?? Number.POSITIVE_INFINITY, ...Object.keys(state.windows).map(Number))
  for (const samples of Object.values(state.containers)) {
    const firstKept = samples.findIndex(([time]) => time >= keepFrom)
    const cut = (firstKept === -1 ? samples.length : firstKept) - 1
    if (cut > 0) samples.splice(0, cut)
  }
  return closed
}

/**
 * A container's cargo weight just before `time`: its last weight before then, or, for a
 * container first weighed later, its first weight, so that joining the site is no stock change.
 */
export function weightBefore(samples: readonly [number, number][], time: number): number {
  let weight = samples[0]?.[1] ?? 0
  for (const [t, kg] of samples) {
    if (t >= time) break
    weight = kg
  }
  return weight
}

/** Raised when the unaccounted mass exceeds the tolerance; cleared only well inside it (hysteresis). */
export function balanceVerdict(w: ClosedWindow, s: RuleSettings['mass_balance']): Verdict {
  const unaccounted = round(w.inKg - w.outKg - w.stockChangeKg)
  const limit = Math.max(s.tolerance * w.inKg, s.minKg)
  if (Math.abs(unaccounted) > limit) {
    const stock = `${w.stockChangeKg >= 0 ? '+' : ''}${round(w.stockChangeKg)}`
    return {
      kind: 'raise',
      value: unaccounted,
      reason: `${round(w.inKg)} kg in, ${round(w.outKg)} kg out, stock ${stock} kg from ${new Date(w.start).toISOString()} to ${new Date(w.end).toISOString()}: ${unaccounted} kg unaccounted for, more than ${round(limit)} kg`,
    }
  }
  return Math.abs(unaccounted) <= Math.max((s.tolerance - s.hysteresis) * w.inKg, s.minKg) ? { kind: 'clear' } : { kind: 'hold' }
}

function round(kg: number): number {
  return Math.round(kg * 1000) / 1000
}
