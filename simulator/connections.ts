import mqtt, { type MqttClient } from 'mqtt'
import { PlatformError } from '../models/errors.js'
import type { Logger } from '../core/logger.js'

/** Devices connect in small groups: the broker checks each secret with scrypt, which is costly on purpose. */
const connectGroupSize = 20

/**
 * The fleet's MQTT connections, one per device as real sensors have (MQTT 3.1.1, QoS 1). Each
 * reconnects on its own after a broken connection, and mqtt.js resends every QoS 1 message that
 * had no PUBACK yet. Losing and regaining the broker is logged once for the fleet, not per device.
 */
export class FleetConnections {
  private readonly clients = new Map<string, MqttClient>()
  private readonly offline = new Set<string>()
  private closing = false
  reconnects = 0

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Connects every device; fails at once when the broker refuses one (unknown device, wrong secret). */
  async connect(credentials: ReadonlyMap<string, string>): Promise<void> {
    const entries = [...credentials]
    for (let i = 0; i < entries.length; i += connectGroupSize) {
      await Promise.all(entries.slice(i, i + connectGroupSize).map(([id, secret]) => this.connectDevice(id, secret)))
    }
  }

  client(deviceId: string): MqttClient {
    const client = this.clients.get(deviceId)
    if (!client) throw new Error(`device ${deviceId} is not connected`)
    return client
  }

  /** Closes every connection; `force` drops messages still waiting for their PUBACK. */
  async close(force: boolean): Promise<void> {
    this.closing = true
    await Promise.all([...this.clients.values()].map((client) => client.endAsync(force)))
  }

  private connectDevice(id: string, secret: string): Promise<void> {
    const client = mqtt.connect(this.url, { clientId: id, username: id, password: secret, protocolVersion: 4, clean: true, reconnectPeriod: 1000, connectTimeout: 30_000, keepalive: 60 })
    this.clients.set(id, client)
    client.on('offline', () => this.wentOffline(id))
    client.on('connect', () => this.cameBack(id))
    client.on('reconnect', () => this.reconnects++)
    return new Promise((resolve, reject) => {
      const connected = (): void => {
        client.off('error', refused)
        client.on('error', (error) => this.logger.debug({ err: error, deviceId: id }, 'MQTT connection error'))
        resolve()
      }
      const refused = (error: Error & { code?: unknown }): void => {
        // A CONNACK refusal has a numeric return code; socket errors (broker not up yet) are retried.
        if (typeof error.code !== 'number') return this.wentOffline(id)
        client.off('connect', connected)
        client.end(true)
        reject(new PlatformError('CONFIG_INVALID', `the broker at ${this.url} refused device ${id} (${error.message}); does it use the same registry file?`, { deviceId: id }))
      }
      client.once('connect', connected)
      client.on('error', refused)
    })
  }

  private wentOffline(id: string): void {
    if (this.closing || this.offline.has(id)) return
    this.offline.add(id)
    if (this.offline.size === 1) this.logger.warn({ url: this.url }, 'MQTT broker unreachable; devices keep retrying and resend unacknowledged messages')
  }

  private cameBack(id: string): void {
    if (!this.offline.delete(id)) return
    if (this.offline.size === 0) this.logger.info({ url: this.url }, 'every simulated device is connected to the MQTT broker')
  }
}
