import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import type { Config } from '../core/config.js'
import { PlatformError } from '../models/errors.js'
import type { Logger } from '../core/logger.js'
import { retry, type RetryPolicy } from '../core/retry.js'
import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { TenantPolicies } from '../core/registry/tenants.js'
import { RefusalCounters } from './refusal-counters.js'
import { TenantGate, type PublishAdmission } from './tenant-gate.js'
import type { Ingest } from './ingest.js'
import { parseTelemetryTopic } from './topic-scheme.js'

/** What the bridge decided about one message, kept across retries of its hand-over. */
interface MessageState {
  admission?: PublishAdmission
  counted?: boolean
}

/** Every telemetry topic of the scheme in `topic-scheme.ts`, as subscription filters. */
export const bridgeFilters = ['devices/+/ngsi-ld', 'devices/+/senml', 'devices/+/attrs', '/json/+/+/attrs', '/json/+/+/attrs/+', '/ul/+/+/attrs', '/ul/+/+/attrs/+', '/+/+/attrs']

export interface RunningBridge {
  readonly client: MqttClient
  /** Messages refused for their tenant's limits, in total and per tenant (`payload_too_large`, `rate_refused`). */
  readonly counters: RefusalCounters
  close(): Promise<void>
}

/**
 * Carries telemetry from an external MQTT broker (e.g. Mosquitto) onto the bus. It holds a
 * persistent QoS 1 session, and mqtt.js sends each PUBACK only after `handleMessage` calls back,
 * which happens once the bus has the record; until then the external broker keeps the message.
 * The external broker authenticates devices, so the topic alone names the device here; a message
 * from an unregistered device or with a wrong API key goes to the dead-letter topic.
 *
 * mqtt.js handles one message per connection at a time, so one bridge carries about one message
 * per bus round trip. With `shareGroup`, several bridges (each with its own client id) subscribe
 * as one MQTT shared subscription (`$share/<group>/<filter>`, Mosquitto 2 also for 3.1.1 clients)
 * and the external broker hands each message to one of them. A message queued for a bridge that
 * is away stays in that bridge's session, so each must come back with its own client id.
 *
 * Each tenant's payload limit and per-device rate (the broker's `TenantGate`) apply here too, but
 * nothing is held back: the bridge's one connection carries every device of every tenant, so
 * holding back one device's message would stall all the others behind it. A message over a limit
 * is acknowledged and goes to the dead-letter topic with its reason instead of to the readings,
 * and is counted for its tenant.
 */
export async function startBridge(deps: { config: Config; registry: DeviceRegistry; ingest: Ingest; logger: Logger; tenants?: TenantPolicies }): Promise<RunningBridge> {
  const { config, registry, ingest, logger } = deps
  const tenants = deps.tenants ?? new TenantPolicies(config.auth.tenantsFile, config.mqtt.maxPayloadBytes)
  const counters = new RefusalCounters('bridge')
  const gate = new TenantGate((tenant) => tenants.limitsFor(tenant))
  let closing = false
  const client = mqtt.connect(config.bridge.url, {
    clientId: config.bridge.clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    ...(config.bridge.username ? { username: config.bridge.username } : {}),
    ...(config.bridge.password ? { password: config.bridge.password } : {}),
  })

  /** The message's admission, decided once: a hand-over retried after a bus failure is not charged to the device again. */
  const admit = (message: MessageState, device: Device, bytes: number, at: number): PublishAdmission => (message.admission ??= gate.admitPublish(device, bytes, at, 0))

  const hand = async (packet: IPublishPacket, message: MessageState): Promise<void> => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const receivedAt = Date.now()
    const topic = parseTelemetryTopic(packet.topic)
    const device = topic ? registry.get(topic.deviceId) : undefined
    const deviceId = topic?.deviceId ?? ''
    if (!topic || !device) {
      const reason = topic ? `device "${topic.deviceId}" is not registered` : `"${packet.topic}" is not a telemetry topic`
      return ingest.refuse({ deviceId, mqttTopic: packet.topic, payload, receivedAt, code: 'DEVICE_UNKNOWN', reason })
    }
    if (topic.apiKey !== undefined && topic.apiKey !== device.apiKey) {
      return ingest.refuse({ deviceId, mqttTopic: packet.topic, payload, receivedAt, code: 'DEVICE_MISMATCH', reason: 'API key in the topic does not match the device' })
    }
    const admission = admit(message, device, payload.length, receivedAt)
    if (admission.kind === 'refused') {
      if (!message.counted) {
        message.counted = true
        counters.count(admission.counter, device.tenant)
        logger.warn({ deviceId, tenant: device.tenant, topic: packet.topic }, `bridged message dead-lettered: ${admission.reason}`)
      }
      if (admission.counter === 'payload_too_large') {
        // Only the first bytes: the whole payload may be more than the bus takes in one record (1 MiB on Kafka by default).
        const kept = payload.subarray(0, tenants.limitsFor(device.tenant).maxPayloadBytes)
        return ingest.refuse({ deviceId, mqttTopic: packet.topic, payload: kept, receivedAt, code: 'PAYLOAD_TOO_LARGE', reason: `${admission.reason}; the first ${kept.length} bytes are kept` })
      }
      return ingest.refuse({ deviceId, mqttTopic: packet.topic, payload, receivedAt, code: 'TENANT_LIMIT_REACHED', reason: admission.reason })
    }
    await ingest.accept({ device, mqttTopic: packet.topic, format: topic.format, payload, receivedAt })
  }

  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback()
    const message: MessageState = {}
    void handOverWithRetry(() => hand(packet, message), () => closing, logger).then(
      () => callback(),
      // Only when shutting down: leave the message unacknowledged for the next session.
      (error: unknown) => logger.warn({ err: error }, 'bridge stopped before the bus took a message; it stays with the external broker'),
    )
  }
  client.on('error', (error) => logger.error({ err: error }, 'bridge connection error'))
  client.on('reconnect', () => logger.info('bridge reconnecting'))

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  const filters = subscriptionFilters(config.bridge.shareGroup)
  await client.subscribeAsync(Object.fromEntries(filters.map((topic) => [topic, { qos: 1 as const }])))
  logger.info({ url: config.bridge.url, filters }, 'bridge subscribed')
  return {
    client,
    counters,
    close: async () => {
      closing = true
      await client.endAsync(true)
    },
  }
}

/** The bridge's filters, as one shared subscription when a share group is set. */
export function subscriptionFilters(shareGroup: string | undefined): string[] {
  return shareGroup === undefined ? [...bridgeFilters] : bridgeFilters.map((filter) => `$share/${shareGroup}/${filter}`)
}

/**
 * Retries with capped exponential backoff until the hand-over succeeds or the bridge closes. Even
 * a failure that looks permanent (an unreadable registry) is retried: the message must not be
 * acknowledged without a home, and the log says why it waits.
 */
export const handOverRetryPolicy: RetryPolicy = { baseMs: 200, factor: 2, capMs: 10_000, jitter: 0, maxAttempts: Infinity, retryable: () => true }

function handOverWithRetry(work: () => Promise<void>, closing: () => boolean, logger: Logger): Promise<void> {
  return retry(work, handOverRetryPolicy, {
    keepGoing: () => !closing(),
    stopped: (error) => new PlatformError('SHUTTING_DOWN', 'bridge is closing', {}, { cause: error }),
    onRetry: (error, _attempt, delay) => logger.warn({ err: error, delayMs: delay }, 'hand-over to the bus failed; retrying'),
  })
}
