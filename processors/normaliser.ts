import type { Bus, BatchContext, Consumption, IncomingRecord, OutgoingRecord } from '../core/bus/bus.js'
import { header, pipelineTopics } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import type { Logger } from '../core/logger.js'
import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { parseTelemetryTopic } from '../ingest/topic-scheme.js'
import { meterTypeForKind } from '../models/catalogue.js'
import { decodePayload } from '../models/decode.js'
import type { DecodeResult, Rejection } from '../models/decoding.js'
import { decodeDeviceStatus } from '../models/device-status.js'
import { recordFormat, type PayloadFormat, type ReadingEnvelope } from '../models/reading.js'
import type { MeterType } from '../models/vocabulary.js'
import { groupIds } from './group-ids.js'
import { recordBytes } from '../core/bus/record-size.js'
import { deadLetterRecord } from './dead-letter.js'
import { readingsRecordValues } from './readings-records.js'
import { poisonGuarded } from './poison-records.js'

export const normaliserCounterNames = ['received', 'accepted', 'deadLettered', 'readings', 'rejectedAttributes'] as const
export type NormaliserCounters = Counters<(typeof normaliserCounterNames)[number]>

export interface NormaliserDeps {
  readonly config: Config
  readonly bus: Bus
  readonly registry: DeviceRegistry
  readonly logger: Logger
}

const stage = 'normaliser'

/**
 * Turns raw device payloads into canonical readings. Every raw record yields a readings record,
 * a dead-letter record, or both (when only some attributes were wrong); both are acknowledged by
 * the bus before the raw record's offset is committed. Nothing it receives can stop it: decoding
 * errors become dead letters, and only a failing bus makes the batch come round again.
 */
export class Normaliser {
  readonly counters: NormaliserCounters = new Counters(stage, normaliserCounterNames)

  constructor(private readonly deps: NormaliserDeps) {}

