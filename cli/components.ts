import { apiCounterNames } from '../api/deps.js'
import { ensureBootstrapKey } from '../api/auth/bootstrap-key.js'
import { buildApi, startApi } from '../api/server.js'
import { startBroker } from '../broker/mqtt-broker.js'
import type { Bus } from '../core/bus/bus.js'
import { EmbeddedBus } from '../core/bus/embedded-bus.js'
import { KafkaBus } from '../core/bus/kafka-bus.js'
import { pipelineTopics } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import type { Logger } from '../core/logger.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { InfluxStore } from '../core/store/influx-store.js'
import { SqliteStore } from '../core/store/sqlite-store.js'
import type { Store } from '../core/store/store.js'
import { startBridge } from '../ingest/bridge.js'
import { Ingest } from '../ingest/ingest.js'
import { AlertsProcessor } from '../processors/alerts/alerts-processor.js'
import { AlertNotifier } from '../processors/alerts/notifier.js'
import { RulesSource } from '../processors/alerts/rules-source.js'
import { FootprintProcessor } from '../processors/footprint/footprint-processor.js'
import type { EndToEndDelays } from '../core/end-to-end-delays.js'
import { startHealthReporter } from '../processors/health/health-reporter.js'
import { StoreSink } from '../processors/store-sink.js'
import { Normaliser } from '../processors/normaliser.js'
import { RegistryMirror } from '../processors/registry-mirror.js'
import type { Stoppable } from './lifecycle.js'
import { GroupProgressWatch } from '../processors/health/group-progress.js'
import { pipelineGroups } from '../processors/health/consumer-groups.js'

/** What the components of one process share: one bus connection, one store client, one registry. */
export interface Platform {
  readonly config: Config
  readonly logger: Logger
  readonly bus: Bus
  readonly store: Store
  readonly registry: FileRegistry
  readonly counters: Counters[]
  /** End-to-end delay summaries of the hops that store data, for the health reporter. */
  readonly delays: EndToEndDelays[]
  /** Components started so far, in order, so a later one can find an earlier one's address. */
  readonly started: Started[]
}

export function createPlatform(config: Config, logger: Logger): Platform {
  return {
    config,
    logger,
    bus: createBus(config, logger),
    store: createStore(config, logger),
    registry: new FileRegistry(config.registryFile),
    counters: [],
    delays: [],
    started: [],
  }
}

/** Kafka when brokers are configured, else the embedded bus (which belongs to this one process). */
function createBus(config: Config, logger: Logger): Bus {
  if (config.bus.kind === 'kafka') return new KafkaBus(config.kafka, logger.child({ component: 'kafka' }), { maxRecordBytes: config.bus.maxRecordBytes })
  return new EmbeddedBus({ path: config.bus.path, retentionMs: config.bus.retentionMs, partitions: config.bus.partitions, maxRecordBytes: config.bus.maxRecordBytes }, logger.child({ component: 'embedded-bus' }))
}

/** InfluxDB when a URL is configured, else the embedded SQLite store. */
function createStore(config: Config, logger: Logger): Store {
  if (config.store.kind === 'influxdb') return new InfluxStore(config.influx, logger.child({ component: 'influxdb' }))
  return new SqliteStore({ path: config.store.path }, logger.child({ component: 'embedded-store' }))
}

export interface Started extends Stoppable {
  /** Where it listens, for the start-up banner. */
  readonly address?: string
  /** Something the operator should know, e.g. that a standard port was taken. */
  readonly note?: string
}

export async function startBrokerComponent(p: Platform): Promise<Started> {
  await p.bus.ensureTopics(pipelineTopics(p.config.bus))
  const ingest = new Ingest(p.bus, p.config.bus.topics)
  p.counters.push(ingest.counters)
  const logger = p.logger.child({ component: 'broker' })
  const broker = await startBroker({ config: p.config, registry: p.registry, ingest, bus: p.bus, logger })
  p.counters.push(broker.counters)
  const notes = [
    ...(broker.moved ? [`MQTT port 1883 is taken (another MQTT broker?); listening on ${broker.port} instead; set MQTT_PORT to choose`] : []),
    ...(broker.urls.length > 1 ? [`MQTT also at ${broker.urls.slice(1).join(', ')}`] : []),
  ]
  const note = notes.length > 0 ? notes.join('; ') : undefined
  if (broker.moved) logger.warn(notes[0])
  return { name: 'broker', address: broker.url, note, stop: () => broker.close() }
}

