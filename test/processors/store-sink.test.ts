import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { OutgoingRecord } from '../../core/bus/bus.js'
import type { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import type { SqliteStore } from '../../core/store/sqlite-store.js'
import type { CanonicalReading, ReadingEnvelope } from '../../models/reading.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { encodePointsRecord } from '../../processors/points-record.js'
import { StoreSink } from '../../processors/store-sink.js'
import { byPartition, embeddedPlatform, json, quietLogger, runningContext, totalLag, type EmbeddedPlatform } from '../support/embedded.js'
import { waitFor } from '../support/pipeline.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')
const minute = 60_000

/** The sink's batches on the embedded bus into the embedded store. */
describe('store sink on the embedded bus and store', () => {
  let platform: EmbeddedPlatform
  let config: Config
  let bus: EmbeddedBus
  let store: SqliteStore
  // The group keeps its former name (see StoreSink.start).
  const group = (): string => `${config.bus.groupPrefix}-influx-sink`
  const inputs = (): string[] => [config.bus.topics.readings, config.bus.topics.footprintPoints]
  const sink = (): StoreSink => new StoreSink({ config, bus, store, logger: quietLogger })
  const drained = (what: string) => waitFor(async () => (await totalLag(bus, group(), inputs())) === 0, 15_000, what)

  const envelope = (deviceId: string, readings: [field: string, value: CanonicalReading['value'], time: number][]): ReadingEnvelope => ({
    schema: 'circular.readings/v1',
    tenant: 'city',
    site: 'north',
    deviceId,
    kind: 'waste_container',
    format: 'senml',
    receivedAt: Date.now(),
    source: { topic: config.bus.topics.raw, partition: 0, offset: '0' },
    readings: readings.map(([field, value, time]) => ({ attribute: field, measurement: 'waste_container', field, value, unit: typeof value === 'number' ? 'ratio' : '', time })),
  })
  const readingsRecord = (e: ReadingEnvelope | string): OutgoingRecord => ({
    topic: config.bus.topics.readings,
    key: typeof e === 'string' ? 'bin-x' : e.deviceId,
    value: Buffer.from(typeof e === 'string' ? e : JSON.stringify(e)),
    headers: { [header.receivedAt]: String(Date.now()) },
  })
  const fills = (deviceId: string, from: number, count: number): OutgoingRecord[] =>
    Array.from({ length: count }, (_, i) => readingsRecord(envelope(deviceId, [['filling_level', (from + i) / 100, t0 + (from + i) * minute]])))
  const stored = async (deviceId: string, field = 'filling_level'): Promise<unknown[]> =>
    (await store.readings({ measurements: ['waste_container'], tags: { device: deviceId }, from: 0, to: t0 + 86_400_000, fields: [field], limit: 10_000 })).map((v) => v.value)

  beforeEach(async () => {
    platform = embeddedPlatform({ SINK_RETRY_MAX_MS: '200' })
    config = platform.config
    bus = platform.openBus()
    store = platform.openStore({ busyTimeoutMs: 20 })
    await bus.ensureTopics(pipelineTopics(config.bus))
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('readings and computed points should be stored, and a record it cannot read dead-lettered with the reason and its own bytes', async () => {
    const rollup = { measurement: 'container_rollup', tags: { tenant: 'city', site: 'north', device: 'bin-1', interval: 'hour' }, fields: { fill_sum: 0.9, fill_count: 2 }, time: t0 }
    const unreadable = [
      readingsRecord('{"schema": "circular.readings/v1", '),
      readingsRecord(JSON.stringify({ ...envelope('bin-1', [['filling_level', 0.1, t0]]), readings: [] })),
      { topic: config.bus.topics.footprintPoints, key: 'bin-1', value: Buffer.from(JSON.stringify({ schema: 'circular.points/v1', points: [{ ...rollup, measurement: 'Container Rollup' }] })), headers: {} },
    ]
    await bus.publish([
      // Two fields observed at one instant share a point.
      readingsRecord(envelope('bin-1', [['filling_level', 0.4, t0], ['temperature_c', 21, t0]])),
      readingsRecord(envelope('bin-1', [['filling_level', 0.5, t0 + minute]])),
      { topic: config.bus.topics.footprintPoints, key: 'bin-1', value: encodePointsRecord([rollup]), headers: {} },
      ...unreadable,
    ])
    const s = sink()
    const consumption = await s.start()
    await drained('every record committed')
    await consumption.stop()

    expect(await stored('bin-1')).toEqual([0.4, 0.5])
    expect(await stored('bin-1', 'temperature_c')).toEqual([21])
    expect(await store.points({ measurement: 'container_rollup', tags: { device: 'bin-1' }, from: 0, to: t0 + 1, limit: 10 })).toEqual([rollup])

    const letters = await bus.readAll(config.bus.topics.deadLetter)
    expect(letters).toHaveLength(3)
    for (const record of unreadable) {
      const letter = letters.find((l) => l.value.equals(record.value))
      expect(letter, record.value.toString()).toBeDefined()
      expect(letter!.headers).toMatchObject({ [header.dlqStage]: 'store-sink', [header.dlqCode]: 'RECORD_INVALID', [header.dlqSourceTopic]: record.topic })
      expect(deadLetterReasons(letter!.headers)[0]!.message).toMatch(new RegExp(`^not a valid ${record.topic.replace('.', '\\.')} record: `))
    }
    expect(s.counters.snapshot()).toEqual({ received: 6, stored: 3, points: 3, deadLettered: 3, writeRetries: 0 })
  })

  test('a point the store refuses for good should be dead-lettered as POINT_REJECTED with the point and the reason, and the rest stored', async () => {
    await bus.publish([readingsRecord(envelope('bin-2', [['status', 'ok', t0]])), readingsRecord(envelope('bin-2', [['status', 3, t0 + minute], ['filling_level', 0.2, t0 + minute]])), ...fills('bin-2', 10, 1)])
    const s = sink()
    const consumption = await s.start()
    await drained('every record committed')
    await consumption.stop()

    expect(await stored('bin-2', 'status')).toEqual(['ok'])
    // The refused point carried both fields of its instant; the later reading is stored.
    expect(await stored('bin-2')).toEqual([0.1])
    const [letter, ...others] = await bus.readAll(config.bus.topics.deadLetter)
    expect(others).toEqual([])
    expect(letter!.headers).toMatchObject({ [header.dlqStage]: 'store-sink', [header.dlqCode]: 'POINT_REJECTED', [header.dlqSourceTopic]: config.bus.topics.readings })
    expect(json(letter!)).toEqual({ measurement: 'waste_container', tags: { tenant: 'city', site: 'north', device: 'bin-2', kind: 'waste_container' }, fields: { status: 3, filling_level: 0.2 }, time: t0 + minute })
    expect(deadLetterReasons(letter!.headers)).toEqual([{ code: 'POINT_REJECTED', message: expect.stringContaining('field type conflict') as string }])
    expect(s.counters.snapshot()).toMatchObject({ received: 3, stored: 2, points: 3, deadLettered: 1 })
  })

  test('offsets should be committed only after the store accepted the batch: while it is locked nothing is committed, afterwards every reading is stored', async () => {
    await store.ensureReady()
    const holder = new Database(platform.storePath)
    const s = sink()
    let consumption: Awaited<ReturnType<StoreSink['start']>> | undefined
    try {
      holder.prepare('BEGIN IMMEDIATE').run()
      await bus.publish(fills('bin-3', 0, 5))
      consumption = await s.start()
      await waitFor(() => s.counters.get('writeRetries') >= 3, 15_000, 'the sink retrying against the locked store')
      expect(await totalLag(bus, group(), inputs())).toBe(5)
      expect(s.counters.get('received')).toBe(0)
      holder.prepare('ROLLBACK').run()
    } finally {
      holder.close()
    }
    await drained('the batch committed once the store took it')
    await consumption.stop()
    expect(await stored('bin-3')).toEqual([0, 0.01, 0.02, 0.03, 0.04])
    expect(s.counters.snapshot()).toMatchObject({ received: 5, stored: 5, points: 5 })
  })

  test('a sink restarted on the same bus file should write only the records not committed before', async () => {
    await bus.publish(fills('bin-4', 0, 4))
    const first = sink()
    const running = await first.start()
    await drained('the first four records')
    await running.stop()
    await bus.close()

    bus = platform.openBus()
    await bus.publish(fills('bin-4', 4, 2))
    const restarted = sink()
    const again = await restarted.start()
    await drained('the two records published while it was down')
    await again.stop()

    expect(first.counters.get('points')).toBe(4)
    expect(restarted.counters.snapshot()).toMatchObject({ received: 2, points: 2, stored: 2 })
    expect(await stored('bin-4')).toEqual([0, 0.01, 0.02, 0.03, 0.04, 0.05])
  })

  test('records written but not committed before a crash should be written again, and the store should hold each reading once', async () => {
    await bus.publish(fills('bin-5', 0, 3))
    const crashed = sink()
    for (const batch of byPartition(await bus.readAll(config.bus.topics.readings))) await crashed.handleBatch(batch, runningContext)
    expect(crashed.counters.get('points')).toBe(3)

    const restarted = sink()
    const consumption = await restarted.start()
    await drained('the uncommitted records written again')
    await consumption.stop()
    // Written twice, stored once: same series and time overwrite.
    expect(restarted.counters.get('points')).toBe(3)
    expect(await stored('bin-5')).toEqual([0, 0.01, 0.02])
  })
})