  async start(groupId = groupIds.normaliser(this.deps.config.bus.groupPrefix)): Promise<Consumption> {
    const { bus, config } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus))
    // Stateless per record, so the partitions' batches may overlap.
    return bus.consume({ groupId, topics: [config.bus.topics.raw], partitionsInParallel: config.bus.partitions, handleBatch: poisonGuarded((records, context) => this.handleBatch(records, context), this.deps, stage) })
  }

  async handleBatch(records: readonly IncomingRecord[], _context: BatchContext): Promise<void> {
    const out: OutgoingRecord[] = []
    let accepted = 0
    let deadLettered = 0
    let readings = 0
    let rejectedAttributes = 0
    const { topics, maxRecordBytes } = this.deps.config.bus
    for (const record of records) {
      const normalised = this.normalise(record)
      const { envelope } = normalised
      let reasons = normalised.reasons
      if (envelope) {
        const room = maxRecordBytes - recordBytes({ topic: topics.readings, key: envelope.deviceId, value: Buffer.alloc(0), headers: record.headers })
        const { values, tooLarge } = readingsRecordValues(envelope, room)
        for (const value of values) out.push({ topic: topics.readings, key: envelope.deviceId, value, headers: record.headers })
        if (values.length > 0) accepted++
        readings += envelope.readings.length - tooLarge.length
        if (tooLarge.length > 0) reasons = [...reasons, ...tooLarge.map((r) => ({ code: 'RECORD_TOO_LARGE' as const, message: `the reading of ${r.attribute} at ${new Date(r.time).toISOString()} alone is larger than a readings record may be (${room} bytes)`, attribute: r.attribute }))]
      }
      if (reasons.length > 0) {
        out.push(deadLetterRecord(topics.deadLetter, stage, record, reasons, maxRecordBytes))
        deadLettered++
        rejectedAttributes += reasons.length
      }
    }
    await this.deps.bus.publish(out)
    this.counters.add('received', records.length)
    this.counters.add('accepted', accepted)
    this.counters.add('deadLettered', deadLettered)
    this.counters.add('readings', readings)
    this.counters.add('rejectedAttributes', rejectedAttributes)
  }

  /** One raw record → canonical envelope and/or the reasons for refusing (parts of) it. */
  normalise(record: IncomingRecord): { envelope?: ReadingEnvelope; reasons: Rejection[] } {
    const deviceId = record.headers[header.device]
    const receivedAt = Number(record.headers[header.receivedAt])
    const format = recordFormat.safeParse(record.headers[header.format])
    if (!deviceId || !Number.isFinite(receivedAt) || !format.success) {
      return { reasons: [{ code: 'RECORD_INVALID', message: `raw record lacks a valid ${header.device}, ${header.receivedAt} or ${header.format} header` }] }
    }
    const device = this.lookUp(deviceId)
    if (!device) return { reasons: [{ code: 'DEVICE_UNKNOWN', message: `device "${deviceId}" is not registered` }] }
    const meterType = device.meterType ?? meterTypeForKind(device.kind)
    let result: DecodeResult
    try {
      result = format.data === 'device-status' ? decodeDeviceStatus(record.value, receivedAt) : this.decode(record, device, format.data, meterType, receivedAt)
    } catch (error) {
      this.deps.logger.error({ err: error, deviceId }, 'decoder threw; record goes to the dead-letter topic')
      return { reasons: [{ code: 'DECODER_FAILED', message: `decoding failed: ${(error as Error).message}` }] }
    }
    if (device.entityId !== undefined && result.entityId !== undefined && result.entityId !== device.entityId) {
      return { reasons: [{ code: 'DEVICE_MISMATCH', message: `payload is about entity "${result.entityId}", but device "${deviceId}" reports for "${device.entityId}"` }] }
    }
    if (result.readings.length === 0) {
      const reasons = result.rejections.length > 0 ? result.rejections : [{ code: 'ENTITY_INVALID' as const, message: 'payload holds no readings' }]
      return { reasons }
    }
    const envelope: ReadingEnvelope = {
      schema: 'circular.readings/v1',
      tenant: device.tenant,
      site: device.site,
      deviceId,
      kind: device.kind,
      format: result.format === 'unknown' ? format.data : result.format,
      ...(result.entityType !== undefined ? { entityType: result.entityType } : {}),
      ...(result.entityId !== undefined ? { entityId: result.entityId } : {}),
      receivedAt,
      source: { topic: record.topic, partition: record.partition, offset: record.offset },
      readings: result.readings,
      ...enrichment(device, meterType),
    }
    return { envelope, reasons: result.rejections }
  }

  private decode(record: IncomingRecord, device: Device, format: PayloadFormat, meterType: MeterType | undefined, receivedAt: number): DecodeResult {
    const mqttTopic = record.headers[header.mqttTopic] ?? ''
    // Ingest puts the registered format in the header where the topic names none; the decoder
    // looks at the content before falling back to it (data-models §8.1).
    const topicNamesNoFormat = parseTelemetryTopic(mqttTopic)?.format === 'auto'
    return decodePayload(record.value, {
      deviceId: device.id,
      kind: device.kind,
      format: topicNamesNoFormat ? 'auto' : format,
      ...(topicNamesNoFormat ? { registeredFormat: format } : {}),
      ...(meterType !== undefined ? { meterType } : {}),
      topic: mqttTopic,
      receivedAt,
      maxFutureSkewMs: this.deps.config.normaliser.maxFutureSkewMs,
    })
  }

  private lookUp(deviceId: string): Device | undefined {
    return this.deps.registry.get(deviceId)
  }
}

/** What the registry knows about a device that processors downstream need; only what is set. */
function enrichment(device: Device, meterType: ReadingEnvelope['meterType']): Partial<ReadingEnvelope> {
  return {
    ...(device.location !== undefined ? { location: device.location } : {}),
    ...(device.wasteFraction !== undefined ? { fraction: device.wasteFraction } : {}),
    ...(device.containerVolumeM3 !== undefined ? { containerVolumeM3: device.containerVolumeM3 } : {}),
    ...(device.containerType !== undefined ? { containerType: device.containerType } : {}),
    ...(device.fullnessThreshold !== undefined ? { fullnessThreshold: device.fullnessThreshold } : {}),
    ...(meterType !== undefined ? { meterType } : {}),
  }
}
