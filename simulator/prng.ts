/**
 * The simulator's only source of chance: a seeded mulberry32 generator per device, so the same
 * seed and options give the same messages on every machine and every run (Math.random cannot be
 * seeded). mulberry32 is tiny, fast and statistically fine for simulating sensors; it is not for
 * secrets, which come from node:crypto.
 */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** A uniform number in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** A uniform integer in [min, max]. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** One item, each equally likely. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** One item, chosen with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0)
    let target = this.next() * total
    for (const [item, weight] of items) {
      target -= weight
      if (target < 0) return item
    }
    return items[items.length - 1]![0]
  }

  /** A waiting time with the given mean: exponential, as between independent arrivals. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next())
  }
}

/**
 * A generator for one named stream under a seed: FNV-1a over the name mixed with the seed, so
 * every device has its own sequence and adding a device does not shift the others'.
 */
export function rngFor(seed: number, name: string): Rng {
  let hash = 0x811c9dc5 ^ (seed >>> 0)
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return new Rng(Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) ^ Math.floor(seed / 4_294_967_296))
}
