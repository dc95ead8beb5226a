import { describe, expect, test } from 'vitest'
import { Counters } from '../../../core/counters.js'
import { CounterDeltas } from '../../../processors/health/counter-deltas.js'

describe('counter deltas', () => {
  test('each interval should report what the counters grew by since the last committed report', () => {
    const normaliser = new Counters('normaliser', ['received', 'accepted'])
    const deltas = new CounterDeltas()
    normaliser.add('received', 5)
    normaliser.add('accepted', 4)
    const first = deltas.next([normaliser])
    expect(first.deltas).toEqual(new Map([['normaliser', { received: 5, accepted: 4 }]]))
    first.commit()
    normaliser.add('received', 2)
    expect(deltas.next([normaliser]).deltas).toEqual(new Map([['normaliser', { received: 2, accepted: 0 }]]))
  })

  test('a report that was not committed should be carried into the next one, not lost', () => {
    const sink = new Counters('store-sink', ['stored'])
    const deltas = new CounterDeltas()
    sink.add('stored', 3)
    deltas.next([sink]) // the write of this report failed: no commit
    sink.add('stored', 4)
    const next = deltas.next([sink])
    expect(next.deltas.get('store-sink')).toEqual({ stored: 7 })
    next.commit()
    expect(deltas.next([sink]).deltas.get('store-sink')).toEqual({ stored: 0 })
  })

  test('components of the same name in one process should be added up, and a counter that starts again should not report a negative increment', () => {
    const broker = new Counters('ingest', ['received'])
    const bridge = new Counters('ingest', ['received'])
    broker.add('received', 10)
    bridge.add('received', 5)
    const deltas = new CounterDeltas()
    const first = deltas.next([broker, bridge])
    expect(first.deltas.get('ingest')).toEqual({ received: 15 })
    first.commit()
    // The bridge restarted with counters at zero: the total fell below the baseline.
    const restarted = new Counters('ingest', ['received'])
    restarted.add('received', 1)
    const second = deltas.next([broker, restarted])
    expect(second.deltas.get('ingest')).toEqual({ received: 0 })
    second.commit()
    restarted.add('received', 2)
    expect(deltas.next([broker, restarted]).deltas.get('ingest')).toEqual({ received: 2 })
  })
})
