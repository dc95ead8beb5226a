import { describe, expect, test } from 'vitest'
import { RefusalCounters, refusalCounterNames } from '../../ingest/refusal-counters.js'

describe('refusal counters', () => {
  test('each refusal should count in the total, and for its tenant where the device is known', () => {
    const counters = new RefusalCounters()
    counters.count('auth_refused')
    counters.count('acl_refused', 'alpha')
    counters.count('acl_refused', 'alpha')
    counters.count('acl_refused', 'beta')
    expect(counters.component).toBe('broker')
    expect(counters.snapshot()).toEqual({
      ...Object.fromEntries(refusalCounterNames.map((name) => [name, 0])),
      auth_refused: 1,
      acl_refused: 3,
      'acl_refused.alpha': 2,
      'acl_refused.beta': 1,
    })
  })

  test("the bridge's counters should be a component of their own", () => {
    const counters = new RefusalCounters('bridge')
    counters.count('rate_refused', 'tight')
    expect(counters.component).toBe('bridge')
    expect([counters.get('rate_refused'), counters.get('rate_refused.tight'), counters.get('rate_refused.roomy')]).toEqual([1, 1, 0])
  })
})
