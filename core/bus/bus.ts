/**
 * The message bus as the broker, the processors and the API see it. The Kafka implementation is
 * the production one; an embedded implementation can stand in without changing any caller.
 */

export type Headers = Readonly<Record<string, string>>

export interface OutgoingRecord {
  readonly topic: string
  /** Partitioning key: records with the same key keep their order. */
  readonly key: string
  readonly value: Buffer
  readonly headers: Headers
  /**
   * A deletion of the key (Kafka's tombstone, a record without a value): on a compacted topic the
   * key's older records go, and in time the tombstone too. Its `value` must be empty.
   */
  readonly tombstone?: boolean
}

export interface IncomingRecord {
  readonly topic: string
  readonly partition: number
  /** Decimal string: Kafka offsets are 64-bit. */
  readonly offset: string
  readonly key: string
  readonly value: Buffer
  readonly headers: Headers
  /** Record timestamp, ms since epoch. */
  readonly timestamp: number
  /** A deletion of the key (see OutgoingRecord.tombstone); its `value` is empty. */
  readonly tombstone?: boolean
}

export interface BatchContext {
  /** Tells the group coordinator this consumer is alive; call it while a batch takes long. */
  readonly heartbeat: () => Promise<void>
  /** False once the consumer is stopping or its partitions were taken away. */
  readonly isActive: () => boolean
  /**
   * Publishes records as part of this batch, atomically with its offsets: they become visible
   * when the batch is committed, and never if the handler throws or the consumer lost the
   * partition before committing (a paused or partitioned-off instance is fenced off: on Kafka a
   * transaction whose offset commit names the group generation the handler worked under).
   * Checks the records at once (size, topic) and throws on a bad one; nothing is durable before
   * the handler has resolved and the commit succeeded.
   */
  readonly publish: (records: readonly OutgoingRecord[]) => void
}

export interface AssignedPartition {
  readonly topic: string
  readonly partition: number
}

export interface ConsumeOptions {
  readonly groupId: string
  readonly topics: readonly string[]
  /**
   * Handles records of one partition, in offset order. Their offsets are committed only after
   * this resolves; if it throws, nothing is committed and the records are delivered again.
   */
  readonly handleBatch: (records: readonly IncomingRecord[], context: BatchContext) => Promise<void>
  /**
   * Called when the group hands this consumer a new set of partitions (state may need reloading),
   * with the partitions it holds from now on.
   */
  readonly onAssignment?: (assigned: readonly AssignedPartition[]) => void
  /**
   * Called when a batch's handler resolved but its commit did not happen (refused, fenced, the
   * partition taken away): what it published through the context was discarded and the records
   * come again, so state the handler derived from them in memory is ahead of the bus.
   */
  readonly onDiscarded?: (partition: AssignedPartition) => void
  /**
   * How many partitions' batches may be in `handleBatch` at once (default 1). Each partition
   * still sees one batch at a time, in order; only for handlers that share no state across
   * partitions. Overlapping one partition's Kafka round trips with another's raises throughput.
   */
  readonly partitionsInParallel?: number
  /**
   * Gives partition number p of every topic to the same consumer of the group, so that a key's
   * records in all the topics (same key, same partition count) reach one consumer. A bus with
   * a single consumer per group has nothing to do for it.
   */
  readonly copartitioned?: boolean
  /**
   * Where a group that has committed nothing on a partition starts: at its oldest record
   * (`earliest`, the default: a new processor derives from everything retained) or at its end
   * (`latest`: it reacts only to what comes from now on). A committed offset always wins.
   */
  readonly startAt?: 'earliest' | 'latest'
}

export interface Consumption {
  /** Stops fetching, lets the batch in hand finish and leaves the group. */
  stop(): Promise<void>
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** Records after the group's position. */
  readonly lag: number
  /** Where the group is: its next offset (the partition's start where it committed nothing); growing while it makes progress. */
  readonly position: number
}

export interface TopicSpec {
  readonly topic: string
  readonly partitions: number
  /** Compacted topics keep the newest record per key (for state changelogs). */
  readonly compacted?: boolean
}

export interface ReadAllOptions {
  /** Partition numbers to read; all partitions when absent. */
  readonly partitions?: readonly number[]
}

/**
 * Publishes for work that belongs to one holder at a time but is done outside a consumer's batch
 * (the notifier's outbox entries of one event partition, written as deliveries end). Opening a
 * writer fences every writer opened earlier under the same id, in any process: their publishes
 * fail with BUS_FENCED and write nothing, so an instance paused past its session cannot write
 * after the new holder read the state back. Open it before reading that state.
 */
export interface FencedWriter {
  /** Resolves once the records are durable; throws BUS_FENCED, having written nothing, once a newer writer of the id was opened. */
  publish(records: readonly OutgoingRecord[]): Promise<void>
  close(): Promise<void>
}

export interface Bus {
  /** Resolves once every record is durably stored (Kafka: acknowledged by all in-sync replicas). */
  publish(records: readonly OutgoingRecord[]): Promise<void>
  consume(options: ConsumeOptions): Promise<Consumption>
  /**
   * Reads a topic from its beginning up to its end as of the call, outside any consumer group:
   * how a processor restores its state from a compacted changelog topic. With `partitions`, only
   * those partitions are read (the ones a processor instance owns).
   */
  readAll(topic: string, options?: ReadAllOptions): Promise<IncomingRecord[]>
  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>
  /**
   * How many records of each partition of `topics` the group has not committed yet: the end
   * offset minus the committed one (minus the partition's start where the group committed
   * nothing). Optional: the health reporter leaves lag out on a bus without it.
   */
  lag?(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>
  /** Whether the bus answers right now. */
  ping(): Promise<boolean>
  /** Opens the writer for `id`, fencing the ones opened before it (see FencedWriter). */
  openFencedWriter(id: string): Promise<FencedWriter>
  close(): Promise<void>
}
