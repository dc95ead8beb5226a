import { randomUUID } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import { TLSSocket } from 'node:tls'
import { Aedes, type AedesOptions, type Client, type PublishPacket, type PubrelPacket, type Subscription } from 'aedes'
import type { Bus, Consumption } from '../core/bus/bus.js'
import type { CommandEvent } from '../core/commands/device-command.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { TenantPolicies } from '../core/registry/tenants.js'
import type { Ingest } from '../ingest/ingest.js'
import { maySubscribe, parseTelemetryTopic, publishRefusal, statusTopic } from '../ingest/topic-scheme.js'
import { reportedStatus, type ConnectionEvent } from '../models/device-status.js'
import { RefusalCounters, type RefusalCounter } from '../ingest/refusal-counters.js'
import { retry, type RetryPolicy } from '../core/retry.js'
import { answerTopics, commandOfMessage, parseCommandAnswer } from '../ingest/commands.js'
import { startCommandDispatch } from './command-dispatch.js'
import { ConnectionEvents } from './connection-events.js'
import { sessionBackends } from './session-store.js'
import { DeviceSessions } from './device-sessions.js'
import { FailedLogins } from './failed-logins.js'
import { InboundPublishes } from './inbound-publishes.js'
import { SecretChecks } from './secret-checks.js'
import { SecretUpgrades } from './secret-upgrades.js'
import { startListeners, type Connection } from './listeners.js'
import { guardPacketSize } from './packet-size-guard.js'
import { guardProtocolLevel } from './protocol-level-guard.js'
import { TenantGate } from '../ingest/tenant-gate.js'

/** A status event the bus does not take is tried again for about a minute, then counted as lost. */
const statusRetryPolicy: RetryPolicy = { baseMs: 200, factor: 2, capMs: 10_000, jitter: 0.25, maxAttempts: 10, retryable: () => true }

// MQTT 3.1.1 CONNACK return codes (§3.2.2.3).
const identifierRejected = 2
const serverUnavailable = 3
const badUsernameOrPassword = 4
const notAuthorized = 5

export interface RunningBroker {
  /** The first listener's port: the plain one, or the TLS one when plain MQTT is off. */
  readonly port: number
  /** The first listener, e.g. `mqtt://127.0.0.1:1883`. */
  readonly url: string
  /** Every listener, e.g. `mqtt://127.0.0.1:1883` and `mqtts://127.0.0.1:8883`. */
  readonly urls: readonly string[]
  readonly tlsPort?: number
  /** True when the standard port was taken and another one was chosen. */
  readonly moved: boolean
  readonly counters: RefusalCounters
  close(): Promise<void>
}

export interface BrokerDeps {
  readonly config: Config
  readonly registry: DeviceRegistry
  readonly ingest: Ingest
  /** Where commands to devices come from; without it this broker sends none (it still records deliveries and answers). */
  readonly bus?: Bus
  readonly logger: Logger
  /** Per-tenant limits; read from `config.auth.tenantsFile` when not given. */
  readonly tenants?: TenantPolicies
}

/**
 * The MQTT broker devices connect to. It authenticates each device against the registry (secret,
 * or client certificate whose CN is the device id), holds each tenant to its limits, lets a device
 * publish and subscribe only within its own topics, and acknowledges a QoS 1 PUBLISH only after
 * the bus has the record: aedes writes PUBACK right after `authorizePublish` calls back, so the
 * hand-over to the bus happens inside that hook.
 */
