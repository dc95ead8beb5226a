import { Kafka, Partitioners, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer, type Message, type LogEntry } from 'kafkajs'
import { copartitionedAssigner } from './copartitioned-assigner.js'
import type { Config } from '../config.js'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../logger.js'
import type { Bus, ConsumeOptions, Consumption, IncomingRecord, OutgoingRecord, TopicSpec } from './bus.js'
import { kafkaSecurity } from './kafka-security.js'
import { Batcher } from './publish-batcher.js'
import { assertRecordsFit, defaultMaxRecordBytes, recordBytes } from './record-size.js'

export interface KafkaBusOptions {
  /** Largest record the bus takes (key, value and headers); larger ones are refused before producing. */
  readonly maxRecordBytes?: number
}

/** The bus on Apache Kafka through kafkajs, producing with acks=all and committing after handling. */
export class KafkaBus implements Bus {
  private readonly kafka: Kafka
  private producer: Producer | undefined
  private producerReady: Promise<Producer> | undefined
  private readonly batcher: Batcher<OutgoingRecord>
  private readonly consumers = new Set<Consumer>()

  private readonly maxRecordBytes: number

  constructor(
    private readonly config: Config['kafka'],
    private readonly logger: Logger,
    options: KafkaBusOptions = {},
  ) {
    this.maxRecordBytes = options.maxRecordBytes ?? defaultMaxRecordBytes
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafka(entry),
      ...kafkaSecurity(config),
    })
    this.batcher = new Batcher((records) => this.send(records), { maxItems: config.batchMax, lingerMs: config.lingerMs })
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    assertRecordsFit(records, this.maxRecordBytes)
    return this.batcher.add(records)
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    if (options.startAt === 'latest') await this.pinStartAtEnd(options.groupId, options.topics)
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.config.sessionTimeoutMs / 10)),
      minBytes: this.config.fetchMinBytes,
      maxWaitTimeInMs: this.config.fetchMaxWaitMs,
      // A handler error must never stop consumption for good: restart and redeliver.
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10, restartOnFailure: async () => true },
      ...(options.copartitioned ? { partitionAssigners: [copartitionedAssigner] } : {}),
    })
    this.consumers.add(consumer)
    if (options.onAssignment) consumer.on(consumer.events.GROUP_JOIN, () => options.onAssignment!())
    await consumer.connect()
    // Only for partitions the group has committed nothing on: a committed offset always wins.
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.startAt !== 'latest' })
    let stopping = false
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsInParallel ?? 1,
      eachBatch: async (payload) => {
        if (payload.batch.messages.length === 0 || payload.isStale()) return
        await this.handle(consumer, payload, options, () => !stopping && payload.isRunning() && !payload.isStale())
      },
    })
    return {
      stop: async () => {
        stopping = true
        await consumer.disconnect()
        this.consumers.delete(consumer)
      },
    }
  }

  /**
   * Commits the end of every partition the group has committed nothing on, so that where a
   * `latest` group starts is fixed the first time it starts, as on the embedded bus: a partition
   * it has read nothing from yet would otherwise start at its end again after every restart and
   * skip what came while the group was away. Kafka lets only a group without live members be
   * given offsets; with one running, that member has pinned them already.
   */
  private async pinStartAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin()
    await admin.connect()
    try {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
        const uncommitted = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition))
        if (uncommitted.size === 0) continue
        const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => uncommitted.has(p.partition)).map((p) => ({ partition: p.partition, offset: p.high }))
        try {
          await admin.setOffsets({ groupId, topic, partitions: ends })
        } catch (error) {
          this.logger.debug({ err: error, groupId, topic }, 'group has live members; its start is theirs')
        }
      }
    } finally {
      await admin.disconnect()
    }
  }

  async readAll(topic: string): Promise<IncomingRecord[]> {
    const admin = this.kafka.admin()
    await admin.connect()
    let offsets: { partition: number; high: string; low: string }[]
    try {
      offsets = await admin.fetchTopicOffsets(topic)
    } finally {
      await admin.disconnect()
    }
    const ends = new Map(offsets.map((p) => [p.partition, BigInt(p.high)]))
    // A partition whose records were all deleted (low = high) has nothing to wait for.
    const pending = new Set(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => p.partition))
    if (pending.size === 0) return []
    // A throwaway group that never commits: it only reads what is there now.
    const consumer = this.kafka.consumer({ groupId: `${this.config.clientId}-read-${topic}-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false })
    const records: IncomingRecord[] = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error))
        void consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break
              records.push(toIncoming(batch.topic, batch.partition, m))
            }
            if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition)
            if (pending.size === 0) resolve()
          },
        })
      })
    } finally {
      await consumer.disconnect()
    }
    return records
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin()
    await admin.connect()
    try {
      const existing = new Set(await admin.listTopics())
      const missing = specs.filter((s) => !existing.has(s.topic))
      if (missing.length === 0) return
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: this.config.replicationFactor,
          // Room for the largest record the bus lets through, in a batch of its own.
          configEntries: [{ name: 'max.message.bytes', value: String(this.maxRecordBytes + topicBatchOverheadBytes) }, ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [])],
        })),
      })
    } finally {
      await admin.disconnect()
    }
  }

  async lag(groupId: string, topics: readonly string[]): Promise<{ topic: string; partition: number; lag: number }[]> {
    const admin = this.kafka.admin()
    await admin.connect()
    try {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] })
      const lags: { topic: string; partition: number; lag: number }[] = []
      for (const { topic, partitions } of committed) {
        const offsetOf = new Map(partitions.map((p) => [p.partition, p.offset]))
        for (const end of await admin.fetchTopicOffsets(topic)) {
          const offset = offsetOf.get(end.partition)
          // "-1": nothing committed; the group would start at the partition's first record.
          const from = offset === undefined || offset === '-1' ? BigInt(end.low) : BigInt(offset)
          const lag = BigInt(end.high) - from
          lags.push({ topic, partition: end.partition, lag: lag > 0n ? Number(lag) : 0 })
        }
      }
      return lags
    } catch (error) {
      throw new PlatformError('KAFKA_UNAVAILABLE', `cannot read the lag of group ${groupId}: ${(error as Error).message}`, {}, { cause: error })
    } finally {
      await admin.disconnect()
    }
  }

  async ping(): Promise<boolean> {
    const admin = this.kafka.admin({ retry: { retries: 0 } })
    try {
      await admin.connect()
      await admin.describeCluster()
      return true
    } catch {
      return false
    } finally {
      await admin.disconnect().catch(() => undefined)
    }
  }

  async close(): Promise<void> {
    await this.batcher.drain()
    await Promise.all([...this.consumers].map((c) => c.disconnect()))
    this.consumers.clear()
    if (this.producer) await this.producer.disconnect()
  }

  private async handle(consumer: Consumer, payload: EachBatchPayload, options: ConsumeOptions, isActive: () => boolean): Promise<void> {
    const { batch } = payload
    const records = batch.messages.map((m) => toIncoming(batch.topic, batch.partition, m))
    await options.handleBatch(records, { heartbeat: () => payload.heartbeat(), isActive })
    const last = batch.lastOffset()
    // The committed offset is the next one to read (Kafka convention), hence last + 1.
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
    payload.resolveOffset(last)
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    const producer = await this.connectedProducer()
    // One request after the other, so that records of one key keep their order.
    for (const chunk of chunksByBytes(records, requestBytesMax)) {
      const byTopic = new Map<string, Message[]>()
      for (const r of chunk) {
        let messages = byTopic.get(r.topic)
        if (!messages) byTopic.set(r.topic, (messages = []))
        messages.push({ key: r.key, value: r.value, headers: r.headers })
      }
      try {
        await producer.sendBatch({ acks: -1, timeout: 30_000, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      } catch (error) {
        throw new PlatformError('KAFKA_UNAVAILABLE', `Kafka did not acknowledge ${chunk.length} of ${records.length} record(s): ${(error as Error).message}`, {}, { cause: error })
      }
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer)
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
      try {
        await producer.connect()
      } catch (error) {
        this.producerReady = undefined
        throw new PlatformError('KAFKA_UNAVAILABLE', `cannot connect to Kafka: ${(error as Error).message}`, {}, { cause: error })
      }
      this.producer = producer
      return producer
    })()
    return this.producerReady
  }

  private logKafka({ level, log }: LogEntry): void {
    const { message, ...rest } = log
    if (level <= logLevel.ERROR) this.logger.error({ kafka: rest }, message)
    else if (level === logLevel.WARN) this.logger.warn({ kafka: rest }, message)
    else this.logger.debug({ kafka: rest }, message)
  }
}

/**
 * Most record bytes per produce request. kafkajs puts a request's records for one partition into
 * one record batch, and Kafka refuses a batch above `message.max.bytes` (1 MiB by default) for
 * good; the normaliser's output for one full fetch (about 1 MiB of raw payloads per partition,
 * each turned into a larger envelope) would exceed it and be retried forever.
 */
const requestBytesMax = 768 * 1024

/** A record batch's header and the estimate's slack, on top of its records (Kafka's default limit is 1 MiB + 12). */
const topicBatchOverheadBytes = 64 * 1024

/** Splits records into runs of at most `maxBytes` (estimated; a larger record travels alone). */
export function chunksByBytes<T extends OutgoingRecord>(records: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const r of records) {
    const size = recordBytes(r)
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(r)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}


function toIncoming(topic: string, partition: number, m: KafkaMessage): IncomingRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key?.toString('utf8') ?? '',
    value: m.value ?? Buffer.alloc(0),
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  }
}

function decodeHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const single = Array.isArray(value) ? value[value.length - 1] : value
    if (single !== undefined) out[name] = single.toString()
  }
  return out
}
