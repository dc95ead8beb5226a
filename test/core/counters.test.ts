import { describe, expect, test } from 'vitest'
import { Counters } from '../../core/counters.js'

describe('Counters', () => {
  test('should start every named counter at zero and add one, or the amount given', () => {
    const counters = new Counters('normaliser', ['received', 'accepted', 'deadLettered'])
    expect(counters.component).toBe('normaliser')
    expect(counters.snapshot()).toEqual({ received: 0, accepted: 0, deadLettered: 0 })
    counters.add('received')
    counters.add('received', 41)
    counters.add('accepted', 0)
    expect(counters.get('received')).toBe(42)
    expect(counters.get('accepted')).toBe(0)
  })

  test('a snapshot should be frozen and stay as it was when the counters move on', () => {
    const counters = new Counters('sink', ['stored'])
    counters.add('stored', 3)
    const before = counters.snapshot()
    counters.add('stored')
    expect(before).toEqual({ stored: 3 })
    expect(Object.isFrozen(before)).toBe(true)
    expect(counters.snapshot()).toEqual({ stored: 4 })
  })

  test('a counter not named up front should count from zero when first added to', () => {
    const counters = new Counters<string>('api', [])
    expect(counters.get('requests')).toBe(0)
    counters.add('requests', 2)
    expect(counters.snapshot()).toEqual({ requests: 2 })
  })
})
