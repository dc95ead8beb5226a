import { setImmediate as nextTurn } from 'node:timers/promises'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../logger.js'
import type { Bus, ConsumeOptions, Consumption, FencedWriter, IncomingRecord, OutgoingRecord, PartitionLag, ReadAllOptions, TopicSpec } from './bus.js'
import { ConsumerGroup } from './embedded/consumer-group.js'
import { GroupConsumer, type FetchLimits } from './embedded/group-consumer.js'
import { GroupOffsets } from './embedded/group-offsets.js'
import { closeLogFile, openLogFile, storageFailure, type SqliteDatabase, type SyncLevel } from './embedded/log-file.js'
import { LogMaintenance } from './embedded/log-maintenance.js'
import { RecordLog } from './embedded/record-log.js'
import { WakeSignal } from './embedded/wake-signal.js'
import { Batcher } from './publish-batcher.js'
import { assertRecordsFit, defaultMaxRecordBytes } from './record-size.js'

export interface EmbeddedBusOptions {
  /** The SQLite file holding every topic and committed offset; one process at a time. */
  readonly path: string
  /** Most partitions per topic; a spec asking for more gets this many (default: as the spec says). */
  readonly partitions?: number
  /** Plain topics keep records at least this long, and until every live group has read them (default 7 days). */
  readonly retentionMs?: number
  /** See `SyncLevel`; `normal` by default. */
  readonly sync?: SyncLevel
  /** Most records and value bytes handed to one `handleBatch` call (default 1000 records, 1 MiB). */
  readonly batch?: Partial<FetchLimits>
  /** How often retention and compaction run (default every minute). */
  readonly maintenanceIntervalMs?: number
  /** Largest record taken (key, value and headers); the same limit as on Kafka by default. */
  readonly maxRecordBytes?: number
}

/** Most records per publish transaction; callers' publishes within one tick share a transaction. */
const publishBatchMax = 5000

/**
 * The bus in one SQLite file inside one process, for running the platform without Kafka. Keeps
 * the semantics the processors rely on: partitions by key hash (the same as Kafka's), offsets per
 * partition, consumer groups splitting partitions between their members, offsets committed only
 * after a batch is handled, redelivery of whatever was not committed (also after a crash), and
 * compacted topics keeping the newest record per key.
 */
export class EmbeddedBus implements Bus {
  private readonly db: SqliteDatabase
  private readonly log: RecordLog
  private readonly offsets: GroupOffsets
  private readonly maintenance: LogMaintenance
  private readonly wake = new WakeSignal()
  private readonly groups = new Map<string, ConsumerGroup>()
  private readonly consumptions = new Set<Consumption>()
  private readonly batcher: Batcher<OutgoingRecord>
  private readonly limits: FetchLimits
  private readonly maintenanceTimer: NodeJS.Timeout
  private maintaining: Promise<unknown> | undefined
  private closing: Promise<void> | undefined
  /** The newest epoch of each fenced writer id: only the writer holding it may publish. */
  private readonly writerEpochs = new Map<string, number>()
  /** Set once the consumers have stopped during close: their last batches may still publish. */
  private refusingPublishes = false

  constructor(
    private readonly options: EmbeddedBusOptions,
    private readonly logger: Logger,
  ) {
    const { db, previousOwner } = openLogFile(options.path, options.sync ?? 'normal')
    this.db = db
    if (previousOwner) {
      logger.warn({ path: options.path, previousOwner }, 'the embedded bus was not closed cleanly last time; uncommitted records will be delivered again')
    }
    try {
      this.log = new RecordLog(db)
      this.offsets = new GroupOffsets(db)
      this.maintenance = new LogMaintenance(this.log, this.offsets, db, options.retentionMs ?? 7 * 86_400_000)
    } catch (error) {
      closeLogFile(options.path, db)
      throw storageFailure(error, `read ${options.path}`)
    }
    this.limits = { maxRecords: options.batch?.maxRecords ?? 1000, maxBytes: options.batch?.maxBytes ?? 1024 * 1024 }
    this.batcher = new Batcher((records) => this.append(records), { maxItems: publishBatchMax, lingerMs: 0 })
    this.maintenanceTimer = setInterval(() => void this.maintain(), options.maintenanceIntervalMs ?? 60_000)
    // Housekeeping alone must not keep the process alive.
    this.maintenanceTimer.unref()
  }

