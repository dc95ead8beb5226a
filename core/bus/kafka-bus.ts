import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  compatibilityPartitioner,
  stringDeserializer,
  stringSerializer,
  type BaseOptions,
  type ClusterMetadata,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka'
import { randomUUID } from 'node:crypto'
import type { Config } from '../config.js'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../logger.js'
import type { Bus, ConsumeOptions, Consumption, FencedWriter, IncomingRecord, OutgoingRecord, PartitionLag, ReadAllOptions, TopicSpec } from './bus.js'
import { copartitionedAssigner, copartitionedProtocol } from './copartitioned-assigner.js'
import { kafkaSecurity } from './kafka-security.js'
import { retry, type RetryPolicy } from '../retry.js'
import { Batcher } from './publish-batcher.js'
import { assertRecordsFit, defaultMaxRecordBytes, recordBytes } from './record-size.js'

export interface KafkaBusOptions {
  /** Largest record the bus takes (key, value and headers); larger ones are refused before producing. */
  readonly maxRecordBytes?: number
}

type KafkaProducer = Producer<string, Buffer, string, string>

type Received = Message<string, Buffer, string, string>

/**
 * The bus on Apache Kafka through @platformatic/kafka (deploy/local/KAFKA_CLIENT.md says why this
 * client), producing with acks=all and committing after handling. Its consumer is a stream of records of every assigned partition; this class
 * cuts it into per-partition batches for the handlers and keeps a failed batch to hand it over
 * again, so that a handler error touches only its own partition and never restarts the consumer.
 */
export class KafkaBus implements Bus {
  private readonly base: BaseOptions
  private producer: KafkaProducer | undefined
  private readonly batcher: Batcher<OutgoingRecord>
  private readonly running = new Set<{ stop(): Promise<void> }>()
  private readonly maxRecordBytes: number

