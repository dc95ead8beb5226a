import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { header, pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import type { Device } from '../../core/registry/device.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { Ingest } from '../../ingest/ingest.js'
import type { ReadingEnvelope } from '../../models/reading.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { Normaliser } from '../../processors/normaliser.js'
import { readingsIdentity } from '../../processors/reading-identity.js'
import { byPartition, embeddedPlatform, json, quietLogger, runningContext, totalLag, type EmbeddedPlatform } from '../support/embedded.js'
import { registerDevice, waitFor } from '../support/pipeline.js'

/** The normaliser's batches on the embedded bus: raw records in, readings and dead letters out, offsets committed after both. */
describe('normaliser on the embedded bus', () => {
  let platform: EmbeddedPlatform
  let config: Config
  let bus: EmbeddedBus
  let ingest: Ingest
  let bin: Device
  const group = (): string => `${config.bus.groupPrefix}-normaliser`
  const observedAt = (): string => new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString()
  const normaliser = (): Normaliser => new Normaliser({ config, bus, registry: new FileRegistry(config.registryFile), logger: quietLogger })
  const accept = (payload: string, mqttTopic = 'devices/bin-7/ngsi-ld', device: Device = bin): Promise<void> =>
    ingest.accept({ device, mqttTopic, format: mqttTopic.endsWith('/senml') ? 'senml' : 'ngsi-ld', payload: Buffer.from(payload), receivedAt: Date.now() })
  const fill = (value: number): string => JSON.stringify({ id: 'urn:ngsi-ld:WasteContainer:bin-7', type: 'WasteContainer', fillingLevel: { type: 'Property', value, observedAt: observedAt() } })
  const readings = async (): Promise<IncomingRecord[]> => bus.readAll(config.bus.topics.readings)
  const deadLetters = async (): Promise<IncomingRecord[]> => bus.readAll(config.bus.topics.deadLetter)
  const drained = (what: string) => waitFor(async () => (await totalLag(bus, group(), [config.bus.topics.raw])) === 0, 15_000, what)

  beforeEach(async () => {
    platform = embeddedPlatform()
    config = platform.config
    bin = (await registerDevice(config, { id: 'bin-7', kind: 'waste_container' })).device
    bus = platform.openBus()
    ingest = new Ingest(bus, config.bus.topics)
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('each raw record should yield a readings record, a dead letter with its code and reason, or both when only some attributes are wrong', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    const stranger: Device = { ...bin, id: 'bin-stranger' }
    const cases = [
      { payload: fill(0.25), readings: 1 },
      { payload: '{"id": "urn:ngsi-ld:WasteContainer:bin-7", "type": ', code: 'PAYLOAD_MALFORMED' },
      { payload: JSON.stringify([{ bn: 'urn:dev:bin-7:', n: 'cargoWeight', u: 'furlong', v: 3 }]), topic: 'devices/bin-7/senml', code: 'UNIT_UNKNOWN', attribute: 'cargoWeight' },
      {
        payload: JSON.stringify([{ bn: 'urn:dev:bin-7:', bt: Date.now() / 1000 - 60, n: 'temperature', u: 'Cel', v: 21.5 }, { n: 'cargoWeight', u: 'furlong', v: 3 }]),
        topic: 'devices/bin-7/senml',
        readings: 1,
        code: 'UNIT_UNKNOWN',
        attribute: 'cargoWeight',
      },
      { payload: fill(0.5), device: stranger, topic: 'devices/bin-stranger/ngsi-ld', code: 'DEVICE_UNKNOWN' },
    ]
    for (const c of cases) await accept(c.payload, c.topic, c.device)
    // A record on the raw topic that did not come through ingest: no device, format or arrival headers.
    const headerless = fill(0.3)
    await bus.publish([{ topic: config.bus.topics.raw, key: 'bin-7', value: Buffer.from(headerless), headers: {} }])
    const raw = await bus.readAll(config.bus.topics.raw)

    const n = normaliser()
    const consumption = await n.start()
    await drained('the raw records to be committed')
    await consumption.stop()

    const out = await readings()
    expect(out).toHaveLength(2)
    const envelopes = out.map((r) => json<ReadingEnvelope>(r))
    expect(envelopes[0]).toMatchObject({ schema: 'circular.readings/v1', tenant: 'testcity', site: 'depot-1', deviceId: 'bin-7', kind: 'waste_container', format: 'ngsi-ld', readings: [{ field: 'filling_level', value: 0.25 }] })
    expect(envelopes[1]!.readings.map((r) => [r.field, r.value])).toEqual([['temperature_c', 21.5]])
    // Each envelope names the raw record it came from, and keeps its key and headers.
    for (const [i, payload] of [cases[0]!.payload, cases[3]!.payload].entries()) {
      const source = raw.find((r) => r.value.toString() === payload)!
      expect(envelopes[i]!.source).toEqual({ topic: config.bus.topics.raw, partition: source.partition, offset: source.offset })
      expect(out[i]!.key).toBe('bin-7')
      expect(out[i]!.headers).toEqual(source.headers)
    }

    const refused = await deadLetters()
    expect(refused).toHaveLength(5)
    const expected = [...cases.filter((c) => c.code !== undefined), { payload: headerless, code: 'RECORD_INVALID', attribute: undefined }]
    for (const c of expected) {
      const letter = refused.find((r) => r.value.toString() === c.payload)
      expect(letter, `dead letter for ${c.code}`).toBeDefined()
      const source = raw.find((r) => r.value.toString() === c.payload)!
      expect(letter!.headers).toMatchObject({
        [header.dlqStage]: 'normaliser',
        [header.dlqCode]: c.code,
        [header.dlqSourceTopic]: config.bus.topics.raw,
        [header.dlqSourcePartition]: String(source.partition),
        [header.dlqSourceOffset]: source.offset,
      })
      const [reason] = deadLetterReasons(letter!.headers)
      expect(reason!.code).toBe(c.code)
      expect(reason!.message.length).toBeGreaterThan(5)
      if (c.attribute) expect(reason!.attribute).toBe(c.attribute)
    }
    expect(n.counters.snapshot()).toEqual({ received: 6, accepted: 2, deadLettered: 5, readings: 2, rejectedAttributes: 5 })
  })

  test('a batch whose outputs the bus refuses should not be committed, and should come again, once, when the bus takes them', async () => {
    // Everything but the dead-letter topic: publishing the batch's outputs fails as a whole.
    await bus.ensureTopics(pipelineTopics(config.bus).filter((t) => t.topic !== config.bus.topics.deadLetter))
    await accept(fill(0.4))
    await accept('not json at all')
    const n = normaliser()
    // The consumption `start()` sets up, without its creating the missing topic.
    const consumption = await bus.consume({ groupId: group(), topics: [config.bus.topics.raw], handleBatch: (records, context) => n.handleBatch(records, context) })
    try {
      await new Promise((resolve) => setTimeout(resolve, 800))
      expect(await readings()).toHaveLength(0)
      expect(await totalLag(bus, group(), [config.bus.topics.raw])).toBe(2)
      expect(n.counters.get('received')).toBe(0)

      await bus.ensureTopics(pipelineTopics(config.bus))
      await drained('the batch to be handled once the dead-letter topic exists')
    } finally {
      await consumption.stop()
    }
    expect(await readings()).toHaveLength(1)
    expect((await deadLetters()).map((r) => r.headers[header.dlqCode])).toEqual(['PAYLOAD_MALFORMED'])
    expect(n.counters.get('received')).toBe(2)
  })

  test('a normaliser restarted on the same bus file should take up after the last committed record: nothing normalised twice, nothing left out', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    for (let i = 0; i < 5; i++) await accept(fill(i / 10))
    const first = await normaliser().start()
    await drained('the first five records')
    await first.stop()
    await bus.close()

    bus = platform.openBus()
    ingest = new Ingest(bus, config.bus.topics)
    for (let i = 5; i < 8; i++) await accept(fill(i / 10))
    const restarted = normaliser()
    const second = await restarted.start()
    await drained('the three records published while it was down')
    await second.stop()

    expect(restarted.counters.get('received')).toBe(3)
    const sources = (await readings()).map((r) => json<ReadingEnvelope>(r).source.offset)
    const raw = await bus.readAll(config.bus.topics.raw)
    expect(sources.sort()).toEqual(raw.map((r) => r.offset).sort())
    expect(new Set(sources).size).toBe(8)
  })

  test('records handled but not committed before a crash should be normalised again into the same envelopes, which downstream recognises as repeats', async () => {
    await bus.ensureTopics(pipelineTopics(config.bus))
    await accept(fill(0.6))
    await accept(fill(0.7))
    // The crashed run: outputs published, offsets never committed.
    for (const batch of byPartition(await bus.readAll(config.bus.topics.raw))) await normaliser().handleBatch(batch, runningContext)
    expect(await readings()).toHaveLength(2)

    const consumption = await normaliser().start()
    await drained('the uncommitted records to be handled again')
    await consumption.stop()

    const envelopes = (await readings()).map((r) => json<ReadingEnvelope>(r))
    expect(envelopes).toHaveLength(4)
    const identities = envelopes.map((e) => `${e.source.offset}:${readingsIdentity(e)}`)
    expect(identities.slice(2)).toEqual(identities.slice(0, 2))
  })
})

describe('normaliser and the largest record the bus takes', () => {
  let platform: EmbeddedPlatform

  afterEach(async () => {
    await platform.cleanup()
  })

  test('a pack whose envelope would outgrow a bus record should reach the readings topic whole, split over records that each fit, the same ones when resent', async () => {
    platform = embeddedPlatform({ BUS_MAX_RECORD_BYTES: '200000', MQTT_MAX_PAYLOAD_BYTES: '150000' })
    const { config } = platform
    const gateway = (await registerDevice(config, { id: 'gw-1', kind: 'waste_container' })).device
    const bus = platform.openBus()
    await bus.ensureTopics(pipelineTopics(config.bus))
    const ingest = new Ingest(bus, config.bus.topics)
    const t0 = Math.floor(Date.now() / 1000) - 3600
    const count = 2500
    const pack = JSON.stringify(Array.from({ length: count }, (_, i) => (i === 0 ? { bn: 'urn:dev:gw-1:', bt: t0, n: 'temperature', u: 'Cel', v: 20, t: 0 } : { n: 'temperature', u: 'Cel', v: 20 + (i % 50) / 10, t: i })))
    expect(Buffer.byteLength(pack)).toBeLessThan(150_000)
    const send = () => ingest.accept({ device: gateway, mqttTopic: 'devices/gw-1/senml', format: 'senml', payload: Buffer.from(pack), receivedAt: Date.now() })
    await send()

    const normaliser = new Normaliser({ config, bus, registry: new FileRegistry(config.registryFile), logger: quietLogger })
    const group = `${config.bus.groupPrefix}-normaliser`
    const consumption = await normaliser.start()
    await waitFor(async () => (await totalLag(bus, group, [config.bus.topics.raw])) === 0, 15_000, 'the pack to be normalised')

    const first = await bus.readAll(config.bus.topics.readings)
    expect(first.length).toBeGreaterThan(1)
    for (const r of first) expect(r.value.length + 24 + r.key.length, 'value and overhead within the limit').toBeLessThanOrEqual(config.bus.maxRecordBytes)
    const envelopes = first.map((r) => json<ReadingEnvelope>(r))
    expect(envelopes.flatMap((e) => e.readings.map((r) => r.time))).toEqual(Array.from({ length: count }, (_, i) => (t0 + i) * 1000))
    for (const e of envelopes) expect(e).toMatchObject({ deviceId: 'gw-1', tenant: 'testcity', source: envelopes[0]!.source })
    expect(await bus.readAll(config.bus.topics.deadLetter)).toEqual([])
    expect(normaliser.counters.snapshot()).toMatchObject({ received: 1, accepted: 1, deadLettered: 0, readings: count })

    // The device sends the pack again: the same records, so that a repeat is recognised downstream.
    await send()
    await waitFor(async () => (await bus.readAll(config.bus.topics.readings)).length === 2 * first.length, 15_000, 'the resent pack to be normalised')
    await consumption.stop()
    const again = (await bus.readAll(config.bus.topics.readings)).slice(first.length)
    expect(again.map((r) => readingsIdentity(json<ReadingEnvelope>(r)))).toEqual(envelopes.map((e) => readingsIdentity(e)))
  })
})
