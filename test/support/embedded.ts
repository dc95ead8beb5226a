import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BatchContext, IncomingRecord } from '../../core/bus/bus.js'
import { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { loadConfig, type Config } from '../../core/config.js'
import { SqliteStore, type SqliteStoreOptions } from '../../core/store/sqlite-store.js'
import { createLogger } from '../../core/logger.js'

/**
 * A state directory of its own for one test file, with the embedded bus and store in it, opened
 * as `cli/components.ts` opens them: no Kafka, no InfluxDB, no MQTT. Reopening the bus on the same
 * file is how a test restarts a processor after a stop or a crash.
 */
export interface EmbeddedPlatform {
  readonly config: Config
  readonly dir: string
  /** The store's SQLite file, for a test that holds its write lock from another connection. */
  readonly storePath: string
  /** Opens the bus file (again); only one bus may hold it at a time. */
  openBus(): EmbeddedBus
  openStore(options?: Omit<SqliteStoreOptions, 'path'>): SqliteStore
  /** Closes whatever is still open and deletes the directory. */
  cleanup(): Promise<void>
}

/** Errors only: these tests make batches and writes fail on purpose, and the warnings about them would be noise. */
export const quietLogger = createLogger(process.env.CIRCULAR_TEST_LOG_LEVEL ?? 'error', 'test')

export function embeddedPlatform(overrides: Record<string, string> = {}): EmbeddedPlatform {
  const dir = mkdtempSync(join(tmpdir(), 'circular-embedded-'))
  const config = loadConfig({ CIRCULAR_LOG_LEVEL: process.env.CIRCULAR_TEST_LOG_LEVEL ?? 'error', CIRCULAR_STATE_DIR: dir, ...overrides })
  if (config.bus.kind !== 'embedded' || config.store.kind !== 'embedded') throw new Error('the embedded platform must not be given KAFKA_BROKERS or INFLUX_URL')
  const { path, retentionMs } = config.bus
  const storePath = config.store.path
  const open: { close(): Promise<void> }[] = []
  return {
    config,
    dir,
    storePath,
    openBus: () => {
      const bus = new EmbeddedBus({ path, retentionMs, partitions: config.bus.partitions, maxRecordBytes: config.bus.maxRecordBytes }, quietLogger)
      open.push(bus)
      return bus
    },
    openStore: (options = {}) => {
      const store = new SqliteStore({ path: storePath, ...options }, quietLogger)
      open.push(store)
      return store
    },
    cleanup: async () => {
      for (const resource of open.splice(0).reverse()) await resource.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The context a batch handler gets from a consumer that keeps running, for handing it records read with `readAll`. */
export const runningContext: BatchContext = {
  heartbeat: async () => undefined,
  isActive: () => true,
  publish: () => {
    throw new Error('runningContext has no batch to commit with: call the handler without a context to publish straight to the bus')
  },
}

/** A topic's records grouped by partition, each in offset order: the batches a consumer would be handed. */
export function byPartition(records: readonly IncomingRecord[]): IncomingRecord[][] {
  const partitions = new Map<number, IncomingRecord[]>()
  for (const r of records) partitions.set(r.partition, [...(partitions.get(r.partition) ?? []), r])
  return [...partitions.values()].map((list) => list.sort((a, b) => Number(a.offset) - Number(b.offset)))
}

/** The summed lag of a consumer group over the topics: 0 once it has committed everything on them. */
export async function totalLag(bus: EmbeddedBus, groupId: string, topics: readonly string[]): Promise<number> {
  return (await bus.lag(groupId, topics)).reduce((sum, p) => sum + p.lag, 0)
}

export function json<T = unknown>(record: IncomingRecord): T {
  return JSON.parse(record.value.toString('utf8')) as T
}
