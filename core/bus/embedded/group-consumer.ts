import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Logger } from '../../logger.js'
import type { BatchContext, ConsumeOptions, IncomingRecord, OutgoingRecord } from '../bus.js'
import type { ConsumerGroup, GroupMember } from './consumer-group.js'
import { storageFailure } from './log-file.js'
import type { RecordLog, TopicPartition } from './record-log.js'
import type { WakeSignal } from './wake-signal.js'

export interface FetchLimits {
  /** Most records per batch. */
  readonly maxRecords: number
  /** A batch stops growing once its values reach this many bytes. */
  readonly maxBytes: number
}

/**
 * One `consume()` call: fetches batches of its assigned partitions from the log and hands them to
 * `handleBatch`, committing each batch's offsets only after the handler resolved. A handler that
 * throws commits nothing; its partition is held back (doubling backoff) and the same records come
 * again. Waits on the wake signal when there is nothing to do.
 */
export class GroupConsumer implements GroupMember {
  readonly topics: readonly string[]
  readonly copartitioned: boolean
  readonly startAt: 'earliest' | 'latest'
  private assigned: readonly TopicPartition[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private stopping = false
  private running: Promise<void> | undefined
  /** Where the next scan of the assigned partitions starts, so that no partition starves the others. */
  private cursor = 0

  constructor(
    private readonly group: ConsumerGroup,
    private readonly options: ConsumeOptions,
    private readonly log: RecordLog,
    private readonly wake: WakeSignal,
    private readonly limits: FetchLimits,
    private readonly logger: Logger,
    /** Checks records a handler publishes through its batch context (topic known, size). */
    private readonly checkRecords: (records: readonly OutgoingRecord[]) => void,
  ) {
    this.topics = [...options.topics]
    this.copartitioned = options.copartitioned === true
    this.startAt = options.startAt ?? 'earliest'
  }

  assign(partitions: readonly TopicPartition[]): void {
    const before = new Set(this.assigned.map((tp) => tp.id))
    const same = partitions.length === before.size && partitions.every((tp) => before.has(tp.id))
    this.assigned = partitions
    if (same) return
    try {
      this.options.onAssignment?.(partitions.map((tp) => ({ topic: tp.topic.name, partition: tp.partition })))
    } catch (error) {
      this.logger.error({ err: error, groupId: this.group.id }, 'onAssignment failed')
    }
  }

  start(): void {
    this.running ??= this.run()
  }

  /** Stops fetching and resolves once the batches in hand are handled (and committed). */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake.notify()
    await this.running
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      // The scan is synchronous, so no notification can fall between it and `next()`.
      if (!this.startBatches()) await this.wake.next()
      // Handlers that finish without I/O would otherwise hand out a backlog in one endless chain
      // of microtasks, starving timers and sockets of the whole process.
      await nextTurn()
    }
    await Promise.all(this.inFlight)
  }

  /** Starts a batch for each ready partition with records, up to the parallelism; true if any started. */
  private startBatches(): boolean {
    const parallel = Math.max(1, this.options.partitionsInParallel ?? 1)
    const count = this.assigned.length
    let started = false
    for (let i = 0; i < count && this.inFlight.size < parallel; i++) {
      const tp = this.assigned[(this.cursor + i) % count]!
      if (!this.group.isReady(tp)) continue
      const records = this.fetch(tp)
      if (records.length === 0) continue
      this.handle(tp, records)
      started = true
      this.cursor = (this.cursor + i + 1) % count
    }
    return started
  }

  private fetch(tp: TopicPartition): IncomingRecord[] {
    const position = this.group.position(tp)
    const end = this.log.end(tp)
    if (position >= end) return []
    try {
      const records = this.log.fetch(tp, position, this.limits.maxRecords, this.limits.maxBytes)
      // Everything from the position on was deleted (retention, compaction): nothing to hand out.
      if (records.length === 0) this.group.skipTo(tp, end)
      return records
    } catch (error) {
      const retryInMs = this.group.failed(tp)
      this.logger.error({ err: storageFailure(error, 'read records'), groupId: this.group.id, topic: tp.topic.name, partition: tp.partition, retryInMs }, 'embedded bus fetch failed')
      return []
    }
  }

  private handle(tp: TopicPartition, records: IncomingRecord[]): void {
    this.group.claim(tp)
    const staged: OutgoingRecord[] = []
    const context: BatchContext = {
      heartbeat: async () => undefined,
      isActive: () => !this.stopping && this.assigned.some((a) => a.id === tp.id),
      publish: (published) => {
        this.checkRecords(published)
        staged.push(...published)
      },
    }
    const handling = this.handleAndCommit(tp, records, context, staged).finally(() => {
      this.group.release(tp)
      this.inFlight.delete(handling)
      // The partition may now go to another member, or this member may take another batch.
      this.wake.notify()
    })
    this.inFlight.add(handling)
  }

  private async handleAndCommit(tp: TopicPartition, records: IncomingRecord[], context: BatchContext, staged: OutgoingRecord[]): Promise<void> {
    const where = { groupId: this.group.id, topic: tp.topic.name, partition: tp.partition, offset: records[0]!.offset, records: records.length }
    try {
      await this.options.handleBatch(records, context)
    } catch (error) {
      const retryInMs = this.group.failed(tp)
      this.logger.warn({ err: error, ...where, retryInMs }, 'batch handler failed; the records will be delivered again')
      return
    }
    const next = Number(records[records.length - 1]!.offset) + 1
    try {
      // A claimed partition stays with this member until released, so nothing can fence it here;
      // the batch's records and its offsets land in one SQLite transaction.
      if (staged.length === 0) this.group.commit(tp, next)
      else {
        this.group.commit(tp, next, (write) => this.log.append(staged, write))
        this.wake.notify()
      }
    } catch (error) {
      const retryInMs = this.group.failed(tp)
      this.logger.error({ err: storageFailure(error, 'commit offsets'), ...where, retryInMs }, 'commit failed; the records will be delivered again')
      this.options.onDiscarded?.({ topic: tp.topic.name, partition: tp.partition })
    }
  }
}
