import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApi } from '../../api/server.js'
import { loadConfig, type Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'
import type { Device } from '../../core/registry/device.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import type { DeviceRegistry } from '../../core/registry/registry.js'
import { hashSecret } from '../../core/registry/secret.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import type { Logger } from '../../core/logger.js'
import { InfluxStore } from '../../core/store/influx-store.js'
import type { Store } from '../../core/store/store.js'
import { apiCounterNames, type ApiCounter, type ZodScope } from '../../api/deps.js'
import { dropDatabase, influxUrl, silentLogger } from '../core/store/test-database.js'
import type { Role } from '../../core/registry/api-key.js'
import { bearer, createTestKey } from '../support/api-auth.js'

export interface ApiFixture {
  readonly app: ZodScope
  readonly store: InfluxStore
  readonly registry: FileRegistry
  readonly config: Config
  readonly counters: Counters<ApiCounter>
  /** Headers of a platform admin, which may call every endpoint. */
  readonly admin: { authorization: string }
  /** Headers of a new key with this role, for a tenant or (without one) the platform. */
  as(role: Role, tenant?: string): { authorization: string }
  close(): Promise<void>
}

export interface FixtureOptions {
  /** The bus probe (the bus is Kafka here); the API tests have no Kafka of their own. */
  readonly bus?: () => Promise<boolean>
  /** InfluxDB address, e.g. a closed port for the unreachable cases. */
  readonly influxUrl?: string
  /** Skip creating the database, for the cases where it must be missing. */
  readonly createDatabase?: boolean
  /** Stand-ins for the failure cases the real components cannot produce on demand. */
  readonly registry?: (real: FileRegistry) => DeviceRegistry
  readonly store?: (real: InfluxStore) => Store
  /** Give the API the real Kafka bus for commands, which registers the alert acknowledgement route. */
  readonly commands?: boolean
  /** Where the API logs; silent by default. */
  readonly logger?: Logger
  /** Extra environment, e.g. a low rate limit. */
  readonly env?: Record<string, string>
}

/** An API over a real InfluxDB database of its own and a registry file in a temporary folder. */
export async function apiFixture(options: FixtureOptions = {}): Promise<ApiFixture> {
  const directory = mkdtempSync(join(tmpdir(), 'circular-api-'))
  const database = `test_${Math.random().toString(36).slice(2, 12)}`
  const config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', CIRCULAR_STATE_DIR: directory, INFLUX_URL: options.influxUrl ?? influxUrl, INFLUX_DB: database, INFLUX_TIMEOUT_MS: '5000', API_PORT: '0', ...options.env })
  const registry = new FileRegistry(config.registryFile)
  const store = new InfluxStore(config.influx, silentLogger)
  if (options.createDatabase !== false && options.influxUrl === undefined) await store.ensureReady()
  const counters = new Counters<ApiCounter>('api', apiCounterNames)
  const bus = options.commands ? new KafkaBus(config.kafka, silentLogger) : undefined
  const app = await buildApi({
    ...(bus ? { commands: bus } : {}),
    config,
    registry: options.registry?.(registry) ?? registry,
    store: options.store?.(store) ?? store,
    health: { bus: options.bus ?? (async () => true) },
    logger: options.logger ?? silentLogger,
    counters,
    pipelineCounters: () => [counters],
  })
  await app.ready()
  return {
    app,
    store,
    registry,
    config,
    counters,
    admin: bearer(createTestKey(config, { role: 'admin' })),
    as: (role, tenant) => bearer(createTestKey(config, { role, ...(tenant !== undefined ? { tenant } : {}) })),
    async close() {
      await app.close()
      await bus?.close()
      await store.close()
      if (options.influxUrl === undefined) await dropDatabase(database)
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** Registers a device the way `circular devices add` does, with a real secret hash. */
export async function addDevice(registry: FileRegistry, fields: Partial<Device> & Pick<Device, 'id'>): Promise<Device> {
  const device: Device = {
    tenant: 'city',
    site: 'north',
    kind: 'waste_container',
    format: 'ngsi-ld',
    apiKey: 'city-key',
    secretHash: await hashSecret(`secret-of-${fields.id}`),
    createdAt: new Date('2026-01-01T00:00:00Z').toISOString(),
    ...fields,
  }
  registry.add(device)
  return device
}

/** The tags the sink writes for a device's points. */
export function seriesTags(device: Device): Record<string, string> {
  return { tenant: device.tenant, site: device.site, device: device.id, kind: device.kind }
}