  constructor(
    private readonly config: Config['kafka'],
    private readonly logger: Logger,
    options: KafkaBusOptions = {},
  ) {
    this.maxRecordBytes = options.maxRecordBytes ?? defaultMaxRecordBytes
    this.base = {
      clientId: config.clientId,
      bootstrapBrokers: [...config.brokers],
      connectTimeout: 3000,
      timeout: 30_000,
      retries: 8,
      retryDelay: (_client, _operation, attempt) => Math.min(5000, 200 * 2 ** attempt),
      ...kafkaSecurity(config),
    }
    this.batcher = new Batcher((records) => this.send(records), { maxItems: config.batchMax, lingerMs: config.lingerMs })
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    assertRecordsFit(records, this.maxRecordBytes)
    return this.batcher.add(records)
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    if (options.startAt === 'latest') await this.pinStartAtEnd(options.groupId, options.topics)
    const consumer = new Consumer<string, Buffer, string, string>({
      ...this.base,
      // A consumer outlives Kafka restarts: it keeps retrying instead of giving up.
      retries: true,
      retryDelay: 1000,
      groupId: options.groupId,
      ...(this.config.instanceId ? { groupInstanceId: this.config.instanceId } : {}),
      autocommit: false,
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.config.sessionTimeoutMs / 10)),
      rebalanceTimeout: this.config.sessionTimeoutMs * 2,
      minBytes: this.config.fetchMinBytes,
      maxWaitTime: this.config.fetchMaxWaitMs,
      deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
      ...(options.copartitioned ? { protocols: [{ name: copartitionedProtocol, version: 0 }], partitionAssigner: copartitionedAssigner } : {}),
    })
    const logger = this.logger.child({ group: options.groupId })
    // Stable across restarts where the instance has a name: Kafka then aborts what a crashed
    // predecessor left open at once, instead of when its transaction times out.
    const transactionalId = `${this.config.clientId}-${options.groupId}-${this.config.instanceId ?? randomUUID()}`
    const lanes = new PartitionLanes(consumer, options, logger, {
      maxRecordBytes: this.maxRecordBytes,
      // Producer id and epoch -1: Kafka then gives this transactional id its current producer id
      // with the next epoch (fencing any predecessor), where 0 would be refused as fenced.
      transactionalProducer: () => new Producer<string, Buffer, string, string>({ ...this.producerOptions(), transactionalId, producerId: -1n, producerEpoch: -1 }),
    })
    // When the group was last heard of in trouble, so that the log says when it recovered.
    let troubleSince: number | undefined
    consumer.on('consumer:heartbeat:error', (payload: { error: Error }) => {
      if (troubleSince !== undefined) return
      troubleSince = Date.now()
      logger.warn({ err: payload.error }, 'lost the consumer group (heartbeat refused or unanswered); joining again')
    })
    consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const assignments = payload.assignments ?? []
      lanes.assign(assignments)
      const partitions = assignments.map((a) => `${a.topic}:${a.partitions.join(',')}`)
      if (troubleSince !== undefined) logger.info({ generation: payload.generationId, partitions, afterMs: Date.now() - troubleSince }, 'consumer group recovered')
      else logger.info({ generation: payload.generationId, partitions }, 'joined the consumer group')
      troubleSince = undefined
      options.onAssignment?.(assignments.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))))
    })
    let stream: MessagesStream<string, Buffer, string, string>
    try {
      stream = await consumer.consume({
        topics: [...options.topics],
        mode: MessagesStreamModes.COMMITTED,
        // Only for partitions the group has committed nothing on: a committed offset always wins.
        fallbackMode: options.startAt === 'latest' ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      })
    } catch (error) {
      await consumer.close(true).catch(() => undefined)
      throw new PlatformError('KAFKA_UNAVAILABLE', `cannot join consumer group ${options.groupId}: ${reason(error)}`, {}, { cause: error })
    }
    lanes.attach(stream)
    stream.on('error', (error) => this.logger.error({ err: error, group: options.groupId }, 'consumer stream failed'))
    const running = {
      stop: async () => {
        this.running.delete(running)
        await lanes.stop()
        await stream.close().catch(() => undefined)
        await consumer.close(true).catch((error: unknown) => this.logger.debug({ err: error }, 'consumer close'))
      },
    }
    this.running.add(running)
    return running
  }

  /**
   * Commits the end of every partition the group has committed nothing on, so that where a
   * `latest` group starts is fixed the first time it starts, as on the embedded bus: a partition
   * it has read nothing from yet would otherwise start at its end again after every restart and
   * skip what came while the group was away. Kafka lets only a group without live members be
   * given offsets; with one running, that member has pinned them already.
   */
  private async pinStartAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
    await this.withAdmin(async (admin) => {
      const partitionsOf = await this.partitionsOf(admin, topics)
      const committed = await this.committedOffsets(admin, groupId, partitionsOf)
      const ends = await this.topicOffsets(admin, partitionsOf, -1n)
      const pin = [...partitionsOf].flatMap(([topic, partitions]) => {
        const uncommitted = partitions.filter((p) => (committed.get(topic)?.get(p) ?? -1n) < 0n)
        return uncommitted.length === 0 ? [] : [{ name: topic, partitionOffsets: uncommitted.map((partition) => ({ partition, offset: ends.get(topic)!.get(partition)! })) }]
      })
      if (pin.length === 0) return
      try {
        await admin.alterConsumerGroupOffsets({ groupId, topics: pin })
      } catch (error) {
        this.logger.debug({ err: error, groupId }, 'group has live members; its start is theirs')
      }
    })
  }

  async readAll(topic: string, options: ReadAllOptions = {}): Promise<IncomingRecord[]> {
    const { partitions, ends, starts } = await this.withAdmin(async (admin) => {
      const partitionsOf = await this.partitionsOf(admin, [topic])
      return { partitions: partitionsOf.get(topic) ?? [], ends: (await this.topicOffsets(admin, partitionsOf, -1n)).get(topic)!, starts: (await this.topicOffsets(admin, partitionsOf, -2n)).get(topic)! }
    })
    const wanted = options.partitions === undefined ? partitions : partitions.filter((p) => options.partitions!.includes(p))
    // A partition whose records were all deleted (start = end) has nothing to wait for.
    const pending = new Set(wanted.filter((p) => ends.get(p)! > starts.get(p)!))
    if (pending.size === 0) return []
    // A throwaway group that never commits: it only reads what is there now.
    const consumer = new Consumer<string, Buffer, string, string>({
      ...this.base,
      groupId: `${this.config.clientId}-read-${topic}-${process.pid}-${Date.now()}`,
      autocommit: false,
      maxWaitTime: 100,
      deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
    })
    const records: IncomingRecord[] = []
    try {
      // The group hands this consumer every partition: the unwanted ones start at their end, so nothing of theirs is fetched.
      const offsets = partitions.map((partition) => ({ topic, partition, offset: pending.has(partition) ? starts.get(partition)! : ends.get(partition)! }))
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.MANUAL, offsets, autocommit: false })
      try {
        await new Promise<void>((resolve, reject) => {
          // Done with a partition once the stream has read past its end: the last offsets may hold
          // transaction markers or aborted records, which never come as messages.
          const passed = (): void => {
            if (stream.readableLength > 0) return
            for (const p of pending) if ((stream.offsetsToFetch.get(laneKey(topic, p)) ?? -1n) >= ends.get(p)!) pending.delete(p)
            if (pending.size === 0) resolve()
          }
          stream.on('error', reject)
          stream.on('data', (m: Received) => {
            if (!pending.has(m.partition)) return
            if (m.offset < ends.get(m.partition)!) records.push(toIncoming(m))
            if (m.offset + 1n >= ends.get(m.partition)!) pending.delete(m.partition)
            if (pending.size === 0) resolve()
          })
          // Emitted before the fetched records are pushed: look once they are.
          stream.on('fetch', () => setImmediate(passed))
        })
      } finally {
        await stream.close().catch(() => undefined)
      }
    } finally {
      await consumer.close(true).catch(() => undefined)
    }
    return records
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics())
      const missing = specs.filter((s) => !existing.has(s.topic))
      // Room for the largest record the bus lets through, in a batch of its own.
      const sizeConfig = { name: 'max.message.bytes', value: String(this.maxRecordBytes + topicBatchOverheadBytes) }
      for (const s of missing) {
        await admin.createTopics({
          topics: [s.topic],
          partitions: s.partitions,
          replicas: this.config.replicationFactor,
          configs: [sizeConfig, ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [])],
        })
      }
      if (missing.length > 0) await this.waitForLeaders(admin, missing.map((s) => s.topic))
    })
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    try {
      return await this.withAdmin(async (admin) => {
        const partitionsOf = await this.partitionsOf(admin, topics)
        const committed = await this.committedOffsets(admin, groupId, partitionsOf)
        const ends = await this.topicOffsets(admin, partitionsOf, -1n)
        const starts = await this.topicOffsets(admin, partitionsOf, -2n)
        return [...partitionsOf].flatMap(([topic, partitions]) =>
          partitions.map((partition) => {
            const offset = committed.get(topic)?.get(partition) ?? -1n
            // Nothing committed: the group would start at the partition's first record.
            const from = offset < 0n ? starts.get(topic)!.get(partition)! : offset
            const lag = ends.get(topic)!.get(partition)! - from
            return { topic, partition, lag: lag > 0n ? Number(lag) : 0, position: Number(from) }
          }),
        )
      })
    } catch (error) {
      throw new PlatformError('KAFKA_UNAVAILABLE', `cannot read the lag of group ${groupId}: ${reason(error)}`, {}, { cause: error })
    }
  }

  async ping(): Promise<boolean> {
    const admin = new Admin({ ...this.base, retries: 0 })
    try {
      await admin.metadata({ topics: [], forceUpdate: true })
      return true
    } catch {
      return false
    } finally {
      await admin.close().catch(() => undefined)
    }
  }

  /** A transactional producer of its own per id (see KafkaFencedWriter). */
  async openFencedWriter(id: string): Promise<FencedWriter> {
    const transactionalId = `${this.config.clientId}-writer-${id}`
    const writer = new KafkaFencedWriter(transactionalId, (identity) => new Producer<string, Buffer, string, string>({ ...this.producerOptions(), transactionalId, ...identity }), this.maxRecordBytes)
    await writer.open()
    return writer
  }

  async close(): Promise<void> {
    await this.batcher.drain()
    await Promise.all([...this.running].map((r) => r.stop()))
    if (this.producer) await this.producer.close().catch(() => undefined)
    this.producer = undefined
  }

  private producerOptions() {
    return {
      ...this.base,
      // Idempotent: a request the client sends again after a timeout is not stored twice.
      idempotent: true,
      acks: ProduceAcks.ALL,
      // The same murmur2 as Kafka's Java client and the embedded bus: a key keeps its partition whichever wrote it.
      partitioner: compatibilityPartitioner,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    }
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    this.producer ??= new Producer<string, Buffer, string, string>(this.producerOptions())
    const producer = this.producer
    // One request after the other, so that records of one key keep their order.
    for (const chunk of chunksByBytes(records, requestBytesMax)) {
      const messages = chunk.map(toMessage)
      try {
        // The client retries what it sent; a topic it does not know (yet: just created, or created
        // again) fails at once, before anything is sent, so that alone is tried again here.
        await retry(() => producer.send({ messages }), produceRetry, { onRetry: (error, attempt, delayMs) => this.logger.debug({ err: error, attempt, delayMs }, 'topic unknown to Kafka; trying again') })
      } catch (error) {
        throw new PlatformError('KAFKA_UNAVAILABLE', `Kafka did not acknowledge ${chunk.length} of ${records.length} record(s): ${reason(error)}`, {}, { cause: error })
      }
    }
  }

  private async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = new Admin(this.base)
    try {
      return await work(admin)
    } finally {
      await admin.close().catch(() => undefined)
    }
  }

  private async partitionsOf(admin: Admin, topics: readonly string[]): Promise<Map<string, number[]>> {
    const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true })
    return new Map(topics.map((topic) => [topic, Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i)]))
  }

  private async committedOffsets(admin: Admin, groupId: string, partitionsOf: Map<string, number[]>): Promise<Map<string, Map<number, bigint>>> {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [...partitionsOf].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }] })
    return new Map((group?.topics ?? []).map((t) => [t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.committedOffset]))]))
  }

  /** The end (-1) or start (-2) offset of every partition. */
  private async topicOffsets(admin: Admin, partitionsOf: Map<string, number[]>, timestamp: bigint): Promise<Map<string, Map<number, bigint>>> {
    const listed = await admin.listOffsets({ topics: [...partitionsOf].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) })) })
    return new Map(listed.map((t) => [t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.offset]))]))
  }

  /** A topic just created has no leader for a moment; a produce to it then would fail. */
  private async waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const metadata = await admin.metadata({ topics, forceUpdate: true }).catch(() => undefined)
      if (metadata && topics.every((t) => hasLeaders(metadata, t))) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function hasLeaders(metadata: ClusterMetadata, topic: string): boolean {
  const partitions = metadata.topics.get(topic)?.partitions ?? []
  return partitions.length > 0 && partitions.every((p) => p.leader >= 0)
}