export async function startBridgeComponent(p: Platform): Promise<Started> {
  await p.bus.ensureTopics(pipelineTopics(p.config.bus))
  const ingest = new Ingest(p.bus, p.config.bus.topics)
  p.counters.push(ingest.counters)
  const bridge = await startBridge({ config: p.config, registry: p.registry, ingest, logger: p.logger.child({ component: 'bridge' }) })
  p.counters.push(bridge.counters)
  return { name: 'bridge', address: `${p.config.bridge.url} → ${p.config.bus.kind === 'kafka' ? 'Kafka' : 'embedded bus'}`, stop: () => bridge.close() }
}

export async function startNormaliserComponent(p: Platform): Promise<Started> {
  const normaliser = new Normaliser({ config: p.config, bus: p.bus, registry: p.registry, logger: p.logger.child({ component: 'normaliser' }) })
  p.counters.push(normaliser.counters)
  const consumption = await normaliser.start()
  // The normaliser reads the registry anyway: its processes also tell the bus which devices were removed.
  const mirror = new RegistryMirror({ config: p.config, bus: p.bus, registry: p.registry, logger: p.logger.child({ component: 'registry-mirror' }) })
  p.counters.push(mirror.counters)
  const mirroring = await mirror.start()
  return {
    name: 'normaliser',
    stop: async () => {
      await mirroring.stop()
      await consumption.stop()
    },
  }
}

export async function startSinkComponent(p: Platform): Promise<Started> {
  const sink = new StoreSink({ config: p.config, bus: p.bus, store: p.store, logger: p.logger.child({ component: 'store-sink' }) })
  p.counters.push(sink.counters)
  p.delays.push(sink.delays)
  const consumption = await sink.start()
  return { name: 'store-sink', stop: () => consumption.stop() }
}

export async function startFootprintComponent(p: Platform): Promise<Started> {
  const footprint = new FootprintProcessor({ config: p.config, bus: p.bus, logger: p.logger.child({ component: 'footprint' }) })
  p.counters.push(footprint.counters)
  const consumption = await footprint.start()
  return { name: 'footprint', stop: () => consumption.stop() }
}

export async function startAlertsComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'alerts' })
  const alerts = new AlertsProcessor({ config: p.config, bus: p.bus, rules: new RulesSource(p.config.alerts.rulesFile, logger, { optional: !p.config.alerts.rulesFileRequired }), logger })
  p.counters.push(alerts.counters)
  const consumption = await alerts.start()
  return { name: 'alerts', stop: () => consumption.stop() }
}

export async function startNotifierComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'alert-notifier' })
  const notifier = new AlertNotifier({ config: p.config, bus: p.bus, rules: new RulesSource(p.config.alerts.rulesFile, logger, { optional: !p.config.alerts.rulesFileRequired }), logger })
  p.counters.push(notifier.counters)
  const consumption = await notifier.start()
  return { name: 'alert-notifier', stop: () => consumption.stop() }
}

export async function startApiComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'api' })
  // The API serves /health even while the store is away, so a failed database check only warns.
  await p.store.ensureReady().catch((error: unknown) => logger.warn({ err: error }, 'store not ready; queries fail until it is'))
  const counters = new Counters('api', apiCounterNames)
  p.counters.push(counters)
  // Processors may run in other processes: the API asks the bus how far their groups have come.
  const progress = new GroupProgressWatch(p.bus, pipelineGroups(p.config), { intervalMs: Math.min(5000, Math.ceil(p.config.health.groupStallMs / 3)), stallAfterMs: p.config.health.groupStallMs }, logger)
  const app = await buildApi({ config: p.config, registry: p.registry, store: p.store, health: { bus: () => p.bus.ping(), stalledGroups: () => progress.stalls() }, logger, counters, pipelineCounters: () => p.counters, commands: p.bus })
  const address = await startApi(app, p.config.api)
  progress.start()
  const keyFile = ensureBootstrapKey(p.config)
  const note = keyFile ? `first start: a platform admin API key is in ${keyFile} (readable by you only); send it as "Authorization: Bearer <key>", create your own with "circular keys create" and revoke this one` : undefined
  return {
    name: 'api',
    address,
    note,
    stop: async () => {
      await progress.stop()
      await app.close()
    },
  }
}

/** Writes per-hop counters, dead-letter reasons, consumer lag and end-to-end delay to the store for the health dashboard. */
export async function startHealthComponent(p: Platform): Promise<Started> {
  const reporter = await startHealthReporter({ config: p.config, store: p.store, bus: p.bus, counters: () => p.counters, delays: () => p.delays, registry: p.registry, logger: p.logger.child({ component: 'health' }) })
  return { name: 'health', stop: () => reporter.stop() }
}

/** Closes the shared clients after the components that use them have stopped. */
export function platformCloser(p: Platform): Stoppable {
  return {
    name: 'clients',
    stop: async () => {
      await p.bus.close()
      await p.store.close()
    },
  }
}
