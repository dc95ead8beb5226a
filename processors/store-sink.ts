import type { Bus, BatchContext, Consumption, IncomingRecord, OutgoingRecord } from '../core/bus/bus.js'
import { header, pipelineTopics } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import { PlatformError, isRetryable } from '../models/errors.js'
import type { Logger } from '../core/logger.js'
import type { Point, Store } from '../core/store/store.js'
import { connectionEvent, connectionEventFields, deviceStatusMeasurement, type ConnectionEvent } from '../models/device-status.js'
import { readingEnvelope } from '../models/reading.js'
import { commandPoint } from '../core/commands/command-history.js'
import { commandEvent } from '../core/commands/device-command.js'
import { pointsRecord } from './points-record.js'
import { deadLetterRecord } from './dead-letter.js'
import { groupIds } from './group-ids.js'
import { envelopeToPoints, type CountedPoint } from './points.js'
import { EndToEndDelays } from '../core/end-to-end-delays.js'
import { retry, waitInSlices, type RetryPolicy } from '../core/retry.js'
import { parseJsonOrUndefined } from '../core/json.js'
import { poisonGuarded } from './poison-records.js'

export const sinkCounterNames = ['received', 'stored', 'points', 'deadLettered', 'writeRetries'] as const
export type SinkCounters = Counters<(typeof sinkCounterNames)[number]>

export interface SinkDeps {
  readonly config: Config
  readonly bus: Bus
  readonly store: Store
  readonly logger: Logger
}

const stage = 'store-sink'

/**
 * Writes canonical readings and computed points to the store in batches and commits their bus
 * offsets only after the store accepted the batch. While the store is down it retries with
 * backoff and takes no new records (the partition waits, heartbeating), so nothing is skipped;
 * replays overwrite.
 */
export class StoreSink {
  readonly counters: SinkCounters = new Counters(stage, sinkCounterNames)
  /** From observation and from broker receipt until the store accepted the reading. */
  readonly delays = new EndToEndDelays(stage)

  constructor(private readonly deps: SinkDeps) {}

