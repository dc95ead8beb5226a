import { retryDelay, type RetryPolicy } from '../../retry.js'
import type { GroupOffsets } from './group-offsets.js'
import type { RecordLog, TopicPartition } from './record-log.js'
import type { WakeSignal } from './wake-signal.js'

/** What the group needs from one `consume()` call taking part in it. */
export interface GroupMember {
  readonly topics: readonly string[]
  /** Wants partition p of every topic on one member (`ConsumeOptions.copartitioned`). */
  readonly copartitioned: boolean
  /** Where the group starts on a partition it has committed nothing on (`ConsumeOptions.startAt`, earliest when unset). */
  readonly startAt?: 'earliest' | 'latest'
  /** Takes the member's new partitions; called only when they differ from the previous ones. */
  assign(partitions: readonly TopicPartition[]): void
}

/**
 * Redelivery after a failed batch (or fetch, or commit): every failure is retried, as on Kafka, the
 * wait doubling per failure up to the cap. Only the delay comes from `core/retry.ts`: the retry is a
 * timer that releases the partition to the fetch loop, not a loop of its own.
 */
export const redeliveryPolicy: RetryPolicy = { baseMs: 250, factor: 2, capMs: 10_000, jitter: 0, maxAttempts: Infinity, retryable: () => true }

/**
 * One consumer group inside this process: splits the partitions of its topics between its
 * members, makes sure one batch per partition is in a handler at a time (also while a partition
 * moves from one member to another), and keeps each partition's position, which is its committed
 * offset because a batch is committed before the next one of its partition is fetched.
 */
export class ConsumerGroup {
  private members: GroupMember[] = []
  private readonly positions = new Map<string, number>()
  private readonly inHand = new Set<string>()
  /** Failures in a row per partition, and whether its backoff is still running. */
  private readonly retries = new Map<string, { readonly failures: number; held: boolean }>()
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    readonly id: string,
    private readonly log: RecordLog,
    private readonly offsets: GroupOffsets,
    private readonly wake: WakeSignal,
  ) {}

  get size(): number {
    return this.members.length
  }

  join(member: GroupMember): void {
    this.members.push(member)
    this.rebalance()
  }

  leave(member: GroupMember): void {
    this.members = this.members.filter((m) => m !== member)
    this.rebalance()
  }

  /** The next offset this group reads from the partition. */
  position(tp: TopicPartition): number {
    let position = this.positions.get(tp.id)
    if (position === undefined) {
      position = this.offsets.committed(this.id, tp) ?? 0
      this.positions.set(tp.id, position)
    }
    return position
  }

  /** Whether a batch of this partition may be fetched now: none is in a handler, no retry is pending. */
  isReady(tp: TopicPartition): boolean {
    return !this.inHand.has(tp.id) && this.retries.get(tp.id)?.held !== true
  }

  claim(tp: TopicPartition): void {
    this.inHand.add(tp.id)
  }

  release(tp: TopicPartition): void {
    this.inHand.delete(tp.id)
  }

  /**
   * Commits after a handled batch: durable before the next batch of the partition is fetched.
   * `writeWith` puts the offset write into a transaction of the caller's (with the batch's records).
   */
  commit(tp: TopicPartition, nextOffset: number, writeWith?: (write: () => void) => void): void {
    const write = (): void => this.offsets.commit(this.id, tp, nextOffset)
    if (writeWith) writeWith(write)
    else write()
    this.positions.set(tp.id, nextOffset)
    this.retries.delete(tp.id)
  }

  /** Moves past offsets that are gone from the file (retention, compaction) without committing. */
  skipTo(tp: TopicPartition, offset: number): void {
    this.positions.set(tp.id, offset)
  }

  /** Holds the partition back after a failed batch; returns how long, in ms. */
  failed(tp: TopicPartition): number {
    const failures = (this.retries.get(tp.id)?.failures ?? 0) + 1
    const delay = retryDelay(redeliveryPolicy, failures - 1)
    const retry = { failures, held: true }
    this.retries.set(tp.id, retry)
    // The timer itself releases the partition: comparing clocks could find it a millisecond early.
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      retry.held = false
      this.wake.notify()
    }, delay)
    this.timers.add(timer)
    return delay
  }

  /** Clears pending retry timers once the group has no members left. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  /**
   * Spreads every partition of the members' topics, in topic and partition order, over the
   * members subscribing to its topic, in joining order: round-robin across all of them (Kafka's
   * round-robin assignor), or by partition number when a member asks for copartitioning, so that
   * partition p of every topic goes to the same member.
   */
  private rebalance(): void {
    const names = [...new Set(this.members.flatMap((m) => m.topics))].sort()
    const next = new Map<GroupMember, TopicPartition[]>(this.members.map((m) => [m, []]))
    const copartitioned = this.members.some((m) => m.copartitioned)
    let turn = 0
    for (const name of names) {
      const topic = this.log.topic(name)
      if (!topic) continue
      const eligible = this.members.filter((m) => m.topics.includes(name))
      for (const tp of this.log.partitionsOf(topic)) {
        const owner = eligible[(copartitioned ? tp.partition : turn++) % eligible.length]!
        next.get(owner)!.push(tp)
        this.offsets.register(this.id, tp, owner.startAt === 'latest' ? this.log.end(tp) : this.log.low(tp))
      }
    }
    for (const [member, partitions] of next) member.assign(partitions)
    this.wake.notify()
  }
}
