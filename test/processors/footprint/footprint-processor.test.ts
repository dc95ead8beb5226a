import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { OutgoingRecord } from '../../../core/bus/bus.js'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../../core/bus/topics.js'
import type { Config } from '../../../core/config.js'
import type { Point } from '../../../core/store/store.js'
import type { CanonicalReading, ReadingEnvelope } from '../../../models/reading.js'
import { deadLetterReasons } from '../../../processors/dead-letter.js'
import { FootprintProcessor } from '../../../processors/footprint/footprint-processor.js'
import { pointsRecord } from '../../../processors/points-record.js'
import { StoreSink } from '../../../processors/store-sink.js'
import { byPartition, embeddedPlatform, json, quietLogger, totalLag, type EmbeddedPlatform } from '../../support/embedded.js'
import { waitFor } from '../../support/pipeline.js'

const hour = 3_600_000
const day = 24 * hour
const t0 = Date.parse('2026-11-02T08:00:00Z')
const dayStart = Date.parse('2026-11-02T00:00:00Z')

/** The footprint processor's batches on the embedded bus: readings in, rollup points and late-reading dead letters out. */
describe('footprint processor on the embedded bus', () => {
  let platform: EmbeddedPlatform
  let config: Config
  let bus: EmbeddedBus
  const group = (): string => `${config.bus.groupPrefix}-footprint`
  const processor = (): FootprintProcessor => new FootprintProcessor({ config, bus, logger: quietLogger })
  const drained = (what: string) => waitFor(async () => (await totalLag(bus, group(), [config.bus.topics.readings])) === 0, 15_000, what)

  let offset = 0
  const envelope = (deviceId: string, kind: ReadingEnvelope['kind'], readings: Omit<CanonicalReading, 'unit'>[], format: ReadingEnvelope['format'] = 'senml'): OutgoingRecord => {
    const value: ReadingEnvelope = {
      schema: 'circular.readings/v1',
      tenant: 'city',
      site: 'north',
      deviceId,
      kind,
      format,
      receivedAt: Math.max(...readings.map((r) => r.time)),
      // The raw record it was normalised from; a resend by the device is another raw record.
      source: { topic: config.bus.topics.raw, partition: 0, offset: String(offset++) },
      readings: readings.map((r) => ({ unit: '', ...r })),
      ...(kind === 'waste_container' ? { fraction: 'paper' } : {}),
    }
    return { topic: config.bus.topics.readings, key: deviceId, value: Buffer.from(JSON.stringify(value)), headers: {} }
  }
  const fill = (deviceId: string, value: number, time: number): OutgoingRecord => envelope(deviceId, 'waste_container', [{ attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value, time }])
  const weighing = (kg: number, direction: 'in' | 'out', time: number): OutgoingRecord =>
    envelope('bridge-1', 'weighing_device', [
      { attribute: 'weight', measurement: 'waste_weighing', field: 'net_weight_kg', value: kg, time },
      { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: direction, time },
      { attribute: 'material', measurement: 'waste_weighing', field: 'material', value: 'glass', time },
    ])
  /** A resend: the same readings in a new raw record, so a new readings record with another source offset. */
  const resend = (record: OutgoingRecord): OutgoingRecord => {
    const value = JSON.parse(record.value.toString('utf8')) as ReadingEnvelope
    return { ...record, value: Buffer.from(JSON.stringify({ ...value, source: { ...value.source, offset: String(offset++) } })) }
  }

  /** Every point the processor emitted, in topic order (per device, the order it emitted them in). */
  const emitted = async (): Promise<Point[]> => (await bus.readAll(config.bus.topics.footprintPoints)).flatMap((r) => pointsRecord.parse(json(r)).points)
  /** How many times a window of a device's rollup was emitted: once per contribution to it. */
  const contributions = (points: Point[], measurement: string, device: string, interval: string, start: number): number =>
    points.filter((p) => p.measurement === measurement && p.tags.device === device && p.tags.interval === interval && p.time === start).length
  /** A window's value as stored after every emission of it: each one overwrites the one before. */
  const window = (points: Point[], measurement: string, device: string, interval: string, start: number, dims: Record<string, string> = {}): Point['fields'] | undefined =>
    points.filter((p) => p.measurement === measurement && p.tags.device === device && p.tags.interval === interval && p.time === start && Object.entries(dims).every(([k, v]) => p.tags[k] === v)).at(-1)?.fields

  beforeEach(async () => {
    offset = 0
    platform = embeddedPlatform()
    config = platform.config
    bus = platform.openBus()
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('readings should roll up per device and window; a resent message should not count twice; a reading behind the watermark should be dead-lettered', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const second = fill('bin-1', 0.2, t0 + hour)
    // The broker's word that the device's session ended: no telemetry, so in no rollup.
    const offline = envelope('bin-1', 'waste_container', [{ attribute: 'connection', measurement: 'device_status', field: 'connection', value: 'offline', time: t0 + 90 * 60_000 }], 'device-status')
    await bus.publish([
      fill('bin-1', 0.1, t0),
      offline,
      second,
      fill('bin-1', 0.3, t0 + 2 * hour),
      resend(second),
      weighing(1000, 'in', t0),
      weighing(400, 'out', t0 + hour),
      { topic: config.bus.topics.readings, key: 'bin-1', value: Buffer.from('{"schema": "circular.readings/v1"'), headers: {} },
    ])
    const p = processor()
    const consumption = await p.start()
    await drained('the first records')
    // Three days on, the watermark (two days of lateness allowed) has passed the first day.
    await bus.publish([fill('bin-1', 0.4, t0 + 3 * day), fill('bin-1', 0.35, t0 + 150 * 60_000)])
    await drained('the late reading')
    await consumption.stop()

    expect(p.counters.snapshot()).toEqual({ received: 10, applied: 7, skippedAlreadyApplied: 0, skippedRepeat: 1, tooLate: 1, points: expect.any(Number) as number, stateReloads: 1, devicesForgotten: 0, statusEvents: 1 })
    const points = await emitted()
    expect(p.counters.get('points')).toBe(points.length)
    // One contribution per message applied that day: the resend and the late reading added none.
    expect(contributions(points, 'telemetry_rollup', 'bin-1', 'day', dayStart)).toBe(3)
    expect(window(points, 'telemetry_rollup', 'bin-1', 'day', dayStart)).toEqual({ messages: 3, readings: 3 })
    expect(window(points, 'container_rollup', 'bin-1', 'day', dayStart)).toMatchObject({ fill_count: 3, fill_max: 0.3, fill_last: 0.3 })
    expect(window(points, 'container_rollup', 'bin-1', 'day', dayStart)!.fill_sum).toBeCloseTo(0.6, 12)
    expect(window(points, 'material_flow_rollup', 'bridge-1', 'day', dayStart, { direction: 'in' })).toEqual({ mass_kg: 1000, weighings: 1 })
    expect(window(points, 'material_flow_rollup', 'bridge-1', 'day', dayStart, { direction: 'out' })).toEqual({ mass_kg: 400, weighings: 1 })
    expect(points.find((x) => x.measurement === 'material_flow_rollup')!.tags).toMatchObject({ tenant: 'city', site: 'north', device: 'bridge-1', fraction: 'glass', destination: 'none' })

    const letters = await bus.readAll(config.bus.topics.deadLetter)
    expect(letters).toHaveLength(1)
    expect(letters[0]!.headers).toMatchObject({ [header.dlqStage]: 'footprint', [header.dlqCode]: 'READING_TOO_LATE', [header.dlqSourceTopic]: config.bus.topics.readings })
    expect(deadLetterReasons(letters[0]!.headers)).toEqual([{ code: 'READING_TOO_LATE', attribute: 'fillingLevel', message: expect.stringContaining('before the rollup watermark') as string }])
  })

  test('container temperatures and cargo weights should reach their derivations, and other container readings only the telemetry rollup', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const reading = (deviceId: string, field: string, value: number | string, time: number): OutgoingRecord =>
      envelope(deviceId, 'waste_container', [{ attribute: field, measurement: 'waste_container', field, value, time }])
    await bus.publish([
      reading('bin-t', 'temperature_c', 21, t0),
      reading('bin-t', 'temperature_c', 35, t0 + 10 * 60_000),
      reading('bin-t', 'status', 'ok', t0 + 20 * 60_000),
      // No fill sensor: a weight that halves by at least 5 kg is an emptying.
      reading('bin-w', 'cargo_weight_kg', 52, t0),
      reading('bin-w', 'cargo_weight_kg', 3, t0 + hour),
    ])
    const consumption = await processor().start()
    await drained('the readings')
    await consumption.stop()

    const points = await emitted()
    expect(window(points, 'container_rollup', 'bin-t', 'hour', t0)).toEqual({ temperature_max_c: 35 })
    expect(window(points, 'telemetry_rollup', 'bin-t', 'hour', t0)).toEqual({ messages: 3, readings: 3 })
    expect(points.filter((p) => p.tags.device === 'bin-t').map((p) => p.measurement).sort()).toEqual([...Array<string>(6).fill('container_rollup'), ...Array<string>(9).fill('telemetry_rollup')])
    expect(points.filter((p) => p.measurement === 'container_collection')).toEqual([{ measurement: 'container_collection', tags: { tenant: 'city', site: 'north', device: 'bin-w', fraction: 'paper' }, fields: { mass_at_collection_kg: 52 }, time: t0 + hour }])
  })

  test('the rollups the sink writes to the embedded store should count each message once, also when its resend arrives in another batch', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const first = fill('bin-2', 0.5, t0)
    await bus.publish([first, fill('bin-2', 0.6, t0 + 10 * 60_000)])
    const p = processor()
    const consumption = await p.start()
    await drained('the first batch')
    await bus.publish([resend(first), fill('bin-2', 0.7, t0 + 20 * 60_000)])
    await drained('the resend')
    await consumption.stop()

    const store = platform.openStore()
    const sink = new StoreSink({ config, bus, store, logger: quietLogger })
    const sinking = await sink.start()
    await waitFor(async () => (await totalLag(bus, `${config.bus.groupPrefix}-influx-sink`, [config.bus.topics.readings, config.bus.topics.footprintPoints])) === 0, 15_000, 'the sink to store the points')
    await sinking.stop()
    const [hourly] = await store.points({ measurement: 'telemetry_rollup', tags: { device: 'bin-2', interval: 'hour' }, from: t0, to: t0 + 1, limit: 10 })
    expect(hourly!.fields).toEqual({ messages: 3, readings: 3 })
    expect(p.counters.get('skippedRepeat')).toBe(1)
    // The store overwrote each window's repeats; what it was sent shows the contributions.
    expect(contributions(await emitted(), 'telemetry_rollup', 'bin-2', 'hour', t0)).toBe(3)
  })

  test('a resend arriving hundreds of messages after the original should count once (identities are kept over the allowed lateness, not the last N)', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const first = fill('bin-late', 0.1, t0)
    // 300 messages a second apart after it: more than any fixed window of the last 128.
    const after = Array.from({ length: 300 }, (_, i) => fill('bin-late', 0.2, t0 + (i + 1) * 1000))
    await bus.publish([first, ...after])
    const p = processor()
    const consumption = await p.start()
    await drained('the first 301 messages')
    await bus.publish([resend(first), resend(after[150]!)])
    await drained('the resends')
    await consumption.stop()
    expect(p.counters.snapshot()).toMatchObject({ applied: 301, skippedRepeat: 2, tooLate: 0 })
    expect(contributions(await emitted(), 'telemetry_rollup', 'bin-late', 'hour', t0)).toBe(301)
  })

  test('a processor restarted on the same bus file should resume from its changelog: no message applied twice, none lost, rollups continued', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const first = fill('bin-3', 0.1, t0)
    await bus.publish([first, fill('bin-3', 0.2, t0 + 10 * 60_000)])
    const running = await processor().start()
    await drained('the first two records')
    await running.stop()
    await bus.close()

    bus = platform.openBus()
    // While it was down: a new reading, and the device resending its first message.
    await bus.publish([fill('bin-3', 0.3, t0 + 20 * 60_000), resend(first)])
    const restarted = processor()
    const again = await restarted.start()
    await drained('the records published while it was down')
    await again.stop()

    expect(restarted.counters.snapshot()).toMatchObject({ received: 2, applied: 1, skippedRepeat: 1, skippedAlreadyApplied: 0, stateReloads: 1 })
    const points = await emitted()
    expect(contributions(points, 'telemetry_rollup', 'bin-3', 'hour', t0)).toBe(3)
    expect(window(points, 'telemetry_rollup', 'bin-3', 'hour', t0)).toEqual({ messages: 3, readings: 3 })
  })

  test('records applied before a crash but not committed should be skipped by the offsets their state reflects', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    await bus.publish([fill('bin-4', 0.1, t0), fill('bin-4', 0.2, t0 + 10 * 60_000), weighing(250, 'in', t0)])
    // The crashed run: points and state published, offsets never committed.
    for (const batch of byPartition(await bus.readAll(config.bus.topics.readings))) await processor().handleBatch(batch)
    const before = (await emitted()).length
    expect(before).toBeGreaterThan(0)

    const restarted = processor()
    const consumption = await restarted.start()
    await drained('the uncommitted records')
    await consumption.stop()
    expect(restarted.counters.snapshot()).toMatchObject({ received: 3, applied: 0, skippedAlreadyApplied: 3, points: 0 })
    expect(await emitted()).toHaveLength(before)
  })

  test('a batch whose points the bus refuses should leave neither offsets nor state behind, and be applied once when it comes again', async () => {
    // No points topic yet: publishing the batch's outputs fails before its state is written.
    await bus.ensureTopics(pipelineTopics(config.bus).filter((t) => t.topic !== config.bus.topics.footprintPoints))
    await bus.publish([fill('bin-5', 0.1, t0), fill('bin-5', 0.2, t0 + 10 * 60_000)])
    const p = processor()
    // The consumption `start()` sets up, without its creating the missing topic.
    const consumption = await bus.consume({ groupId: group(), topics: [config.bus.topics.readings], handleBatch: (records) => p.handleBatch(records) })
    try {
      await waitFor(() => p.counters.get('stateReloads') >= 2, 15_000, 'a failed batch and the state loaded again for its redelivery')
      expect(await bus.readAll(config.bus.topics.footprintState)).toEqual([])
      expect(await totalLag(bus, group(), [config.bus.topics.readings])).toBe(2)
      await bus.ensureTopics(pipelineTopics(config.bus))
      await drained('the batch applied once the topic exists')
    } finally {
      await consumption.stop()
    }
    const points = await emitted()
    expect(window(points, 'telemetry_rollup', 'bin-5', 'hour', t0)).toEqual({ messages: 2, readings: 2 })
    expect(contributions(points, 'telemetry_rollup', 'bin-5', 'hour', t0)).toBe(2)
    expect(await bus.readAll(config.bus.topics.footprintState)).toHaveLength(1)
  })
  test("a device's tombstone on the devices topic should delete its state in the changelog, and a reload should not bring it back", async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const devices = config.bus.topics.devices
    await bus.publish([{ topic: devices, key: 'bin-6', value: Buffer.from('{}'), headers: {} }, fill('bin-6', 0.1, t0), fill('bin-7', 0.3, t0)])
    const p = processor()
    const consumption = await p.start()
    await drained('two devices applied')
    const keys = async (): Promise<string[]> => (await bus.readAll(config.bus.topics.footprintState)).filter((r) => !r.tombstone).map((r) => r.key).sort()
    expect(await keys()).toEqual(['bin-6', 'bin-7'])

    // bin-6 removed; a tombstone for a device without state changes nothing.
    await bus.publish([
      { topic: devices, key: 'bin-6', value: Buffer.alloc(0), headers: {}, tombstone: true },
      { topic: devices, key: 'never-seen', value: Buffer.alloc(0), headers: {}, tombstone: true },
    ])
    await waitFor(async () => (await totalLag(bus, group(), [devices])) === 0, 15_000, 'the tombstones handled')
    await consumption.stop()
    expect(p.counters.get('devicesForgotten')).toBe(1)
    const state = await bus.readAll(config.bus.topics.footprintState)
    expect(state.filter((r) => r.key === 'bin-6').map((r) => r.tombstone === true)).toEqual([true])
    expect(state.some((r) => r.key === 'never-seen')).toBe(false)
    expect(await keys()).toEqual(['bin-7'])

    // A new instance loads the changelog: bin-6 starts afresh, so its first reading opens a new window of one.
    const restarted = processor()
    const again = await restarted.start()
    await bus.publish([fill('bin-6', 0.5, t0 + 30 * 60_000)])
    await drained('the re-registered device applied')
    await again.stop()
    expect(restarted.counters.snapshot()).toMatchObject({ received: 1, applied: 1, skippedAlreadyApplied: 0 })
    expect(window(await emitted(), 'telemetry_rollup', 'bin-6', 'hour', t0)).toEqual({ messages: 1, readings: 1 })
  })
})