/** One assigned partition: the records fetched and not yet handled, and whether one batch is in the handler. */
interface Lane {
  readonly topic: string
  readonly partition: number
  readonly queue: IncomingRecord[]
  /** Offset after the newest record held (queued or in the handler): a refetch after a rejoin repeats these. */
  next: bigint
  busy: boolean
  /** Consecutive failures of the batch at the head, for the back-off. */
  failures: number
  owned: boolean
  /** Whether this lane has handled a batch: only then does it know where the group stands. */
  handledHere: boolean
}

/** Most records held in memory for all partitions of a consumer before the stream is paused. */
const heldRecordsMax = 20_000
/** Most records handed to a handler in one batch. */
const batchRecordsMax = 5000

/**
 * Turns the consumer's stream into per-partition batches: one batch per partition at a time, in
 * offset order, up to `partitionsInParallel` partitions at once; offsets committed after each
 * batch. A batch whose handler throws is kept and handed over again after a back-off (300 ms
 * doubling to 10 s), while the other partitions go on. A batch that published through its
 * context commits in a Kafka transaction: its records and its offsets, the offsets naming the
 * group generation its handler worked under, so that a member the group has moved on from
 * (paused past its session, cut off) has its transaction refused and aborted, unseen by readers.
 */
class PartitionLanes {
  private readonly lanes = new Map<string, Lane>()
  /** Per partition, the offset after the last batch this consumer handled, kept across rebalances. */
  private readonly handled = new Map<string, bigint>()
  /** Partitions with a batch in the handler. */
  private readonly inFlight = new Set<string>()
  private stream: MessagesStream<string, Buffer, string, string> | undefined
  private held = 0
  private inHandler = 0
  private stopping = false
  private readonly idle = new Set<() => void>()
  private readonly parallel: number
  private producer: KafkaProducer | undefined
  /** One transaction at a time per producer: batches of parallel partitions take turns. */
  private transactions: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly consumer: Consumer<string, Buffer, string, string>,
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
    private readonly outputs: { readonly maxRecordBytes: number; readonly transactionalProducer: () => KafkaProducer },
  ) {
    this.parallel = Math.max(1, options.partitionsInParallel ?? 1)
  }

  attach(stream: MessagesStream<string, Buffer, string, string>): void {
    this.stream = stream
    stream.on('data', (m: Received) => this.receive(m))
    // Emitted before the fetched records are pushed: look once they are.
    stream.on('fetch', () => setImmediate(() => this.advanceIdle()))
  }

  /** A new generation's assignment: partitions no longer owned are dropped, kept ones keep what they hold. */
  assign(assignments: readonly { topic: string; partitions: number[] }[]): void {
    const owned = new Set(assignments.flatMap((a) => a.partitions.map((p) => laneKey(a.topic, p))))
    for (const [key, lane] of this.lanes) {
      if (owned.has(key)) continue
      lane.owned = false
      this.held -= lane.queue.length
      lane.queue.length = 0
      this.lanes.delete(key)
    }
    for (const a of assignments) {
      for (const partition of a.partitions) {
        const key = laneKey(a.topic, partition)
        if (this.lanes.has(key)) continue
        // Back after a rebalance: what this consumer handled itself is not handed over again, even
        // where the rebalance refused its commit (the next batch's commit covers it). Not committed
        // again here: another member may have committed further meanwhile.
        this.lanes.set(key, { topic: a.topic, partition, queue: [], next: this.handled.get(key) ?? -1n, busy: false, failures: 0, owned: true, handledHere: false })
      }
    }
    this.flow()
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.stream?.pause()
    if (this.inHandler > 0) await new Promise<void>((resolve) => this.idle.add(resolve))
    await this.producer?.close().catch(() => undefined)
    this.producer = undefined
  }

  private receive(m: Received): void {
    const lane = this.lanes.get(laneKey(m.topic, m.partition))
    // A record of a partition taken away, or one held already (the stream refetches from the
    // committed offset after a rejoin), is not handed over again.
    if (!lane || m.offset < lane.next || this.stopping) return
    lane.queue.push(toIncoming(m))
    lane.next = m.offset + 1n
    this.held++
    if (this.held >= heldRecordsMax) this.stream?.pause()
    this.schedule(lane)
  }

  private schedule(lane: Lane): void {
    const key = laneKey(lane.topic, lane.partition)
    // A batch of the partition from before a rebalance may still be in the handler: one at a time per partition.
    if (lane.busy || lane.queue.length === 0 || this.inHandler >= this.parallel || this.stopping || this.inFlight.has(key)) return
    lane.busy = true
    this.inFlight.add(key)
    this.inHandler++
    void this.run(lane)
  }

  private async run(lane: Lane): Promise<void> {
    const batch = lane.queue.slice(0, batchRecordsMax)
    // The group membership the handler works under: its state is as of this generation (a
    // processor reloads on each new one), so this is what its commit may claim.
    const member = { groupId: this.consumer.groupId, memberId: this.consumer.memberId, generationId: this.consumer.generationId, coordinatorId: this.consumer.coordinatorId }
    const staged: OutgoingRecord[] = []
    let handled = false
    let resolved = false
    try {
      await this.options.handleBatch(batch, {
        heartbeat: async () => undefined,
        isActive: () => lane.owned && !this.stopping,
        publish: (records) => {
          assertRecordsFit(records, this.outputs.maxRecordBytes)
          staged.push(...records)
        },
      })
      resolved = true
      if (staged.length > 0) await this.commitWithRecords(lane, batch.at(-1)!, staged, member)
      handled = true
    } catch (error) {
      if (resolved) this.options.onDiscarded?.({ topic: lane.topic, partition: lane.partition })
      lane.failures++
      const delay = Math.min(10_000, 300 * 2 ** (lane.failures - 1))
      const message = resolved ? 'batch not committed (the group moved on, or Kafka refused); its outputs are discarded and it is handed over again' : 'batch failed; handing it over again'
      this.logger.warn({ err: error, topic: lane.topic, partition: lane.partition, offset: batch[0]!.offset, failures: lane.failures, retryInMs: delay }, message)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
    const key = laneKey(lane.topic, lane.partition)
    if (handled) {
      lane.failures = 0
      const last = BigInt(batch.at(-1)!.offset)
      // The partition's lane now: this one, or, after a rebalance that gave the partition back, a new one.
      const current = this.lanes.get(key)
      if (current === lane) {
        lane.handledHere = true
        lane.queue.splice(0, batch.length)
        this.held -= batch.length
      } else if (current) {
        // Refetched from the committed offset: what this batch handled is not handed over again.
        const before = current.queue.length
        current.queue.splice(0, current.queue.filter((r) => BigInt(r.offset) <= last).length)
        this.held -= before - current.queue.length
        if (current.next <= last) current.next = last + 1n
      }
      // A batch handled under an older generation is not committed: another member may have
      // committed further meanwhile, and this commit would move the group back.
      if (current && (staged.length > 0 || member.generationId === this.consumer.generationId)) {
        this.handled.set(key, last + 1n)
        // A transaction committed the offsets with the records.
        if (staged.length === 0) await this.commit(lane.topic, lane.partition, last + 1n)
      }
    }
    lane.busy = false
    this.inFlight.delete(key)
    this.inHandler--
    if (this.stopping) {
      if (this.inHandler === 0) {
        for (const resolve of this.idle) resolve()
        this.idle.clear()
      }
      return
    }
    this.flow()
    this.advanceIdle()
  }

  /**
   * The batch's records and its offsets in one transaction. The offset commit carries the group
   * generation and member its handler started under; the coordinator refuses it once the group
   * has moved on, and the transaction is aborted: its records never reach a reader.
   */
  private commitWithRecords(lane: Lane, last: IncomingRecord, records: readonly OutgoingRecord[], member: { groupId: string; memberId: string | null; generationId: number; coordinatorId: number | null }): Promise<void> {
    const turn = this.transactions.then(async () => {
      if (!lane.owned) throw new PlatformError('BUS_COMMIT_REFUSED', `partition ${lane.topic}:${lane.partition} was taken away while its batch was handled`)
      const producer = (this.producer ??= this.outputs.transactionalProducer())
      try {
        const transaction = await producer.beginTransaction()
        for (const chunk of chunksByBytes(records, requestBytesMax)) await transaction.send({ messages: chunk.map(toMessage) })
        await transaction.addConsumer(this.consumer)
        await transaction.addOffset({ topic: last.topic, partition: last.partition, offset: BigInt(last.offset), metadata: { consumer: member } } as unknown as Received)
        await transaction.commit()
      } catch (error) {
        // Aborted where Kafka lets it; else a new producer with the same transactional id aborts it
        // on Kafka before its own first transaction.
        const open = producer.transaction
        if (open && !open.completed) await open.abort().catch(() => undefined)
        this.producer = undefined
        await producer.close().catch(() => undefined)
        throw new PlatformError('BUS_COMMIT_REFUSED', `the transaction of ${records.length} record(s) and the offsets of ${lane.topic}:${lane.partition} was not committed: ${reason(error)}`, {}, { cause: error })
      }
    })
    this.transactions = turn.catch(() => undefined)
    return turn
  }

  /**
   * Moves the committed offset of idle partitions past what holds no records for the handler:
   * the markers transactions leave after their records, or records of aborted transactions.
   * Without it, a partition written in transactions would always show one record of lag. Only
   * when nothing fetched is still in the stream's buffer, so that no record is skipped.
   */
  private advanceIdle(): void {
    const stream = this.stream
    if (!stream || this.stopping || stream.readableLength > 0) return
    for (const [key, lane] of this.lanes) {
      // A lane that has handled nothing yet does not know where the group stands.
      if (lane.busy || lane.queue.length > 0 || this.inFlight.has(key) || !lane.handledHere) continue
      const fetchFrom = stream.offsetsToFetch.get(key)
      if (fetchFrom === undefined || fetchFrom <= lane.next) continue
      lane.next = fetchFrom
      this.handled.set(key, fetchFrom)
      void this.commit(lane.topic, lane.partition, fetchFrom)
    }
  }

  /** Commits `next` (the next offset to read, Kafka's convention) for one partition. */
  private async commit(topic: string, partition: number, next: bigint): Promise<void> {
    await this.consumer.commit({ offsets: [{ topic, partition, offset: next, leaderEpoch: -1 }] }).catch((error: unknown) => {
      // Handled but not committed: after a crash these records come again (at least once).
      this.logger.debug({ err: error, topic, partition }, 'commit refused (rebalance in progress)')
    })
  }

  /** Starts waiting lanes while there is room, and resumes the stream once enough is handled. */
  private flow(): void {
    for (const lane of this.lanes.values()) this.schedule(lane)
    if (this.held < heldRecordsMax / 2 && this.stream?.isPaused() && !this.stopping) this.stream.resume()
  }
}

