/**
 * The bare-broker path's process: the platform's own aedes broker with the same authentication,
 * tenant limits and topic checks as `circular broker`, whose ingest builds each raw record and
 * hands it to a bus that keeps nothing and answers at once. What it sustains is the ceiling of
 * what this broker can do on the machine; every end-to-end figure reads as a fraction of it.
 */
import type { Bus } from '../../core/bus/bus.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { startBroker } from '../../broker/mqtt-broker.js'
import { Ingest } from '../../ingest/ingest.js'

const unsupported = (): never => {
  throw new Error('the bare broker has no bus to read from')
}

/** A bus that takes every record and keeps none: the broker's work without Kafka's. */
const nowhere: Bus = {
  publish: async () => undefined,
  consume: unsupported,
  readAll: unsupported,
  ensureTopics: async () => undefined,
  ping: async () => true,
  openFencedWriter: async () => ({ publish: async () => undefined, close: async () => undefined }),
  close: async () => undefined,
}

const config = loadConfig(process.env)
const logger = createLogger(config.logLevel, 'bare-broker')
const broker = await startBroker({ config, registry: new FileRegistry(config.registryFile), ingest: new Ingest(nowhere, config.bus.topics), logger })
logger.info({ url: broker.url }, 'bare broker running')
process.once('SIGTERM', () => {
  void broker.close().finally(() => process.exit(0))
})
