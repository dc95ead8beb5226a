import type { Config } from '../config.js'
import type { TopicSpec } from './bus.js'

/**
 * The topics the pipeline needs, created at start-up by whichever component starts first; the
 * alert topics when the component works with alerts.
 */
export function pipelineTopics(bus: Pick<Config['bus'], 'topics' | 'partitions'>, alerts?: Config['alerts']): TopicSpec[] {
  return [
    { topic: bus.topics.raw, partitions: bus.partitions },
    { topic: bus.topics.readings, partitions: bus.partitions },
    { topic: bus.topics.deadLetter, partitions: bus.partitions },
    { topic: bus.topics.footprintPoints, partitions: bus.partitions },
    { topic: bus.topics.footprintState, partitions: bus.partitions, compacted: true },
    { topic: bus.topics.devices, partitions: bus.partitions, compacted: true },
    { topic: bus.topics.deviceStatus, partitions: bus.partitions },
    { topic: bus.topics.deviceCommands, partitions: bus.partitions },
    ...(alerts
      ? [
          { topic: alerts.topics.events, partitions: bus.partitions },
          { topic: alerts.topics.state, partitions: bus.partitions, compacted: true },
          { topic: alerts.topics.commands, partitions: bus.partitions },
          { topic: alerts.topics.siteFlows, partitions: bus.partitions },
          { topic: alerts.topics.deliveries, partitions: bus.partitions, compacted: true },
        ]
      : []),
  ]
}

/** Header names on pipeline records; one place so producers and consumers cannot drift. */
export const header = {
  tenant: 'tenant',
  site: 'site',
  device: 'device',
  format: 'format',
  mqttTopic: 'mqtt-topic',
  receivedAt: 'received-at',
  /** Dead-letter records: which component refused the record, and why (JSON list of reasons). */
  dlqStage: 'dlq-stage',
  dlqCode: 'dlq-code',
  dlqReasons: 'dlq-reasons',
  dlqSourceTopic: 'dlq-source-topic',
  dlqSourcePartition: 'dlq-source-partition',
  dlqSourceOffset: 'dlq-source-offset',
  /** Set when the dead letter's value is cut to fit the bus: the whole value's length. */
  dlqValueBytes: 'dlq-value-bytes',
} as const
