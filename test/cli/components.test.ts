import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { createPlatform, platformCloser, startApiComponent, startBrokerComponent, startNormaliserComponent, startSinkComponent, type Platform, type Started } from '../../cli/components.js'
import { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { loadConfig } from '../../core/config.js'
import { InfluxStore } from '../../core/store/influx-store.js'
import { SqliteStore } from '../../core/store/sqlite-store.js'
import { testLogger, waitFor } from '../support/pipeline.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import { groupIds } from '../../processors/group-ids.js'
import { stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())
const embedded = (stateDir = dirs.make()) => loadConfig({ CIRCULAR_STATE_DIR: stateDir, MQTT_PORT: '0', API_PORT: '0', CIRCULAR_LOG_LEVEL: 'silent' })

const platforms: Platform[] = []
const started: Started[] = []
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop()
  for (const p of platforms.splice(0)) await platformCloser(p).stop()
})
const platform = (config = embedded()): Platform => {
  const p = createPlatform(config, testLogger)
  platforms.push(p)
  return p
}

describe('createPlatform', () => {
  test('should choose the embedded bus and store unless Kafka brokers and an InfluxDB URL are configured', async () => {
    const p = platform()
    expect(p.bus).toBeInstanceOf(EmbeddedBus)
    expect(p.store).toBeInstanceOf(SqliteStore)
    expect(p.config.bus).toMatchObject({ kind: 'embedded' })
    expect([p.counters, p.delays, p.started]).toEqual([[], [], []])
    // Constructing the Kafka and InfluxDB clients connects to neither.
    const remote = createPlatform(loadConfig({ CIRCULAR_STATE_DIR: dirs.make(), KAFKA_BROKERS: '127.0.0.1:1', INFLUX_URL: 'http://127.0.0.1:1' }), testLogger)
    expect(remote.bus).toBeInstanceOf(KafkaBus)
    expect(remote.store).toBeInstanceOf(InfluxStore)
    await remote.store.close()
  })

  test('platformCloser should close the bus and the store the components shared', async () => {
    const p = createPlatform(embedded(), testLogger)
    await p.store.ensureReady()
    expect(await p.bus.ping()).toBe(true)
    expect(await p.store.ping()).toBe(true)
    const closer = platformCloser(p)
    expect(closer.name).toBe('clients')
    await closer.stop()
    expect(await p.bus.ping()).toBe(false)
    expect(await p.store.ping()).toBe(false)
  })
})

describe('component starters', () => {
  test('the store sink, the normaliser and its registry mirror should register their counters, the sink its delays, under their names', async () => {
    const p = platform()
    started.push(await startNormaliserComponent(p))
    started.push(await startSinkComponent(p))
    expect(started.map((s) => s.name)).toEqual(['normaliser', 'store-sink'])
    expect(p.counters.map((c) => c.component)).toEqual(['normaliser', 'registry-mirror', 'store-sink'])
    expect(p.delays.map((d) => d.stage)).toEqual(['store-sink'])
  })

  test('the broker should create the pipeline topics and answer with its address', async () => {
    const p = platform()
    const broker = await startBrokerComponent(p)
    started.push(broker)
    expect(broker.name).toBe('broker')
    expect(broker.address).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/)
    expect(broker.note).toBeUndefined()
    // What the ingest hands to the bus and what the broker refuses are counted, and the ingest's topic exists.
    expect(p.counters.map((c) => c.component)).toEqual(['ingest', 'broker'])
    await expect(p.bus.readAll(p.config.bus.topics.raw)).resolves.toEqual([])
  })

  test('the API should note the bootstrap admin key on the first start only', async () => {
    const stateDir = dirs.make()
    const first = platform(embedded(stateDir))
    const api = await startApiComponent(first)
    started.push(api)
    expect(api.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(api.note).toBe(`first start: a platform admin API key is in ${stateDir}/admin-key (readable by you only); send it as "Authorization: Bearer <key>", create your own with "circular keys create" and revoke this one`)
    await api.stop()
    started.splice(0)
    await platformCloser(platforms.pop()!).stop()
    const again = await startApiComponent(platform(embedded(stateDir)))
    started.push(again)
    expect(again.note).toBeUndefined()
  })
})
describe('startApiComponent /health', () => {
  test('a pipeline group that makes no progress while records wait for it is reported, and the API still answers', async () => {
    const config = loadConfig({ CIRCULAR_STATE_DIR: dirs.make(), MQTT_PORT: '0', API_PORT: '0', CIRCULAR_LOG_LEVEL: 'silent', HEALTH_GROUP_STALL_MS: '1000' })
    const p = platform(config)
    await p.bus.ensureTopics(pipelineTopics(config.bus))
    // Raw records, and no normaliser to take them.
    await p.bus.publish([{ topic: config.bus.topics.raw, key: 'bin-1', value: Buffer.from('[]'), headers: {} }])
    const api = await startApiComponent(p)
    started.push(api)
    const health = async () => {
      const response = await fetch(`${api.address!}/health`)
      return { status: response.status, body: (await response.json()) as { status: string; stalledGroups?: { group: string; lag: number }[] } }
    }
    const first = await health()
    expect(first.body.stalledGroups).toBeUndefined()
    const stalled = await waitFor(async () => {
      const h = await health()
      return h.body.stalledGroups ? h : undefined
    }, 10_000, 'the normaliser group reported stalled')
    expect(stalled.status).toBe(200)
    expect(stalled.body.status).toBe('degraded')
    expect(stalled.body.stalledGroups).toContainEqual(expect.objectContaining({ group: groupIds.normaliser(config.bus.groupPrefix), lag: 1 }))
  })
})
