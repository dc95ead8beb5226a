/**
 * Micro-benchmark of the embedded bus on this machine: publish throughput (many callers of a few
 * records each, as the broker publishes, and large single calls, as processors forward batches)
 * and consume throughput of one consumer group with commit after each batch. Values are 300-byte
 * raw-like payloads over 3 partitions and 200 keys; synchronous=NORMAL unless `--full`.
 *
 * Usage: node --import tsx bench/embedded-bus.ts [--records 200000] [--full]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import type { OutgoingRecord } from '../core/bus/bus.js'
import { EmbeddedBus } from '../core/bus/embedded-bus.js'

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, full: { type: 'boolean', default: false } } })
const total = Number(values.records)
const payload = Buffer.alloc(300, 'x')
const record = (topic: string, i: number): OutgoingRecord => ({ topic, key: `device-${i % 200}`, value: payload, headers: { device: `device-${i % 200}`, 'received-at': String(Date.now()) } })

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'circular-bench-bus-'))
  const bus = new EmbeddedBus({ path: join(dir, 'bus.sqlite'), sync: values.full ? 'full' : 'normal' }, pino({ level: 'warn' }))
  try {
    await bus.ensureTopics([
      { topic: 'small', partitions: 3 },
      { topic: 'large', partitions: 3 },
    ])
    // Many concurrent callers, 4 records each, 256 calls in flight.
    let start = performance.now()
    for (let i = 0; i < total; i += 1024) {
      await Promise.all(Array.from({ length: 256 }, (_, c) => bus.publish([0, 1, 2, 3].map((k) => record('small', i + c * 4 + k)))))
    }
    report('publish, 4 records per call, 256 calls in flight', total, performance.now() - start)

    start = performance.now()
    for (let i = 0; i < total; i += 1000) await bus.publish(Array.from({ length: 1000 }, (_, k) => record('large', i + k)))
    report('publish, 1000 records per call, one at a time', total, performance.now() - start)

    start = performance.now()
    let consumed = 0
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    const consumption = await bus.consume({
      groupId: 'bench',
      topics: ['small'],
      partitionsInParallel: 3,
      handleBatch: async (records) => {
        consumed += records.length
        if (consumed >= total) done()
      },
    })
    await finished
    report('consume + commit per batch (up to 1000 records), 3 partitions in parallel', consumed, performance.now() - start)
    await consumption.stop()
  } finally {
    await bus.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function report(what: string, records: number, ms: number): void {
  console.log(`[bench] ${what}: ${Math.round((records * 1000) / ms).toLocaleString('en')} records/s (${records} in ${Math.round(ms)} ms)`)
}

await main()
