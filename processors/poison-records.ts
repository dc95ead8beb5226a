import type { BatchContext, Bus, IncomingRecord, OutgoingRecord } from '../core/bus/bus.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { PlatformError, type ErrorCode } from '../models/errors.js'
import { deadLetterRecord } from './dead-letter.js'

/**
 * Failures that say something about the platform's surroundings, not about the records: a store
 * refusing the credentials, a missing topic, a broken configuration file. They are retried for as
 * long as it takes, only the failing partition waiting, and never dead-letter data.
 */
const surroundingsCodes = new Set<ErrorCode>(['STORE_AUTH_FAILED', 'STORE_REQUEST_REFUSED', 'STORE_QUERY_FAILED', 'BUS_TOPIC_UNKNOWN', 'BUS_LOCKED', 'CONFIG_INVALID', 'ALERT_RULES_INVALID', 'TENANTS_INVALID', 'REGISTRY_INVALID', 'KEYS_INVALID'])

/** Whether a handler's failure may lie in the records it was given: unexpected errors, and final errors about data. */
export function mayBeTheRecords(error: unknown): boolean {
  if (!(error instanceof PlatformError)) return true
  return !error.canRetry && !surroundingsCodes.has(error.code)
}

export interface PoisonGuardOptions {
  readonly bus: Bus
  readonly deadLetterTopic: string
  /** The stage named in the dead letters, the processor's. */
  readonly stage: string
  readonly maxRecordBytes: number
  readonly logger: Logger
  /** Failures of the same batch before its records are tried apart (default 3). */
  readonly triesBeforeIsolating?: number
}

type HandleBatch = (records: readonly IncomingRecord[], context: BatchContext) => Promise<void>

/**
 * Wraps a processor's batch handler so that one record it cannot handle does not hold its
 * partition for ever. A batch that fails in a way that may lie in its records is handed over
 * again as usual (the bus retries it with a back-off); after `triesBeforeIsolating` failures
 * it is cut in halves, each handled on its own, down to the single record that fails, which goes
 * to the dead-letter topic with the error as its reason, and the rest goes on. Failures that lie
 * in the surroundings (see `mayBeTheRecords`) are never isolated: the partition waits for them.
 */
export function guardAgainstPoison(handle: HandleBatch, options: PoisonGuardOptions): HandleBatch {
  const tries = options.triesBeforeIsolating ?? 3
  // Failures per batch start; a batch that succeeds or is isolated is forgotten.
  const failures = new Map<string, number>()
  // What an attempt published joins the batch only if the attempt succeeds: a failed one's outputs must not be committed.
  const attempt = async (records: readonly IncomingRecord[], context: BatchContext): Promise<void> => {
    const staged: OutgoingRecord[] = []
    await handle(records, { ...context, publish: (published) => void staged.push(...published) })
    if (staged.length > 0) context.publish(staged)
  }

  const isolate = async (records: readonly IncomingRecord[], error: unknown, context: BatchContext): Promise<void> => {
    if (records.length === 1) {
      const record = records[0]!
      const code: ErrorCode = error instanceof PlatformError ? error.code : 'INTERNAL'
      const message = `${options.stage} failed on this record ${tries} times, alone at the last: ${(error as Error).message ?? String(error)}`
      await options.bus.publish([deadLetterRecord(options.deadLetterTopic, options.stage, record, [{ code, message }], options.maxRecordBytes)])
      options.logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset, code }, `record dead-lettered after failing ${tries} times: ${message}`)
      return
    }
    const middle = Math.ceil(records.length / 2)
    for (const half of [records.slice(0, middle), records.slice(middle)]) {
      try {
        // Published at once, not with the batch: a processor reloads its state from the bus after
        // the other half fails, and must find this half's there (its states note the offsets they
        // reflect, so the batch coming again does not apply them twice).
        const staged: OutgoingRecord[] = []
        await handle(half, { ...context, publish: (published) => void staged.push(...published) })
        await options.bus.publish(staged)
      } catch (failure) {
        if (!mayBeTheRecords(failure)) throw failure
        await isolate(half, failure, context)
      }
    }
  }

  return async (records, context) => {
    if (records.length === 0) return handle(records, context)
    const start = `${records[0]!.topic}:${records[0]!.partition}:${records[0]!.offset}`
    try {
      await attempt(records, context)
      failures.delete(start)
    } catch (error) {
      if (!mayBeTheRecords(error)) throw error
      const failed = (failures.get(start) ?? 0) + 1
      if (failed < tries) {
        if (failures.size > 10_000) failures.clear()
        failures.set(start, failed)
        throw error
      }
      failures.delete(start)
      options.logger.warn({ err: error, batch: start, records: records.length }, `batch failed ${tries} times; trying its records apart to find the one that fails`)
      await isolate(records, error, context)
    }
  }
}

/** `guardAgainstPoison` with a processor's bus, dead-letter topic and stage. */
export function poisonGuarded(handle: HandleBatch, deps: { readonly bus: Bus; readonly config: Config; readonly logger: Logger }, stage: string): HandleBatch {
  return guardAgainstPoison(handle, { bus: deps.bus, deadLetterTopic: deps.config.bus.topics.deadLetter, stage, maxRecordBytes: deps.config.bus.maxRecordBytes, logger: deps.logger })
}
