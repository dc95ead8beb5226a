/**
 * A log-bucketed histogram (about 1 % relative precision) that can be merged across processes,
 * for latencies from microseconds to minutes without keeping every sample.
 */
const growth = 1.02
const logGrowth = Math.log(growth)

export type Buckets = Record<number, number>

export class Histogram {
  readonly buckets: Buckets = {}
  count = 0
  min = Infinity
  max = 0

  record(value: number): void {
    const v = Math.max(value, 1e-3)
    const index = Math.floor(Math.log(v) / logGrowth)
    this.buckets[index] = (this.buckets[index] ?? 0) + 1
    this.count++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  merge(other: { buckets: Buckets; count: number; min: number; max: number }): void {
    for (const [index, n] of Object.entries(other.buckets)) this.buckets[Number(index)] = (this.buckets[Number(index)] ?? 0) + n
    this.count += other.count
    this.min = Math.min(this.min, other.min)
    this.max = Math.max(this.max, other.max)
  }

  /** The value below which a fraction `q` of the samples lie (bucket midpoint, clamped to min/max). */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (const index of Object.keys(this.buckets).map(Number).sort((a, b) => a - b)) {
      seen += this.buckets[index]!
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, growth ** (index + 0.5)))
    }
    return this.max
  }

  summary(): Percentiles | undefined {
    if (this.count === 0) return undefined
    return { count: this.count, p50: round(this.quantile(0.5)!), p95: round(this.quantile(0.95)!), p99: round(this.quantile(0.99)!), max: round(this.max) }
  }

  toJSON(): { buckets: Buckets; count: number; min: number; max: number } {
    return { buckets: this.buckets, count: this.count, min: this.min, max: this.max }
  }
}

export interface Percentiles {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
