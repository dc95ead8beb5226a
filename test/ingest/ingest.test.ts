import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../core/bus/topics.js'
import type { Device } from '../../core/registry/device.js'
import { Ingest } from '../../ingest/ingest.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { embeddedPlatform, type EmbeddedPlatform } from '../support/embedded.js'

const bin: Device = { id: 'bin-1', tenant: 'city', site: 'north', kind: 'waste_container', format: 'iota-json', apiKey: 'city', secretHash: 'scrypt$x', createdAt: new Date(0).toISOString() }
const receivedAt = Date.parse('2026-11-02T08:00:00Z')

describe('ingest onto the embedded bus', () => {
  let platform: EmbeddedPlatform
  let bus: EmbeddedBus
  let ingest: Ingest

  beforeEach(() => {
    platform = embeddedPlatform()
    bus = platform.openBus()
    ingest = new Ingest(bus, platform.config.bus.topics)
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('an accepted message should be on the raw topic once accept resolves: its bytes untouched, keyed by device, with where it came from', async () => {
    const { topics } = platform.config.bus
    await bus.ensureTopics(pipelineTopics(platform.config.bus))
    const payload = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x7d])
    await ingest.accept({ device: bin, mqttTopic: 'devices/bin-1/senml', format: 'senml', payload, receivedAt })
    // A topic that names no format: the registered one goes with the record.
    await ingest.accept({ device: bin, mqttTopic: 'devices/bin-1/attrs', format: 'auto', payload: Buffer.from('fill|0.4'), receivedAt: receivedAt + 1 })
    const raw = await bus.readAll(topics.raw)
    expect(raw.map((r) => [r.key, r.headers[header.format], r.headers[header.mqttTopic]])).toEqual([
      ['bin-1', 'senml', 'devices/bin-1/senml'],
      ['bin-1', 'iota-json', 'devices/bin-1/attrs'],
    ])
    expect(raw[0]!.value.equals(payload)).toBe(true)
    expect(raw[0]!.headers).toEqual({ [header.tenant]: 'city', [header.site]: 'north', [header.device]: 'bin-1', [header.format]: 'senml', [header.mqttTopic]: 'devices/bin-1/senml', [header.receivedAt]: String(receivedAt) })
    expect(ingest.counters.snapshot()).toEqual({ received: 2, accepted: 2, deadLettered: 0, connectionEvents: 0 })
  })

  test('a refused message should go to the dead-letter topic with the reason, as the ingest stage', async () => {
    const { topics } = platform.config.bus
    await bus.ensureTopics(pipelineTopics(platform.config.bus))
    await ingest.refuse({ deviceId: 'ghost', mqttTopic: 'devices/ghost/senml', payload: Buffer.from('[]'), receivedAt, code: 'DEVICE_UNKNOWN', reason: 'device "ghost" is not registered' })
    const [letter, ...others] = await bus.readAll(topics.deadLetter)
    expect(others).toEqual([])
    expect(letter).toMatchObject({ key: 'ghost', value: Buffer.from('[]') })
    expect(letter!.headers).toMatchObject({ [header.dlqStage]: 'ingest', [header.dlqCode]: 'DEVICE_UNKNOWN', [header.device]: 'ghost', [header.mqttTopic]: 'devices/ghost/senml', [header.receivedAt]: String(receivedAt) })
    expect(deadLetterReasons(letter!.headers)).toEqual([{ code: 'DEVICE_UNKNOWN', message: 'device "ghost" is not registered' }])
    expect(await bus.readAll(topics.raw)).toEqual([])
    expect(ingest.counters.snapshot()).toEqual({ received: 1, accepted: 0, deadLettered: 1, connectionEvents: 0 })
  })

  test('a message the bus does not take should make accept fail and not be counted as accepted, so no acknowledgement goes out', async () => {
    // No raw topic: the bus refuses the record.
    await bus.ensureTopics(pipelineTopics(platform.config.bus).filter((t) => t.topic !== platform.config.bus.topics.raw))
    await expect(ingest.accept({ device: bin, mqttTopic: 'devices/bin-1/senml', format: 'senml', payload: Buffer.from('[]'), receivedAt })).rejects.toMatchObject({ code: 'BUS_TOPIC_UNKNOWN' })
    expect(ingest.counters.snapshot()).toEqual({ received: 1, accepted: 0, deadLettered: 0, connectionEvents: 0 })
  })

  test('a connection event should go to the device status topic, keyed by device, and never to the raw topic', async () => {
    const { topics } = platform.config.bus
    await bus.ensureTopics(pipelineTopics(platform.config.bus))
    const event = { schema: 'circular.device-status/v1' as const, deviceId: 'bin-1', tenant: 'city', site: 'north', at: receivedAt, connection: 'offline' as const, reason: 'connection_lost' as const, detail: 'keep alive timeout', session: 'b1:bin-1:1' }
    await ingest.connectionEvent(event)
    const [told, ...others] = await bus.readAll(topics.deviceStatus)
    expect(others).toEqual([])
    expect(told).toMatchObject({ key: 'bin-1', headers: { [header.tenant]: 'city', [header.site]: 'north', [header.device]: 'bin-1' } })
    expect(JSON.parse(told!.value.toString('utf8'))).toEqual(event)
    expect(await bus.readAll(topics.raw)).toEqual([])
    expect(ingest.counters.snapshot()).toEqual({ received: 0, accepted: 0, deadLettered: 0, connectionEvents: 1 })
  })
})
