import type { Bus, OutgoingRecord } from '../core/bus/bus.js'
import { header } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import type { ErrorCode } from '../models/errors.js'
import type { Device } from '../core/registry/device.js'
import type { ConnectionEvent } from '../models/device-status.js'
import { commandRecord, type CommandEvent } from '../core/commands/device-command.js'
import type { RecordFormat } from '../models/reading.js'

export const ingestCounterNames = ['received', 'accepted', 'deadLettered', 'connectionEvents'] as const
export type IngestCounters = Counters<(typeof ingestCounterNames)[number]>

export interface AcceptedMessage {
  readonly device: Device
  readonly mqttTopic: string
  /** The format the topic names; `auto` falls back to the device's registered format. */
  readonly format: RecordFormat
  readonly payload: Buffer
  readonly receivedAt: number
}

export interface RefusedMessage {
  readonly deviceId: string
  readonly mqttTopic: string
  readonly payload: Buffer
  readonly receivedAt: number
  readonly code: ErrorCode
  readonly reason: string
}

/**
 * Hands MQTT messages to the bus. The promise resolves only once the bus has acknowledged the
 * record durably (acks=all on Kafka); callers send the MQTT acknowledgement after that and not
 * before.
 */
export class Ingest {
  readonly counters: IngestCounters = new Counters('ingest', ingestCounterNames)

  constructor(
    private readonly bus: Bus,
    private readonly topics: Config['bus']['topics'],
  ) {}

  async accept(message: AcceptedMessage): Promise<void> {
    this.counters.add('received')
    const format = message.format === 'auto' ? message.device.format : message.format
    await this.bus.publish([rawRecord(this.topics.raw, message, format)])
    this.counters.add('accepted')
  }

  /**
   * A device's session began or ended, as the broker saw it: a record on the device status topic,
   * keyed by the device, apart from its messages (the raw topic holds what devices sent, one record
   * per acknowledged message). Resolves once the bus holds it.
   */
  async connectionEvent(event: ConnectionEvent): Promise<void> {
    await this.bus.publish([
      {
        topic: this.topics.deviceStatus,
        key: event.deviceId,
        value: Buffer.from(JSON.stringify(event)),
        headers: { [header.tenant]: event.tenant, [header.site]: event.site, [header.device]: event.deviceId },
      },
    ])
    this.counters.add('connectionEvents')
  }

  /** A step of a command to a device (delivered, answered), on the commands topic; resolves once the bus holds it. */
  async commandEvent(event: CommandEvent): Promise<void> {
    await this.bus.publish([commandRecord(this.topics.deviceCommands, event)])
  }

  /** A message the broker or bridge took but cannot attribute (e.g. an unknown device on the bridge). */
  async refuse(message: RefusedMessage): Promise<void> {
    this.counters.add('received')
    const reasons = JSON.stringify([{ code: message.code, message: message.reason }])
    await this.bus.publish([
      {
        topic: this.topics.deadLetter,
        key: message.deviceId,
        value: message.payload,
        headers: {
          [header.device]: message.deviceId,
          [header.mqttTopic]: message.mqttTopic,
          [header.receivedAt]: String(message.receivedAt),
          [header.dlqStage]: 'ingest',
          [header.dlqCode]: message.code,
          [header.dlqReasons]: reasons,
        },
      },
    ])
    this.counters.add('deadLettered')
  }
}

/** The original payload bytes, untouched, keyed by device so one device's messages stay in order. */
function rawRecord(topic: string, message: AcceptedMessage, format: RecordFormat): OutgoingRecord {
  return {
    topic,
    key: message.device.id,
    value: message.payload,
    headers: {
      [header.tenant]: message.device.tenant,
      [header.site]: message.device.site,
      [header.device]: message.device.id,
      [header.format]: format,
      [header.mqttTopic]: message.mqttTopic,
      [header.receivedAt]: String(message.receivedAt),
    },
  }
}
