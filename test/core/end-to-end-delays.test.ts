import { describe, expect, test } from 'vitest'
import { EndToEndDelays } from '../../core/end-to-end-delays.js'

describe('EndToEndDelays', () => {
  test('should summarise count, mean and maximum per basis, and start afresh after a drain', () => {
    const delays = new EndToEndDelays('store-sink')
    for (const ms of [100, 300, 200]) delays.record('received', ms)
    delays.record('observed', 5000)
    expect(delays.drain()).toEqual(
      new Map([
        ['received', { count: 3, meanMs: 200, maxMs: 300 }],
        ['observed', { count: 1, meanMs: 5000, maxMs: 5000 }],
      ]),
    )
    expect(delays.drain()).toEqual(new Map())
  })

  test('a negative delay from a clock running ahead should count as no delay', () => {
    const delays = new EndToEndDelays('store-sink')
    delays.record('observed', -2500)
    delays.record('observed', 1000)
    expect(delays.drain().get('observed')).toEqual({ count: 2, meanMs: 500, maxMs: 1000 })
  })

  test('restored summaries should count in the next drain as if never drained', () => {
    const delays = new EndToEndDelays('store-sink')
    delays.record('received', 100)
    delays.record('received', 300)
    const refused = delays.drain()
    delays.record('received', 50)
    delays.restore(refused)
    delays.restore(new Map([['observed', { count: 2, meanMs: 700, maxMs: 900 }]]))
    expect(delays.drain()).toEqual(
      new Map([
        ['received', { count: 3, meanMs: 150, maxMs: 300 }],
        ['observed', { count: 2, meanMs: 700, maxMs: 900 }],
      ]),
    )
  })
})
