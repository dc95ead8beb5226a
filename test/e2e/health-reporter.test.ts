import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { header, pipelineTopics } from '../../core/bus/topics.js'
import { Counters } from '../../core/counters.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { InfluxStore } from '../../core/store/influx-store.js'
import { EndToEndDelays } from '../../core/end-to-end-delays.js'
import { startHealthReporter, type HealthReporter } from '../../processors/health/health-reporter.js'
import { runInfluxQL } from '../dashboards/influx-query.js'
import { isolatedConfig, registerDevice, testLogger, waitFor } from '../support/pipeline.js'

const { config, cleanup } = isolatedConfig({ KAFKA_TOPIC_PARTITIONS: '2', HEALTH_REPORT_INTERVAL_MS: '600000' })

async function rows(statement: string): Promise<unknown[][]> {
  const result = await runInfluxQL(config, statement)
  if (result.error) throw new Error(result.error)
  return result.rows
}

describe('health reporter', () => {
  const bus = new KafkaBus(config.kafka, testLogger)
  const store = new InfluxStore(config.influx, testLogger)
  const normaliser = new Counters('normaliser', ['received', 'accepted', 'deadLettered'])
  const delays = new EndToEndDelays('store-sink')
  const watched = { groupId: `${config.bus.groupPrefix}-watched`, topics: [config.bus.topics.raw] }
  let reporter: HealthReporter

  beforeAll(async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    await store.ensureReady()
    reporter = await startHealthReporter({ config, store, bus, counters: () => [normaliser], delays: () => [delays], groups: [watched], registry: new FileRegistry(config.registryFile), logger: testLogger })
  }, 30_000)

  afterAll(async () => {
    await reporter?.stop()
    await bus.close()
    await store.close()
    cleanup()
  })

  test('report should write counter increments that add up to the counters, whatever the number of reports', async () => {
    normaliser.add('received', 5)
    normaliser.add('accepted', 4)
    normaliser.add('deadLettered')
    await reporter.report()
    normaliser.add('received', 3)
    normaliser.add('accepted', 3)
    await reporter.report()
    const [totals] = await rows(`SELECT sum("received"), sum("accepted"), sum("dead_lettered") FROM "pipeline_counters" WHERE "component" = 'normaliser'`)
    expect(totals).toEqual([8, 7, 1])
    const [[reports]] = (await rows(`SELECT count("received") FROM "pipeline_counters" WHERE "component" = 'normaliser'`)) as [[number]]
    expect(reports).toBe(2)
  })

  test('report should write dead letters by stage and reason code, read from the dead-letter topic', async () => {
    const deadLetter = (stage: string, code: string) => ({ topic: config.bus.topics.deadLetter, key: 'bin-1', value: Buffer.from('{}'), headers: { [header.dlqStage]: stage, [header.dlqCode]: code } })
    await bus.publish([deadLetter('normaliser', 'UNIT_UNKNOWN'), deadLetter('normaliser', 'UNIT_UNKNOWN'), deadLetter('store-sink', 'POINT_REJECTED')])
    const byReason = async (): Promise<unknown[][]> => {
      await reporter.report()
      return rows(`SELECT sum("records") FROM "pipeline_dead_letters" GROUP BY "stage", "code"`)
    }
    // The tally consumes the topic in its own group; report until it has seen all three.
    await waitFor(async () => (await byReason()).flat().reduce<number>((sum, n) => sum + Number(n), 0) === 3, 30_000, 'three dead letters tallied')
    const result = await runInfluxQL(config, `SELECT sum("records") AS "records" FROM "pipeline_dead_letters" GROUP BY "stage", "code"`)
    expect(result.rows.sort()).toEqual([[1], [2]])
  })

  test('report should write the lag of a consumer group per partition, from the start of a partition where the group has committed nothing', async () => {
    await bus.publish(Array.from({ length: 6 }, (_, i) => ({ topic: config.bus.topics.raw, key: `device-${i}`, value: Buffer.from(String(i)), headers: {} })))
    await reporter.report()
    const lagOf = async (): Promise<number> => (await rows(`SELECT sum("lag") FROM (SELECT last("lag") AS "lag" FROM "pipeline_lag" WHERE "group" = '${watched.groupId}' GROUP BY "topic", "partition")`))[0]?.[0] as number
    expect(await lagOf()).toBe(6)
    const consumption = await bus.consume({ groupId: watched.groupId, topics: watched.topics, handleBatch: async () => undefined })
    try {
      await waitFor(async () => {
        await reporter.report()
        return (await lagOf()) === 0
      }, 30_000, 'the lag to drop to zero once the group committed')
    } finally {
      await consumption.stop()
    }
  })

  test('report should write end-to-end delays per basis as count, mean and maximum', async () => {
    delays.record('received', 100)
    delays.record('received', 300)
    delays.record('observed', 5000)
    await reporter.report()
    const result = await rows(`SELECT sum("readings"), max("mean_ms"), max("max_ms") FROM "pipeline_delay" GROUP BY "basis"`)
    expect(result.sort()).toEqual([[1, 5000, 5000], [2, 200, 300]])
  })

  test('report should write the device inventory again as soon as the registry changed, not only once per inventory window', async () => {
    const inventory = async (): Promise<unknown[][]> => rows(`SELECT last("latitude") FROM "device_inventory" GROUP BY "device", "kind"`)
    // The registry is empty so far: the first report of the window wrote an empty inventory.
    await reporter.report()
    expect(await inventory()).toEqual([])
    await registerDevice(config, { id: 'bin-late', tenant: 'inventory-city', site: 'depot-9' })
    // The registry notices its file changed within a second; each report writes what it lists then.
    await waitFor(async () => {
      await reporter.report()
      return (await inventory()).length === 1
    }, 30_000, 'the new device in the inventory')
    expect(await inventory()).toEqual([[51.21301]])
  })
})
