/** Rollup windows, in UTC: every rollup point is stamped with its window's start. */
export const intervals = ['hour', 'day', 'month'] as const
export type Interval = (typeof intervals)[number]

const hourMs = 3_600_000

export function windowStart(interval: Interval, time: number): number {
  if (interval === 'hour') return Math.floor(time / hourMs) * hourMs
  const d = new Date(time)
  if (interval === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

export function windowEnd(interval: Interval, start: number): number {
  if (interval === 'hour') return start + hourMs
  const d = new Date(start)
  if (interval === 'day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/**
 * Spreads an amount consumed between two register readings over the hours it covers, in
 * proportion to time, so a reading after a gap does not pile a whole day into one hour.
 */
export function spreadOverHours(from: number, to: number, amount: number): { hour: number; amount: number }[] {
  if (to <= from) return [{ hour: windowStart('hour', to), amount }]
  const parts: { hour: number; amount: number }[] = []
  for (let start = windowStart('hour', from); start < to; start += hourMs) {
    const overlap = Math.min(to, start + hourMs) - Math.max(from, start)
    if (overlap > 0) parts.push({ hour: start, amount: (amount * overlap) / (to - from) })
  }
  return parts
}
