import { afterAll, describe, expect, test } from 'vitest'
import { chunksByBytes, KafkaBus } from '../../../core/bus/kafka-bus.js'
import type { OutgoingRecord } from '../../../core/bus/bus.js'
import { pipelineTopics } from '../../../core/bus/topics.js'
import { recordsWritten, withKafkaAdmin } from '../../support/kafka-admin.js'
import { isolatedConfig, testLogger } from '../../support/pipeline.js'

const record = (key: string, bytes: number): OutgoingRecord => ({ topic: 't', key, value: Buffer.alloc(bytes, 120), headers: { device: key } })

describe('kafka bus', () => {
  const { config, cleanup } = isolatedConfig()
  afterAll(() => cleanup())

  test('chunksByBytes should keep order, respect the budget and let an oversized record travel alone', () => {
    const records = [record('a', 400), record('b', 400), record('c', 400), record('d', 2000), record('e', 10)]
    const chunks = chunksByBytes(records, 1000)
    expect(chunks.flat()).toEqual(records)
    expect(chunks.map((c) => c.map((r) => r.key))).toEqual([['a', 'b'], ['c'], ['d'], ['e']])
  })

  test('publish should deliver more than Kafka takes in one request for one partition (1 MiB)', async () => {
    const bus = new KafkaBus(config.kafka, testLogger)
    try {
      await bus.ensureTopics(pipelineTopics(config.bus))
      // One key, so all of it lands in one partition: 2.4 MB, more than message.max.bytes.
      const records = Array.from({ length: 3000 }, (_, i) => ({ ...record('one-device', 800), topic: config.bus.topics.raw, value: Buffer.from(`${i}:`.padEnd(800, 'x')) }))
      await bus.publish(records)
    } finally {
      await bus.close()
    }
    await withKafkaAdmin(config.kafka.brokers, async (admin) => {
      expect(await recordsWritten(admin, config.bus.topics.raw)).toBe(3000)
      await admin.deleteTopics({ topics: pipelineTopics(config.bus).map((t) => t.topic) })
    })
  })
})