/**
 * A fenced writer on Kafka: a transactional producer whose id names the work. Opening it asks
 * Kafka for the id's producer id with a new epoch, which fences the id's earlier producers and
 * aborts a transaction one of them left open. Each publish is one transaction. After a failure
 * that is not a fence (Kafka away), the next publish starts a producer that asks for the epoch
 * after the one it held, which Kafka grants only if no newer writer took the id meanwhile; a
 * fenced writer never asks again, as a fresh request would fence the newer one in turn.
 */
class KafkaFencedWriter implements FencedWriter {
  private producer: KafkaProducer | undefined
  private identity: { producerId: bigint; producerEpoch: number } = { producerId: -1n, producerEpoch: -1 }
  private fenced = false
  private turns: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly transactionalId: string,
    private readonly makeProducer: (identity: { producerId: bigint; producerEpoch: number }) => KafkaProducer,
    private readonly maxRecordBytes: number,
  ) {}

  /** Takes the id's next epoch now: a transaction begun and dropped before anything is sent (no EndTxn). */
  async open(): Promise<void> {
    const producer = this.makeProducer(this.identity)
    try {
      const transaction = await producer.beginTransaction()
      await transaction.cancel()
    } catch (error) {
      await producer.close().catch(() => undefined)
      throw new PlatformError('KAFKA_UNAVAILABLE', `cannot open the fenced writer ${this.transactionalId}: ${reason(error)}`, {}, { cause: error })
    }
    this.producer = producer
    this.holdIdentity(producer)
  }

  publish(records: readonly OutgoingRecord[]): Promise<void> {
    assertRecordsFit(records, this.maxRecordBytes)
    const turn = this.turns.then(() => this.send(records))
    this.turns = turn.catch(() => undefined)
    return turn
  }

  async close(): Promise<void> {
    await this.turns
    await this.producer?.close().catch(() => undefined)
    this.producer = undefined
  }

  private async send(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.fenced) throw this.fencedError()
    if (records.length === 0) return
    const producer = (this.producer ??= this.makeProducer(this.identity))
    try {
      const transaction = await producer.beginTransaction()
      this.holdIdentity(producer)
      for (const chunk of chunksByBytes(records, requestBytesMax)) await transaction.send({ messages: chunk.map(toMessage) })
      await transaction.commit()
    } catch (error) {
      this.producer = undefined
      await producer.transaction?.abort().catch(() => undefined)
      await producer.close().catch(() => undefined)
      if (producerFenced(error)) {
        this.fenced = true
        throw this.fencedError(error)
      }
      throw new PlatformError('KAFKA_UNAVAILABLE', `Kafka did not commit ${records.length} record(s) of the fenced writer ${this.transactionalId}: ${reason(error)}`, {}, { cause: error })
    }
  }

  private holdIdentity(producer: KafkaProducer): void {
    if (producer.producerId !== undefined && producer.producerEpoch !== undefined) this.identity = { producerId: producer.producerId, producerEpoch: producer.producerEpoch }
  }

  private fencedError(cause?: unknown): PlatformError {
    return new PlatformError('BUS_FENCED', `a newer writer took ${this.transactionalId}: nothing was written`, {}, cause === undefined ? {} : { cause })
  }
}