  /** Resolves once the records' transaction has committed to the file. */
  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.refusingPublishes) throw closedError()
    // Checked here, not in the shared transaction: one caller's mistake must not fail the others.
    this.checkRecords(records)
    return this.batcher.add(records)
  }

  private checkRecords(records: readonly OutgoingRecord[]): void {
    for (const record of records) this.log.requireTopic(record.topic)
    assertRecordsFit(records, this.options.maxRecordBytes ?? defaultMaxRecordBytes)
  }

  async consume(options: ConsumeOptions): Promise<Consumption> {
    if (this.closing) throw closedError()
    for (const topic of options.topics) this.log.requireTopic(topic)
    let group = this.groups.get(options.groupId)
    if (!group) this.groups.set(options.groupId, (group = new ConsumerGroup(options.groupId, this.log, this.offsets, this.wake)))
    const member = new GroupConsumer(group, options, this.log, this.wake, this.limits, this.logger, (records) => this.checkRecords(records))
    group.join(member)
    member.start()
    let stopped: Promise<void> | undefined
    const consumption: Consumption = {
      stop: () =>
        (stopped ??= (async () => {
          await member.stop()
          group.leave(member)
          if (group.size === 0) {
            group.dispose()
            this.groups.delete(options.groupId)
          }
          this.consumptions.delete(consumption)
        })()),
    }
    this.consumptions.add(consumption)
    return consumption
  }

  async readAll(topic: string, options: ReadAllOptions = {}): Promise<IncomingRecord[]> {
    if (this.closing) throw closedError()
    const info = this.log.requireTopic(topic)
    try {
      return this.log.readAll(info, options.partitions)
    } catch (error) {
      throw storageFailure(error, `read topic ${topic}`)
    }
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (this.closing) throw closedError()
    try {
      this.log.createTopics(specs, this.options.partitions ?? Number.MAX_SAFE_INTEGER)
    } catch (error) {
      throw storageFailure(error, 'create topics')
    }
  }

  async ping(): Promise<boolean> {
    if (this.closing) return false
    try {
      this.db.prepare('SELECT 1').get()
      return true
    } catch {
      return false
    }
  }

  /**
   * One process holds the file, so the epochs live in memory. What earlier writers queued is
   * written before this resolves: a holder that reads the state next sees it.
   */
  async openFencedWriter(id: string): Promise<FencedWriter> {
    if (this.closing) throw closedError()
    const epoch = (this.writerEpochs.get(id) ?? 0) + 1
    this.writerEpochs.set(id, epoch)
    await this.batcher.drain()
    return {
      publish: async (records) => {
        if (this.writerEpochs.get(id) !== epoch) throw fencedError(id)
        return this.publish(records)
      },
      close: async () => undefined,
    }
  }

  /** Per partition, how many records the group has not committed yet. */
  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    if (this.closing) throw closedError()
    return topics.flatMap((name) =>
      this.log.partitionsOf(this.log.requireTopic(name)).map((tp) => {
        const position = Math.max(this.groups.get(groupId)?.position(tp) ?? this.offsets.committed(groupId, tp) ?? 0, this.log.low(tp))
        return { topic: name, partition: tp.partition, lag: Math.max(0, this.log.end(tp) - position), position }
      }),
    )
  }

  /** Runs retention and compaction now (also done periodically); returns how many records went. */
  async maintain(): Promise<number> {
    if (this.closing) return 0
    if (this.maintaining) return 0
    const run = this.maintenance.run(this.groups.keys(), () => this.closing !== undefined)
    this.maintaining = run
    try {
      return await run
    } catch (error) {
      this.logger.error({ err: storageFailure(error, 'run retention and compaction') }, 'embedded bus maintenance failed')
      return 0
    } finally {
      this.maintaining = undefined
    }
  }

  /** Lets pending publishes and the batches in hand finish, then releases the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.maintenanceTimer)
      await Promise.all([...this.consumptions].map((c) => c.stop()))
      this.refusingPublishes = true
      await this.batcher.drain()
      await this.maintaining?.catch(() => undefined)
      closeLogFile(this.options.path, this.db)
    })()
    return this.closing
  }

  private async append(records: OutgoingRecord[]): Promise<void> {
    // SQLite answers synchronously: without this turn, a caller publishing again as soon as its
    // publish resolved would keep the process in microtasks, and timers and sockets would starve.
    await nextTurn()
    try {
      this.log.append(records)
    } catch (error) {
      throw storageFailure(error, `append ${records.length} record(s)`)
    }
    this.wake.notify()
  }
}

function fencedError(id: string): PlatformError {
  return new PlatformError('BUS_FENCED', `a newer writer for ${id} was opened: nothing was written`)
}

function closedError(): PlatformError {
  return new PlatformError('SHUTTING_DOWN', 'the embedded bus is closed')
}
