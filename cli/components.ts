import { apiCounterNames } from '../api/deps.js'
import { buildApi, startApi } from '../api/server.js'
import { startBroker } from '../broker/mqtt-broker.js'
import type { Bus } from '../core/bus/bus.js'
import { KafkaBus } from '../core/bus/kafka-bus.js'
import { pipelineTopics } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import type { Logger } from '../core/logger.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { InfluxStore } from '../core/store/influx-store.js'
import type { Store } from '../core/store/store.js'
import { startBridge } from '../ingest/bridge.js'
import { Ingest } from '../ingest/ingest.js'
import { AlertsProcessor } from '../processors/alerts/alerts-processor.js'
import { AlertNotifier } from '../processors/alerts/notifier.js'
import { RulesSource } from '../processors/alerts/rules-source.js'
import { FootprintProcessor } from '../processors/footprint/footprint-processor.js'
import { InfluxSink } from '../processors/influx-sink.js'
import { Normaliser } from '../processors/normaliser.js'
import type { Stoppable } from './lifecycle.js'

/** What the components of one process share: one bus connection, one store client, one registry. */
export interface Platform {
  readonly config: Config
  readonly logger: Logger
  readonly bus: Bus
  readonly store: Store
  readonly registry: FileRegistry
  readonly counters: Counters[]
}

export function createPlatform(config: Config, logger: Logger): Platform {
  return {
    config,
    logger,
    bus: new KafkaBus(config.kafka, logger.child({ component: 'kafka' })),
    store: new InfluxStore(config.influx, logger.child({ component: 'influxdb' })),
    registry: new FileRegistry(config.registryFile),
    counters: [],
  }
}

export interface Started extends Stoppable {
  /** Where it listens, for the start-up banner. */
  readonly address?: string
}

export async function startBrokerComponent(p: Platform): Promise<Started> {
  await p.bus.ensureTopics(pipelineTopics(p.config.kafka))
  const ingest = new Ingest(p.bus, p.config.kafka.topics)
  p.counters.push(ingest.counters)
  const logger = p.logger.child({ component: 'broker' })
  const broker = await startBroker({ config: p.config, registry: p.registry, ingest, logger })
  if (broker.moved) logger.warn(`port 1883 is taken (another MQTT broker?); listening on ${broker.port} instead; set MQTT_PORT to choose`)
  return { name: 'broker', address: `mqtt://${p.config.mqtt.host}:${broker.port}`, stop: () => broker.close() }
}

export async function startBridgeComponent(p: Platform): Promise<Started> {
  await p.bus.ensureTopics(pipelineTopics(p.config.kafka))
  const ingest = new Ingest(p.bus, p.config.kafka.topics)
  p.counters.push(ingest.counters)
  const bridge = await startBridge({ config: p.config, registry: p.registry, ingest, logger: p.logger.child({ component: 'bridge' }) })
  return { name: 'bridge', address: `${p.config.bridge.url} → Kafka`, stop: () => bridge.close() }
}

export async function startNormaliserComponent(p: Platform): Promise<Started> {
  const normaliser = new Normaliser({ config: p.config, bus: p.bus, registry: p.registry, logger: p.logger.child({ component: 'normaliser' }) })
  p.counters.push(normaliser.counters)
  const consumption = await normaliser.start()
  return { name: 'normaliser', stop: () => consumption.stop() }
}

export async function startSinkComponent(p: Platform): Promise<Started> {
  const sink = new InfluxSink({ config: p.config, bus: p.bus, store: p.store, logger: p.logger.child({ component: 'influx-sink' }) })
  p.counters.push(sink.counters)
  const consumption = await sink.start()
  return { name: 'influx-sink', stop: () => consumption.stop() }
}

export async function startFootprintComponent(p: Platform): Promise<Started> {
  const footprint = new FootprintProcessor({ config: p.config, bus: p.bus, logger: p.logger.child({ component: 'footprint' }) })
  p.counters.push(footprint.counters)
  const consumption = await footprint.start()
  return { name: 'footprint', stop: () => consumption.stop() }
}

export async function startAlertsComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'alerts' })
  const alerts = new AlertsProcessor({ config: p.config, bus: p.bus, rules: new RulesSource(p.config.alerts.rulesFile, logger), logger })
  p.counters.push(alerts.counters)
  const consumption = await alerts.start()
  return { name: 'alerts', stop: () => consumption.stop() }
}

export async function startNotifierComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'alert-notifier' })
  const notifier = new AlertNotifier({ config: p.config, bus: p.bus, rules: new RulesSource(p.config.alerts.rulesFile, logger), logger })
  p.counters.push(notifier.counters)
  const consumption = await notifier.start()
  return { name: 'alert-notifier', stop: () => consumption.stop() }
}

export async function startApiComponent(p: Platform): Promise<Started> {
  const logger = p.logger.child({ component: 'api' })
  // The API serves /health even while InfluxDB is away, so a failed database check only warns.
  await p.store.ensureReady().catch((error: unknown) => logger.warn({ err: error }, 'InfluxDB not ready; queries fail until it is'))
  const counters = new Counters('api', apiCounterNames)
  p.counters.push(counters)
  const app = await buildApi({ config: p.config, registry: p.registry, store: p.store, health: { kafka: () => p.bus.ping() }, logger, counters, pipelineCounters: () => p.counters, commands: p.bus })
  const address = await startApi(app, p.config.api)
  return { name: 'api', address, stop: () => app.close() }
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