export async function startBroker(deps: BrokerDeps): Promise<RunningBroker> {
  const { config, registry, ingest, logger } = deps
  const tenants = deps.tenants ?? new TenantPolicies(config.auth.tenantsFile, config.mqtt.maxPayloadBytes)
  const counters = new RefusalCounters()
  const gate = new TenantGate((tenant) => tenants.limitsFor(tenant))
  const devices = new WeakMap<Client, Device>()
  /** What each client came in over: its address (failed attempts are counted per address) and whether over TLS. */
  const connections = new WeakMap<Client, Connection>()
  const checks = new SecretChecks()
  const upgrades = new SecretUpgrades(registry, logger)
  const logins = new FailedLogins()
  const sessions = new DeviceSessions(config.mqtt.maxSessionsPerDevice, (client, deviceId) => {
    const why = `session taken over: the device opened more than MQTT_MAX_SESSIONS_PER_DEVICE (${config.mqtt.maxSessionsPerDevice})`
    logger.info({ deviceId, clientId: client.id }, why)
    statusEvents.closedByBroker(client, why)
    client.close()
  })
  // Names this broker instance in the sessions it tells of.
  const brokerId = randomUUID().slice(0, 8)
  const statusEvents = new ConnectionEvents(brokerId)
  /** Set while the broker shuts down: its devices did not go offline, the broker did. */
  let closing = false
  const tellConnection = (event: ConnectionEvent): void => {
    // Retried for about a minute: the bus may be restarting; the device does not send these again.
    retry(() => ingest.connectionEvent(event), statusRetryPolicy).catch((error: unknown) => {
      counters.count('status_event_lost', event.tenant)
      logger.error({ err: error, deviceId: event.deviceId, connection: event.connection, reason: event.reason, session: event.session }, 'device status event not recorded: the bus did not take it')
    })
  }
  const inbound = new InboundPublishes()
  const certificatesOnly = config.mqtt.tls?.clientCerts === 'required'

  const authenticate: AedesOptions['authenticate'] = (client, username, password, done) => {
    const refuse = (returnCode: number, message: string, tenant?: string): void => {
      counters.count(returnCode === serverUnavailable && tenant !== undefined ? 'device_limit_refused' : 'auth_refused', tenant)
      logger.warn({ clientId: client.id, username, tenant }, `connection refused: ${message}`)
      done(Object.assign(new Error(message), { returnCode }), false)
    }
    const certificateName = verifiedCertificateName(client)
    const claimed = certificateName ?? username
    let device: Device | undefined
    try {
      device = claimed === undefined ? undefined : registry.get(claimed)
    } catch (error) {
      logger.error({ err: error }, 'device registry unreadable')
      return refuse(serverUnavailable, 'device registry unreadable')
    }
    if (!device) return refuse(badUsernameOrPassword, 'unknown device')
    if (username !== undefined && username !== device.id) return refuse(badUsernameOrPassword, 'user name is not the device of the certificate', device.tenant)
    // A client id of another device would let this one take over that device's session.
    if (client.id !== device.id && !client.id.startsWith(`${device.id}:`)) {
      return refuse(identifierRejected, `client id must be "${device.id}" or start with "${device.id}:"`, device.tenant)
    }
    const admit = (d: Device): void => {
      // A Last Will is published when the session ends, perhaps by another broker instance long after: its topic is checked now.
      const will = (client as unknown as { _will?: { topic?: unknown } })._will
      const willRefusal = will === undefined || will === null ? undefined : typeof will.topic !== 'string' ? 'a last will without a topic' : will.topic === statusTopic(d.id) ? undefined : publishRefusal(will.topic, d)
      if (willRefusal !== undefined) {
        counters.count('acl_refused', d.tenant)
        return refuse(notAuthorized, `last will refused: ${willRefusal}`, d.tenant)
      }
      if (!gate.connect(d)) return refuse(serverUnavailable, `tenant "${d.tenant}" has its maximum number of devices connected`, d.tenant)
      devices.set(client, d)
      sessions.opened(d.id, client)
      done(null, true)
    }
    if (certificateName !== undefined) return admit(device)
    if (certificatesOnly && connections.get(client)?.secure === true) return refuse(notAuthorized, 'this listener accepts client certificates only', device.tenant)
    if (!password) return refuse(badUsernameOrPassword, 'missing secret', device.tenant)
    const known = device
    const secret = password.toString('utf8')
    const address = connections.get(client)?.remoteAddress
    const succeed = (): void => {
      logins.succeeded(known.id)
      admit(known)
    }
    const fail = (): void => {
      logins.failed(known.id, address)
      const next = logins.gate(known.id, address)
      // A wrong secret is answered late once its device or address has failed a few times: guessing costs time, the broker nothing.
      const wait = next.kind === 'delayed' ? next.delayMs : 0
      setTimeout(() => refuse(badUsernameOrPassword, 'wrong secret', known.tenant), wait)
    }
    const throttled = (retryAfterMs: number): void => {
      counters.count('auth_throttled', known.tenant)
      refuse(notAuthorized, `too many failed attempts from ${address ?? 'this address'}; refused unchecked for ${Math.ceil(retryAfterMs / 1000)} s`, known.tenant)
    }
    const check = async (): Promise<void> => {
      const cheap = await checks.cheap(known, secret)
      if (cheap === true) return succeed()
      const entry = logins.gate(known.id, address)
      if (entry.kind === 'refused') return throttled(entry.retryAfterMs)
      if (cheap === false) return fail()
      if (entry.kind === 'delayed') await new Promise((resolve) => setTimeout(resolve, entry.delayMs))
      const ok = await checks.slow(known, secret, () => logins.gate(known.id, address).kind !== 'refused')
      if (ok === undefined) {
        const now = logins.gate(known.id, address)
        return throttled(now.kind === 'refused' ? now.retryAfterMs : 0)
      }
      if (!ok) return fail()
      succeed()
      upgrades.proved(known, secret).catch((error: unknown) => logger.warn({ err: error, deviceId: known.id }, 'secret hash not queued for rewriting'))
    }
    check().catch(() => refuse(notAuthorized, 'secret check failed', known.tenant))
  }

  const authorizePublish: AedesOptions['authorizePublish'] = (client, packet, done) => {
    // A will stored by a broker instance that stopped (Redis session store), published by this one:
    // the session it belonged to is gone, and whatever it says is stale, so it is not published.
    if (isStoredWill(packet) && (client === null || !client.closed)) {
      const { clientId, brokerId } = packet as unknown as { clientId: string; brokerId: string }
      logger.info({ clientId, topic: packet.topic }, 'last will of a session on a broker instance that stopped: not published')
      const store = (aedes as unknown as { persistence: { delWill(will: { id: string; brokerId: string }): Promise<unknown> } }).persistence
      store.delWill({ id: clientId, brokerId }).then(
        () => done(new Error('last will of an ended broker instance')),
        () => done(new Error('last will of an ended broker instance')),
      )
      return
    }
    if (!client) return done(new Error('a publish without a client'))
    const device = devices.get(client)
    // aedes asks about the Last Will only once the connection is closed; nothing else is authorised then.
    const lastWill = client.closed
    const refuse = (counter: RefusalCounter, reason: string): Error => {
      counters.count(counter, device?.tenant)
      logger.warn({ deviceId: device?.id, tenant: device?.tenant, topic: packet.topic, lastWill }, `${lastWill ? 'last will' : 'publish'} refused: ${reason}`)
      if (lastWill) statusEvents.noteWill(client, `last will on "${packet.topic}" refused: ${reason}`)
      else statusEvents.closedByBroker(client, `publish refused: ${reason}`)
      // MQTT-3.3.5-2: a refused PUBLISH cannot be answered in 3.1.1; closing the connection
      // tells the device, no PUBACK is sent, and nothing reaches the bus.
      return new Error(`publish refused: ${reason}`)
    }
    if (!device) return done(refuse('acl_refused', 'not authenticated'))
    if (!stillRegistered(device)) return done(refuse('auth_refused', 'the device was revoked or registered again since it connected'))
    // An answer to a command: held to the same limits as a message, recorded instead of handed over as one.
    const answer = !lastWill && answerTopics(device).includes(packet.topic)
    const refusal = answer ? undefined : publishRefusal(packet.topic, device)
    if (refusal) return done(refuse('acl_refused', refusal))
    if (lastWill) {
      // A will is a stream event, like telemetry: kept as retained, it would tell a stale status.
      packet.retain = false
      const text = toBuffer(packet.payload).toString('utf8')
      // On its status topic the will is told in the device's offline event (one status event per
      // dropped connection); one that cannot be read as a status goes on to be dead-lettered.
      const status = packet.topic === statusTopic(device.id) ? reportedStatus(text) : undefined
      if (typeof status === 'string') {
        statusEvents.holdWill(client, status)
        return done(null)
      }
      statusEvents.noteWill(client, `last will handed over on "${packet.topic}"`)
    }
    const handOver = async (): Promise<void> => {
      const bytes = payloadSize(packet)
      const maxPayloadBytes = tenants.limitsFor(device.tenant).maxPayloadBytes
      // Too large, but read already: charged to the rate like any publish, then acknowledged with
      // a dead letter, so that the device does not send it again and again.
      const admission = gate.admitPublish(device, bytes > maxPayloadBytes ? 0 : bytes, Date.now())
      if (admission.kind === 'refused') throw refuse(admission.counter, admission.reason)
      if (bytes > maxPayloadBytes) return deadLetterOversized(device, packet, bytes, maxPayloadBytes)
      if (admission.kind === 'after') {
        counters.count('throttled', device.tenant)
        await new Promise((resolve) => setTimeout(resolve, admission.waitMs))
        // Cut off while held back (a later publish was refused): no PUBACK can reach the device,
        // which sends the message again after reconnecting, so it must not reach the bus now.
        if (client.closed && !lastWill) throw new Error('connection closed while the publish was held back')
      }
      if (answer) return recordAnswer(device, packet)
      const topic = parseTelemetryTopic(packet.topic)!
      // Telemetry is a stream, not state: a retained copy would replay old readings to subscribers.
      packet.retain = false
      try {
        await ingest.accept({ device, mqttTopic: packet.topic, format: topic.format, payload: toBuffer(packet.payload), receivedAt: Date.now() })
      } catch (error) {
        // No PUBACK: the device keeps the message and sends it again after reconnecting.
        logger.error({ err: error, deviceId: device.id }, 'hand-over to the bus failed; message not acknowledged')
        throw error
      }
    }
    inbound.handOverOnce(client, packet, handOver).then(
      (outcome) => {
        if (outcome === 'repeat') logger.debug({ deviceId: device.id, messageId: packet.messageId, qos: packet.qos }, 'repeated packet id in flight: acknowledged, not handed over again')
        done(null)
      },
      (error: unknown) => done(error as Error),
    )
  }

  /**
   * A device's answer to a command, on its `cmdexe` topic: recorded on the commands topic, then
   * acknowledged; one that cannot be read is acknowledged and dead-lettered with the reason.
   */
  const recordAnswer = async (device: Device, packet: PublishPacket): Promise<void> => {
    const payload = toBuffer(packet.payload)
    const answer = parseCommandAnswer(packet.topic, payload)
    packet.retain = false
    if (answer.kind === 'invalid') {
      logger.warn({ deviceId: device.id, topic: packet.topic }, `command answer dead-lettered: ${answer.problem}`)
      return ingest.refuse({ deviceId: device.id, mqttTopic: packet.topic, payload: payload.subarray(0, config.mqtt.maxPayloadBytes), receivedAt: Date.now(), code: 'PAYLOAD_MALFORMED', reason: answer.problem })
    }
    await ingest.commandEvent({ ...commandSubject(device), phase: answer.status, ...(answer.commandId !== undefined ? { commandId: answer.commandId } : {}), ...(answer.name !== undefined ? { name: answer.name } : {}), result: answer.result })
  }

  const commandSubject = (device: Device): Pick<CommandEvent, 'schema' | 'deviceId' | 'tenant' | 'site' | 'at'> => ({ schema: 'circular.device-command/v1', deviceId: device.id, tenant: device.tenant, site: device.site, at: Date.now() })

  const deadLetterOversized = async (device: Device, packet: PublishPacket, bytes: number, maxPayloadBytes: number): Promise<void> => {
    counters.count('payload_too_large', device.tenant)
    // Only the first bytes: the whole payload may be more than the bus takes in one record.
    const kept = toBuffer(packet.payload).subarray(0, maxPayloadBytes)
    const reason = `payload of ${bytes} bytes exceeds the tenant's limit of ${maxPayloadBytes}; the first ${kept.length} bytes are kept`
    logger.warn({ deviceId: device.id, tenant: device.tenant, topic: packet.topic }, `publish dead-lettered: ${reason}`)
    await ingest.refuse({ deviceId: device.id, mqttTopic: packet.topic, payload: kept, receivedAt: Date.now(), code: 'PAYLOAD_TOO_LARGE', reason })
  }

  const authorizeSubscribe: AedesOptions['authorizeSubscribe'] = (client, subscription: Subscription, done) => {
    const device = devices.get(client)
    if (device && stillRegistered(device) && maySubscribe(subscription.topic, device)) return done(null, subscription)
    counters.count('acl_refused', device?.tenant)
    logger.warn({ deviceId: device?.id, topic: subscription.topic }, 'subscription refused')
    done(null, null) // SUBACK 0x80 for this filter (MQTT-3.9.3)
  }

  /**
   * Whether the connection's device is still registered as it was when it connected (the same
   * registration, by its time and tenant: a rewritten secret hash is the same registration): a
   * device revoked, or registered afresh with a new secret, while connected is cut off at its next
   * publish or subscription. The registry notices changes by other processes within a second.
   */
  const stillRegistered = (device: Device): boolean => {
    try {
      const current = registry.get(device.id)
      return current !== undefined && current.createdAt === device.createdAt && current.tenant === device.tenant
    } catch (error) {
      // An unreadable registry refuses new connections; the connected devices go on as they were.
      logger.error({ err: error, deviceId: device.id }, 'device registry unreadable; keeping the connection as authenticated')
      return true
    }
  }

  const backends = await sessionBackends(config, logger)
  // What reaches a device, live or from its queued session: only its own command and configuration topics, while it is registered.
  const authorizeForward: AedesOptions['authorizeForward'] = (client, packet) => {
    const device = devices.get(client)
    return device !== undefined && stillRegistered(device) && maySubscribe(packet.topic, device) ? packet : null
  }
  const aedes = await Aedes.createBroker({ ...backends.options, id: brokerId, authenticate, authorizePublish, authorizeSubscribe, authorizeForward, maxClientsIdLength: 256 })
  // Session store trouble (Redis down) and failed will sweeps: reported, never a crash.
  const events: EventEmitter = aedes
  events.on('error', (error: Error) => logger.error({ err: error }, 'MQTT broker error (session store?)'))
  // The device acknowledged a command message (PUBACK): it is delivered, on whichever instance it is connected to.
  aedes.on('ack', (packet: PublishPacket | PubrelPacket | undefined, client: Client | null) => {
    // aedes hands over what the session store had for the packet id: nothing for a clean session.
    if (!packet || !client || packet.cmd !== 'publish') return
    const device = devices.get(client)
    if (device === undefined) return
    const command = commandOfMessage(packet.topic, toBuffer(packet.payload))
    if (command === undefined) return
    retry(() => ingest.commandEvent({ ...commandSubject(device), phase: 'delivered', ...command }), statusRetryPolicy).catch((error: unknown) => {
      counters.count('command_event_lost', device.tenant)
      logger.error({ err: error, deviceId: device.id, ...command }, 'command delivery not recorded: the bus did not take it')
    })
  })
  aedes.on('clientReady', (client) => {
    const device = devices.get(client)
    // A connection that closed between CONNACK and here has ended already, untold.
    if (!device || client.closed) return
    const connection = connections.get(client)
    const over = connection === undefined ? '' : `${connection.webSocket ? 'WebSocket' : 'MQTT'}${connection.secure ? ' over TLS' : ''} from ${connection.remoteAddress ?? 'an unknown address'}`
    tellConnection(statusEvents.started(client, device, Date.now(), over === '' ? '' : `connected over ${over}`))
  })
  aedes.on('clientError', (client, error) => statusEvents.lost(client, error.message))
  aedes.on('clientDisconnect', (client) => {
    const device = devices.get(client)
    if (!device) return
    gate.disconnect(device)
    sessions.closed(device.id, client)
    // Offline only once the device holds no other session here (a takeover leaves it online).
    const ended = statusEvents.ended(client, device, Date.now(), sessions.count(device.id) === 0)
    if (ended === undefined || closing) return
    // A revoked device is gone, not offline: nothing could be stored for it.
    if (!stillRegistered(device)) return
    tellConnection(ended)
  })
  // Above the hard cap a packet is cut off before it is read; below it, an oversized payload is dead-lettered (see handOver).
  const maxPacketBytes = config.mqtt.maxPacketBytes
  const handle = (incoming: Connection): void => {
    const socket = incoming.stream
    // Guarded before aedes reads anything; the client it creates is known by the time a packet is refused.
    const connection: { client?: Client } = {}
    guardPacketSize(socket, maxPacketBytes, (announced) => {
      const client = connection.client
      const device = client === undefined ? undefined : devices.get(client)
      counters.count('payload_too_large', device?.tenant)
      if (client) statusEvents.closedByBroker(client, `an MQTT packet of ${announced} bytes was announced; the limit is ${maxPacketBytes}`)
      logger.warn({ deviceId: device?.id, tenant: device?.tenant, clientId: client?.id, announcedBytes: announced, maxPacketBytes }, 'connection closed: an MQTT packet larger than the limit was announced')
    })
    guardProtocolLevel(socket, (level) => {
      counters.count('protocol_refused')
      logger.warn({ level, remoteAddress: incoming.remoteAddress }, `connection refused: MQTT protocol level ${level} is not spoken here (3.1 and 3.1.1 are)`)
    })
    connection.client = aedes.handle(socket)
    connections.set(connection.client, incoming)
  }
  const shutDown = async (listeners: Awaited<ReturnType<typeof startListeners>>, dispatch?: Consumption): Promise<void> => {
    closing = true
    upgrades.close()
    // No command is sent while the broker goes: what is in hand is committed or comes again to the next instance.
    await dispatch?.stop().catch((error: unknown) => logger.warn({ err: error }, 'command dispatch did not stop cleanly'))
    for (const l of listeners) {
      l.webSockets?.close()
      l.server.close()
    }
    // aedes waits for its message exchange to close; with Redis unreachable that may never come.
    await new Promise<void>((resolve) => {
      const late = setTimeout(resolve, 5000)
      aedes.close(() => {
        clearTimeout(late)
        resolve()
      })
    })
    await backends.close()
  }
  let listeners: Awaited<ReturnType<typeof startListeners>> = []
  let dispatch: Consumption | undefined
  try {
    listeners = await startListeners(config.mqtt, handle)
    if (listeners.length === 0) throw new Error('no MQTT listener: enable MQTT_PLAIN or configure MQTT_TLS_CERT_FILE')
    // Commands are taken from the bus only once devices can be reached.
    dispatch =
      deps.bus === undefined
        ? undefined
        : await startCommandDispatch({
            config,
            bus: deps.bus,
            registry,
            logger,
            send: ({ topic, payload }) => new Promise<void>((resolve, reject) => aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()))),
          })
  } catch (error) {
    await shutDown(listeners, dispatch)
    throw error
  }
  const first = listeners[0]!
  const tlsListener = listeners.find((l) => l.url.startsWith('mqtts:'))
  return {
    port: first.port,
    url: first.url,
    urls: listeners.map((l) => l.url),
    ...(tlsListener ? { tlsPort: tlsListener.port } : {}),
    moved: listeners.some((l) => l.moved),
    counters,
    close: () => shutDown(listeners, dispatch),
  }
}

/** The CN of a client certificate the TLS listener verified against the CA, if there is one. */
function verifiedCertificateName(client: Client): string | undefined {
  const socket = client.conn as unknown
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined
  const name = socket.getPeerCertificate().subject?.CN
  return typeof name === 'string' && name.length > 0 ? name : undefined
}



/** A will as the session store keeps it (with the client and broker it belongs to), not a PUBLISH a client sent. */
function isStoredWill(packet: PublishPacket): boolean {
  const stored = packet as unknown as { clientId?: unknown; brokerId?: unknown }
  return typeof stored.clientId === 'string' && typeof stored.brokerId === 'string'
}

function payloadSize(packet: PublishPacket): number {
  return typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload
}
