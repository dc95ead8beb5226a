import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../core/config.js'

export interface BenchIds {
  readonly runId: string
  /** Kafka topics of the run all start with this, so they can be found and deleted. */
  readonly topicPrefix: string
  readonly groupPrefix: string
  readonly database: string
}

export function benchIds(): BenchIds {
  const runId = randomBytes(3).toString('hex')
  return { runId, topicPrefix: `bench.${runId}.`, groupPrefix: `bench-${runId}`, database: `bench_${runId}` }
}

export const kafkaBrokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`
export const influxUrl = process.env.INFLUX_URL ?? `http://127.0.0.1:${process.env.INFLUX_PORT ?? '8086'}`

/**
 * The environment of every pipeline process of the run: its own topics, database, registry and
 * consumer groups, so that it neither sees nor disturbs anyone else using the shared services.
 * Producer batching (KAFKA_LINGER_MS, KAFKA_BATCH_MAX) and SINK_BATCH_MAX pass through from the
 * caller's environment, so they can be varied from the command line.
 */
export function pipelineEnv(ids: BenchIds, registryFile: string, stateDir: string): Record<string, string> {
  const t = ids.topicPrefix
  return {
    CIRCULAR_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    CIRCULAR_STATE_DIR: stateDir,
    REGISTRY_FILE: registryFile,
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_CLIENT_ID: ids.groupPrefix,
    // Consumer groups of their own: pipelines with other topics in the same group would stall each other.
    KAFKA_GROUP_PREFIX: ids.groupPrefix,
    // A member that died without leaving blocks deleting its group until the session times out.
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    TOPIC_RAW: `${t}raw`,
    TOPIC_READINGS: `${t}readings`,
    TOPIC_DEADLETTER: `${t}deadletter`,
    TOPIC_FOOTPRINT_POINTS: `${t}footprint-points`,
    TOPIC_FOOTPRINT_STATE: `${t}footprint-state`,
    TOPIC_DEVICES: `${t}devices`,
    TOPIC_DEVICE_STATUS: `${t}device-status`,
    TOPIC_DEVICE_COMMANDS: `${t}device-commands`,
    INFLUX_URL: influxUrl,
    INFLUX_DB: ids.database,
  }
}

/**
 * Batching settings in effect for the run: the platform's defaults unless overridden in the
 * environment. The sink's default batch depends on the store, so say which one the run used.
 */
export function batchSettings(store: 'influxdb' | 'embedded' = 'influxdb'): { lingerMs: number; kafkaBatchMax: number; fetchMinBytes: number; fetchMaxWaitMs: number; sinkBatchMax: number; partitions: number } {
  const names = ['KAFKA_LINGER_MS', 'KAFKA_BATCH_MAX', 'KAFKA_FETCH_MIN_BYTES', 'KAFKA_FETCH_MAX_WAIT_MS', 'SINK_BATCH_MAX', 'KAFKA_TOPIC_PARTITIONS']
  const config = loadConfig({ ...Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]])), ...(store === 'influxdb' ? { INFLUX_URL: influxUrl } : {}) })
  return {
    lingerMs: config.kafka.lingerMs,
    kafkaBatchMax: config.kafka.batchMax,
    fetchMinBytes: config.kafka.fetchMinBytes,
    fetchMaxWaitMs: config.kafka.fetchMaxWaitMs,
    sinkBatchMax: config.sink.batchMax,
    partitions: config.bus.partitions,
  }
}