/** Kafka's answers to a producer whose epoch is no longer the id's newest. */
function producerFenced(error: unknown): boolean {
  return leafErrors(error).some((e) => ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED'].includes(String((e as { apiId?: unknown }).apiId)))
}

/** The client wraps what Kafka said in AggregateErrors; the innermost messages say what happened. */
function reason(error: unknown): string {
  return [...new Set(leafErrors(error).map((e) => (e as Error).message ?? String(e)))].join('; ')
}

/** The innermost errors of the client's AggregateErrors: what Kafka or the network actually said. */
function leafErrors(error: unknown): unknown[] {
  const inner = (error as { errors?: unknown[] }).errors
  return Array.isArray(inner) && inner.length > 0 ? inner.flatMap(leafErrors) : [error]
}

function laneKey(topic: string, partition: number): string {
  return `${topic}:${partition}`
}

function toMessage(r: OutgoingRecord): { topic: string; key: string; value?: Buffer; headers: Record<string, string> } {
  // A tombstone is a record without a value (null on the wire).
  return { topic: r.topic, key: r.key, ...(r.tombstone ? {} : { value: r.value }), headers: { ...r.headers } }
}

function toIncoming(m: Received): IncomingRecord {
  const headers: Record<string, string> = {}
  for (const [name, value] of m.headers) headers[name] = value ?? ''
  const tombstone = m.value === null || m.value === undefined
  return { topic: m.topic, partition: m.partition, offset: m.offset.toString(), key: m.key ?? '', value: m.value ?? Buffer.alloc(0), headers, timestamp: Number(m.timestamp), ...(tombstone ? { tombstone } : {}) }
}

/** A topic unknown to Kafka is tried again for about 25 s (it may be being created); then the caller hears of it. */
const produceRetry: RetryPolicy = { baseMs: 200, factor: 2, capMs: 5000, jitter: 0.25, maxAttempts: 9, retryable: (error) => unknownTopic(error) }

/** Whether the client refused the send because a topic is unknown to Kafka's metadata, before producing anything. */
function unknownTopic(error: unknown): boolean {
  return leafErrors(error).every((e) => /^Unknown topic /.test((e as Error).message ?? ''))
}

/**
 * Most record bytes per produce request. A request's records for one partition become one record
 * batch, and Kafka refuses a batch above `message.max.bytes` (1 MiB by default) for good; the
 * normaliser's output for one full fetch (about 1 MiB of raw payloads per partition, each turned
 * into a larger envelope) would exceed it and be retried forever.
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
