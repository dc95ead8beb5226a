import { describe, expect, test } from 'vitest'
import { Counters } from '../../../core/counters.js'
import { prometheusText } from '../../../api/routes/metrics.js'

describe('metrics', () => {
  test('prometheusText should expose every counter of every component as a snake_case total', () => {
    const ingest = new Counters('ingest', ['received', 'deadLettered'])
    const sink = new Counters('store-sink', ['stored'])
    ingest.add('received', 3)
    ingest.add('deadLettered')
    sink.add('stored', 42)
    expect(prometheusText([ingest, sink])).toBe(
      [
        '# TYPE circular_ingest_received_total counter',
        'circular_ingest_received_total 3',
        '# TYPE circular_ingest_dead_lettered_total counter',
        'circular_ingest_dead_lettered_total 1',
        '# TYPE circular_store_sink_stored_total counter',
        'circular_store_sink_stored_total 42',
        '',
      ].join('\n'),
    )
  })

  test('prometheusText should serve per-tenant counters as one family with a tenant label', () => {
    const broker = new Counters<string>('broker', ['throttled'])
    broker.add('throttled', 3)
    broker.add('throttled.alpha', 2)
    broker.add('throttled.beta', 1)
    expect(prometheusText([broker])).toBe(
      ['# TYPE circular_broker_throttled_total counter', 'circular_broker_throttled_total 3', 'circular_broker_throttled_total{tenant="alpha"} 2', 'circular_broker_throttled_total{tenant="beta"} 1', ''].join('\n'),
    )
  })
})
