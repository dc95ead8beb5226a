import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ZodScope } from '../../api/deps.js'
import { buildApi } from '../../api/server.js'
import { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { loadConfig, type Config } from '../../core/config.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { SqliteStore } from '../../core/store/sqlite-store.js'
import { silentLogger } from '../core/store/test-database.js'

export interface EmbeddedApi {
  readonly app: ZodScope
  readonly store: SqliteStore
  readonly config: Config
  /** The embedded bus the API hands alert acknowledgements to, when asked for. */
  readonly bus?: EmbeddedBus
  close(): Promise<void>
}

export interface EmbeddedApiOptions {
  /** The bus probe; reachable by default. */
  readonly bus?: () => Promise<boolean>
  /** Open the embedded bus with the alert commands topic and give it to the API for commands, which registers the acknowledgement route. */
  readonly commands?: boolean
}

/**
 * The API as `circular start` builds it without services: a configuration with neither
 * KAFKA_BROKERS nor INFLUX_URL, so the embedded bus and store are the ones in use, and the store
 * a real SQLite file in a temporary state directory.
 */
export async function embeddedApi(options: EmbeddedApiOptions = {}): Promise<EmbeddedApi> {
  const directory = mkdtempSync(join(tmpdir(), 'circular-api-embedded-'))
  const config = loadConfig({ CIRCULAR_STATE_DIR: directory })
  if (config.store.kind !== 'embedded' || config.bus.kind !== 'embedded') throw new Error('expected the embedded bus and store')
  const store = new SqliteStore({ path: config.store.path }, silentLogger)
  await store.ensureReady()
  const bus = options.commands ? new EmbeddedBus({ path: config.bus.path }, silentLogger) : undefined
  await bus?.ensureTopics([{ topic: config.alerts.topics.commands, partitions: 1 }])
  const app = await buildApi({
    config,
    registry: new FileRegistry(config.registryFile),
    store,
    health: { bus: options.bus ?? (async () => true) },
    logger: silentLogger,
    pipelineCounters: () => [],
    ...(bus ? { commands: bus } : {}),
  })
  await app.ready()
  return {
    app,
    store,
    config,
    ...(bus ? { bus } : {}),
    async close() {
      await app.close()
      await bus?.close()
      await store.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
