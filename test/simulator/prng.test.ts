import { describe, expect, test } from 'vitest'
import { Rng, rngFor } from '../../simulator/prng.js'

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next())

describe('prng', () => {
  test('Rng should give the same sequence for the same seed and another for another seed', () => {
    expect(draws(new Rng(42), 20)).toEqual(draws(new Rng(42), 20))
    expect(draws(new Rng(42), 20)).not.toEqual(draws(new Rng(43), 20))
  })

  test('Rng should stay in [0, 1) and spread evenly over ten bins', () => {
    const rng = new Rng(7)
    const bins = new Array<number>(10).fill(0)
    let outside = 0
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next()
      if (x < 0 || x >= 1) outside++
      else bins[Math.floor(x * 10)]!++
    }
    expect(outside).toBe(0)
    // 10 000 expected per bin; the sequence is fixed, so this cannot flake.
    for (const count of bins) expect(Math.abs(count - 10_000)).toBeLessThan(400)
  })

  test('integer should cover both bounds and nothing outside them', () => {
    const rng = new Rng(3)
    const seen = new Set(Array.from({ length: 1000 }, () => rng.integer(2, 5)))
    expect([...seen].sort()).toEqual([2, 3, 4, 5])
  })

  test('weighted should never pick an item of weight zero and pick by weight', () => {
    const rng = new Rng(5)
    const picks = Array.from({ length: 10_000 }, () => rng.weighted([['a', 3], ['b', 0], ['c', 1]] as const))
    expect(picks).not.toContain('b')
    expect(picks.filter((p) => p === 'a').length / picks.length).toBeCloseTo(0.75, 1)
  })

  test('rngFor should give each named stream its own sequence, repeatable under the seed', () => {
    expect(draws(rngFor(1, 'bin-1'), 5)).toEqual(draws(rngFor(1, 'bin-1'), 5))
    expect(draws(rngFor(1, 'bin-1'), 5)).not.toEqual(draws(rngFor(1, 'bin-2'), 5))
    expect(draws(rngFor(1, 'bin-1'), 5)).not.toEqual(draws(rngFor(2, 'bin-1'), 5))
  })
})