  async start(groupId = groupIds.storeSink(this.deps.config.bus.groupPrefix)): Promise<Consumption> {
    const { bus, config, store } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus))
    await this.withRetry(() => store.ensureReady(), () => true, async () => undefined).catch((error: unknown) => {
      // Wrong credentials are the operator's to fix, not a reason to stay down: each batch waits
      // for the store to take them (see withRetry's callers and the poison guard's surroundings).
      if (!PlatformError.is(error, 'STORE_AUTH_FAILED')) throw error
      this.deps.logger.error({ err: error }, 'the store refuses the credentials; consumption waits until it takes them')
    })
    // Batches share no state, so one partition's store write may overlap another's.
    return bus.consume({
      groupId,
      topics: [config.bus.topics.readings, config.bus.topics.footprintPoints, config.bus.topics.deviceStatus, config.bus.topics.deviceCommands],
      partitionsInParallel: config.bus.partitions,
      handleBatch: poisonGuarded((records, context) => this.handleBatch(records, context), this.deps, stage),
    })
  }

  async handleBatch(records: readonly IncomingRecord[], context: BatchContext): Promise<void> {
    const deadLetters: OutgoingRecord[] = []
    const batch: { point: Point; readings: number; source: IncomingRecord }[] = []
    for (const record of records) {
      const decoded = this.pointsOf(record)
      if (typeof decoded === 'string') {
        deadLetters.push(deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, record, [{ code: 'RECORD_INVALID', message: decoded }], this.deps.config.bus.maxRecordBytes))
        continue
      }
      for (const c of decoded) batch.push({ ...c, source: record })
    }

    let stored = 0
    for (let start = 0; start < batch.length; start += this.deps.config.sink.batchMax) {
      const chunk = batch.slice(start, start + this.deps.config.sink.batchMax)
      const outcome = await this.withRetry(() => this.deps.store.write(chunk.map((c) => c.point)), context.isActive, context.heartbeat)
      const refused = new Set(outcome.rejected.map((r) => r.point))
      for (const c of chunk) if (!refused.has(c.point)) stored += c.readings
      this.recordDelays(chunk.filter((c) => c.readings > 0 && !refused.has(c.point)), Date.now())
      for (const rejected of outcome.rejected) {
        const source = chunk.find((c) => c.point === rejected.point)!.source
        const value = Buffer.from(JSON.stringify(rejected.point))
        deadLetters.push(deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, source, [{ code: 'POINT_REJECTED', message: rejected.reason }], this.deps.config.bus.maxRecordBytes, value))
      }
    }
    await this.deps.bus.publish(deadLetters)
    this.counters.add('received', records.length)
    this.counters.add('stored', stored)
    this.counters.add('points', batch.length)
    this.counters.add('deadLettered', deadLetters.length)
  }

  /** The points a record asks to store, or why it cannot be read. Computed points carry no readings of their own. */
  private pointsOf(record: IncomingRecord): CountedPoint[] | string {
    const parsed = parseJsonOrUndefined(record.value)
    if (record.topic === this.deps.config.bus.topics.deviceCommands) {
      const event = commandEvent.safeParse(parsed)
      return event.success ? [{ point: commandPoint(event.data), readings: 0 }] : `not a valid ${record.topic} record: ${event.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
    }
    if (record.topic === this.deps.config.bus.topics.deviceStatus) {
      const event = connectionEvent.safeParse(parsed)
      return event.success ? [{ point: connectionPoint(event.data), readings: 0 }] : `not a valid ${record.topic} record: ${event.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
    }
    const result = record.topic === this.deps.config.bus.topics.footprintPoints ? pointsRecord.safeParse(parsed) : readingEnvelope.safeParse(parsed)
    if (!result.success) return `not a valid ${record.topic} record: ${result.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
    return 'readings' in result.data ? envelopeToPoints(result.data) : result.data.points.map((point) => ({ point, readings: 0 }))
  }

  /** Computed points carry no readings and are left out: their time is a window start. */
  private recordDelays(stored: readonly { point: Point; source: IncomingRecord }[], storedAt: number): void {
    for (const c of stored) {
      this.delays.record('observed', storedAt - c.point.time)
      const receivedAt = Number(c.source.headers[header.receivedAt])
      if (Number.isFinite(receivedAt)) this.delays.record('received', storedAt - receivedAt)
    }
  }

  /** Retries retryable store failures with capped exponential backoff, heartbeating meanwhile. */
  private withRetry<T>(work: () => Promise<T>, isActive: () => boolean, heartbeat: () => Promise<void>): Promise<T> {
    return retry(work, sinkRetryPolicy(this.deps.config.sink), {
      keepGoing: isActive,
      stopped: (error) => new PlatformError('SHUTTING_DOWN', 'sink stopped while the store was failing; the batch will be delivered again', {}, { cause: error }),
      onRetry: (error, attempt, delay) => {
        this.counters.add('writeRetries')
        if (attempt === 0 || attempt % 10 === 0) this.deps.logger.warn({ err: error, attempt, delayMs: Math.round(delay) }, 'store write failed; retrying, consumption paused')
      },
      // Sleep in short slices so the group coordinator keeps hearing from us.
      wait: (delay) => waitInSlices(delay, 1000, { after: heartbeat }),
    })
  }
}

/** A broker's connection event as the point stored beside the device's readings. */
function connectionPoint(event: ConnectionEvent): Point {
  return { measurement: deviceStatusMeasurement, tags: { tenant: event.tenant, site: event.site, device: event.deviceId }, fields: connectionEventFields(event), time: event.at }
}

/** Retryable store failures are retried until the store is back or the sink stops; others fail the batch. */
export function sinkRetryPolicy(sink: Config['sink']): RetryPolicy {
  return { baseMs: 100, factor: 2, maxExponent: 16, capMs: sink.retryMaxMs, jitter: 0.25, maxAttempts: Infinity, retryable: isRetryable }
}
