import type { Config } from '../config.js'
import type { TopicSpec } from './bus.js'

/**
 * The topics the pipeline needs, created at start-up by whichever component starts first; the
 * alert topics when the component works with alerts.
 */
export function pipelineTopics(kafka: Config['kafka'], alerts?: Config['alerts']): TopicSpec[] {
  return [
    { topic: kafka.topics.raw, partitions: kafka.partitions },
    { topic: kafka.topics.readings, partitions: kafka.partitions },
    { topic: kafka.topics.deadLetter, partitions: kafka.partitions },
    { topic: kafka.topics.footprintPoints, partitions: kafka.partitions },
    { topic: kafka.topics.footprintState, partitions: kafka.partitions, compacted: true },
    ...(alerts
      ? [
          { topic: alerts.topics.events, partitions: kafka.partitions },
          { topic: alerts.topics.state, partitions: kafka.partitions, compacted: true },
          { topic: alerts.topics.commands, partitions: kafka.partitions },
          { topic: alerts.topics.siteFlows, partitions: kafka.partitions },
          { topic: alerts.topics.deliveries, partitions: kafka.partitions, compacted: true },
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
} as const
