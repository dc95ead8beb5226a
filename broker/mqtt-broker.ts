import { createServer, type Server } from 'node:net'
import { Aedes, type AedesOptions, type Client, type PublishPacket, type Subscription } from 'aedes'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { verifySecret } from '../core/registry/secret.js'
import type { Ingest } from '../ingest/ingest.js'
import { maySubscribe, parseTelemetryTopic } from '../ingest/topic-scheme.js'
import { listenPreferring } from './listen.js'

// MQTT 3.1.1 CONNACK return codes (§3.2.2.3).
const identifierRejected = 2
const serverUnavailable = 3
const badUsernameOrPassword = 4
const notAuthorized = 5

export interface RunningBroker {
  readonly port: number
  /** True when the standard port was taken and another one was chosen. */
  readonly moved: boolean
  close(): Promise<void>
}

/**
 * The MQTT broker devices connect to. It authenticates each device against the registry, lets it
 * publish and subscribe only within its own topics, and acknowledges a QoS 1 PUBLISH only after
 * Kafka has the record: aedes writes PUBACK right after `authorizePublish` calls back, so the
 * hand-over to Kafka happens inside that hook.
 */
export async function startBroker(deps: { config: Config; registry: DeviceRegistry; ingest: Ingest; logger: Logger }): Promise<RunningBroker> {
  const { config, registry, ingest, logger } = deps
  const devices = new WeakMap<Client, Device>()

  const authenticate: AedesOptions['authenticate'] = (client, username, password, done) => {
    const refuse = (returnCode: number, message: string): void => {
      logger.warn({ clientId: client.id, username }, `connection refused: ${message}`)
      done(Object.assign(new Error(message), { returnCode }), false)
    }
    let device: Device | undefined
    try {
      device = username === undefined ? undefined : registry.get(username)
    } catch (error) {
      logger.error({ err: error }, 'device registry unreadable')
      return refuse(serverUnavailable, 'device registry unreadable')
    }
    if (!device || !password) return refuse(badUsernameOrPassword, 'unknown device or missing secret')
    // A client id of another device would let this one take over that device's session.
    if (client.id !== device.id && !client.id.startsWith(`${device.id}:`)) {
      return refuse(identifierRejected, `client id must be "${device.id}" or start with "${device.id}:"`)
    }
    verifySecret(password.toString('utf8'), device.secretHash).then(
      (ok) => {
        if (!ok) return refuse(badUsernameOrPassword, 'wrong secret')
        devices.set(client, device)
        done(null, true)
      },
      () => refuse(notAuthorized, 'secret check failed'),
    )
  }

  const authorizePublish: AedesOptions['authorizePublish'] = (client, packet, done) => {
    if (!client) return done(null)
    const device = devices.get(client)
    const refusal = device ? publishRefusal(device, packet, config.mqtt.maxPayloadBytes) : 'not authenticated'
    if (refusal) {
      logger.warn({ deviceId: device?.id, topic: packet.topic }, `publish refused: ${refusal}`)
      // MQTT-3.3.5-2: a refused PUBLISH cannot be answered in 3.1.1; closing the connection
      // tells the device, and nothing reaches Kafka.
      return done(new Error(`publish refused: ${refusal}`))
    }
    const topic = parseTelemetryTopic(packet.topic)!
    // Telemetry is a stream, not state: a retained copy would replay old readings to subscribers.
    packet.retain = false
    ingest
      .accept({ device: device!, mqttTopic: packet.topic, format: topic.format, payload: toBuffer(packet.payload), receivedAt: Date.now() })
      .then(
        () => done(null),
        (error: unknown) => {
          // No PUBACK: the device keeps the message and sends it again after reconnecting.
          logger.error({ err: error, deviceId: device!.id }, 'hand-over to Kafka failed; message not acknowledged')
          done(error as Error)
        },
      )
  }

  const authorizeSubscribe: AedesOptions['authorizeSubscribe'] = (client, subscription: Subscription, done) => {
    const device = devices.get(client)
    if (device && maySubscribe(subscription.topic, device)) return done(null, subscription)
    logger.warn({ deviceId: device?.id, topic: subscription.topic }, 'subscription refused')
    done(null, null) // SUBACK 0x80 for this filter (MQTT-3.9.3)
  }

  const aedes = await Aedes.createBroker({ authenticate, authorizePublish, authorizeSubscribe, maxClientsIdLength: 256 })
  const server: Server = createServer((socket) => aedes.handle(socket))
  const { port, moved } = await listenPreferring(server, config.mqtt.host, config.mqtt.port, 1883)
  return {
    port,
    moved,
    close: () =>
      new Promise<void>((resolve) => {
        server.close()
        aedes.close(() => resolve())
      }),
  }
}

/** Why a device may not publish this packet, or undefined when it may. */
function publishRefusal(device: Device, packet: PublishPacket, maxPayloadBytes: number): string | undefined {
  const topic = parseTelemetryTopic(packet.topic)
  if (!topic) return `"${packet.topic}" is not a telemetry topic`
  if (topic.deviceId !== device.id) return `device "${device.id}" may not publish for "${topic.deviceId}"`
  if (topic.apiKey !== undefined && topic.apiKey !== device.apiKey) return 'API key in the topic does not match the device'
  const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
  if (size > maxPayloadBytes) return `payload of ${size} bytes exceeds the limit of ${maxPayloadBytes}`
  return undefined
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
}
