import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../../core/bus/topics.js'
import { Counters } from '../../../core/counters.js'
import { EndToEndDelays } from '../../../core/end-to-end-delays.js'
import { FileRegistry } from '../../../core/registry/file-registry.js'
import type { SqliteStore } from '../../../core/store/sqlite-store.js'
import type { Point } from '../../../core/store/store.js'
import { startHealthReporter, type HealthReporter } from '../../../processors/health/health-reporter.js'
import { embeddedPlatform, quietLogger, type EmbeddedPlatform } from '../../support/embedded.js'
import { registerDevice, waitFor } from '../../support/pipeline.js'

/** The health reporter on the embedded bus and store: what it writes, and that an increment survives a failed write. */
describe('health reporter on the embedded bus and store', () => {
  let platform: EmbeddedPlatform
  let bus: EmbeddedBus
  let store: SqliteStore
  let reporter: HealthReporter
  let normaliser: Counters<'received' | 'accepted' | 'deadLettered'>
  let delays: EndToEndDelays
  let watched: { groupId: string; topics: string[] }

  beforeEach(async () => {
    platform = embeddedPlatform({ KAFKA_TOPIC_PARTITIONS: '2', HEALTH_REPORT_INTERVAL_MS: '600000' })
    const { config } = platform
    watched = { groupId: 'watched', topics: [config.bus.topics.raw] }
    bus = platform.openBus()
    store = platform.openStore({ busyTimeoutMs: 20 })
    await bus.ensureTopics(pipelineTopics(config.bus))
    await store.ensureReady()
    normaliser = new Counters('normaliser', ['received', 'accepted', 'deadLettered'])
    delays = new EndToEndDelays('store-sink')
    reporter = await startHealthReporter({ config, store, bus, counters: () => [normaliser], delays: () => [delays], groups: [watched], registry: new FileRegistry(config.registryFile), logger: quietLogger })
  })
  afterEach(async () => {
    await reporter.stop()
    await platform.cleanup()
  })

  const points = (measurement: string, tags: Record<string, string> = {}): Promise<Point[]> => store.points({ measurement, tags, from: 0, to: Date.now() + 1000, limit: 10_000 })
  const sum = (ps: Point[], field: string): number => ps.reduce((total, p) => total + Number(p.fields[field] ?? 0), 0)
  /** Reports a millisecond apart at least: two reports at the same instant would share a point. */
  const report = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, 2))
    await reporter.report()
  }

  test('counter increments should add up to the counters, whatever the number of reports', async () => {
    normaliser.add('received', 5)
    normaliser.add('accepted', 4)
    normaliser.add('deadLettered')
    await report()
    normaliser.add('received', 3)
    normaliser.add('accepted', 3)
    await report()
    const written = await points('pipeline_counters', { component: 'normaliser' })
    expect(written).toHaveLength(2)
    expect([sum(written, 'received'), sum(written, 'accepted'), sum(written, 'dead_lettered')]).toEqual([8, 7, 1])
  })

  test('a report the store refuses should be carried into the next one: no increment and no delay lost, none counted twice', async () => {
    normaliser.add('received', 5)
    delays.record('received', 100)
    const holder = new Database(platform.storePath)
    try {
      holder.prepare('BEGIN IMMEDIATE').run()
      await report()
      holder.prepare('ROLLBACK').run()
    } finally {
      holder.close()
    }
    expect(await points('pipeline_counters', { component: 'normaliser' })).toEqual([])
    normaliser.add('received', 2)
    delays.record('received', 300)
    await report()
    const written = await points('pipeline_counters', { component: 'normaliser' })
    expect(written.map((p) => p.fields.received)).toEqual([7])
    expect((await points('pipeline_delay', { basis: 'received' })).map((p) => p.fields)).toEqual([{ readings: 2, mean_ms: 200, max_ms: 300 }])
    await report()
    expect(sum(await points('pipeline_counters', { component: 'normaliser' }), 'received')).toBe(7)
  })

  test('dead letters should be written by stage and reason code, read from the dead-letter topic', async () => {
    const { config } = platform
    const letter = (stage: string, code: string, key: string) => ({ topic: config.bus.topics.deadLetter, key, value: Buffer.from('{}'), headers: { [header.dlqStage]: stage, [header.dlqCode]: code } })
    await bus.publish([letter('normaliser', 'UNIT_UNKNOWN', 'bin-1'), letter('normaliser', 'UNIT_UNKNOWN', 'bin-2'), letter('store-sink', 'POINT_REJECTED', 'bin-1')])
    // The tally consumes the topic in its own group; report until it has seen all three.
    await waitFor(async () => {
      await report()
      return sum(await points('pipeline_dead_letters'), 'records') === 3
    }, 15_000, 'three dead letters tallied')
    const byReason = async (stage: string, code: string): Promise<number> => sum(await points('pipeline_dead_letters', { stage, code }), 'records')
    expect([await byReason('normaliser', 'UNIT_UNKNOWN'), await byReason('store-sink', 'POINT_REJECTED')]).toEqual([2, 1])
  })

  test('the lag of a watched group should be written per partition, counted from the start where the group has committed nothing', async () => {
    const { config } = platform
    await bus.publish(Array.from({ length: 6 }, (_, i) => ({ topic: config.bus.topics.raw, key: `device-${i}`, value: Buffer.from(String(i)), headers: {} })))
    const newestLag = async (): Promise<number> => {
      await report()
      const lag = await points('pipeline_lag', { group: watched.groupId })
      const newest = Math.max(...lag.map((p) => p.time))
      return sum(lag.filter((p) => p.time === newest), 'lag')
    }
    expect(await newestLag()).toBe(6)
    expect(new Set((await points('pipeline_lag', { group: watched.groupId })).map((p) => p.tags.partition))).toEqual(new Set(['0', '1']))
    const consumption = await bus.consume({ groupId: watched.groupId, topics: watched.topics, handleBatch: async () => undefined })
    try {
      await waitFor(async () => (await newestLag()) === 0, 15_000, 'the lag to drop to zero once the group committed')
    } finally {
      await consumption.stop()
    }
  })

  test('the device inventory should be written again as soon as the registry changed, not only once per inventory window', async () => {
    await report()
    expect(await points('device_inventory')).toEqual([])
    await registerDevice(platform.config, { id: 'bin-late', tenant: 'inventory-city', site: 'depot-9' })
    // The registry notices its file changed within a second; each report writes what it lists then.
    await waitFor(async () => {
      await report()
      return (await points('device_inventory')).length === 1
    }, 15_000, 'the new device in the inventory')
    expect((await points('device_inventory')).map((p) => [p.tags.device, p.fields.latitude])).toEqual([['bin-late', 51.21301]])
  })
})
