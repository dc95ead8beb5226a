import mqtt, { type MqttClient } from 'mqtt'
import { Histogram } from '../stats.js'
import type { BenchDevice } from './devices.js'
import { buildPayload, DeviceClock, readingsPerMessage, telemetryTopic, type PayloadMode } from './payloads.js'

/** Answers which of a device's readings a query of the store returns (InfluxDB or the embedded store). */
export interface StoredTimes {
  /** Times (ms) of a device's readings at or after `fromMs`. */
  times(deviceId: string, fromMs: number): Promise<number[]>
}

export interface ProbeResult {
  /** Publish → queryable in the store, ms (upper bound: when the poll that saw it answered). */
  readonly visible: Histogram
  /** Publish → PUBACK, ms. */
  readonly ack: Histogram
  readonly sent: number
  /** Probes not visible when the wait ran out. */
  readonly missing: number
}

/**
 * Latency probes: one extra device publishes messages of the current payload mode at a steady
 * pace, each at its own observation time, and a poller asks the store every `pollMs` which of
 * them it can see. The load itself is not timed per message; the probes ride in it.
 */
export class LatencyProbe {
  private client: MqttClient | undefined
  private readonly clock = new DeviceClock()
  private seq = 0
  private pending = new Map<number, number>()
  private visible = new Histogram()
  private ack = new Histogram()
  private sent = 0
  private publishTimer: NodeJS.Timeout | undefined
  private pollTimer: NodeJS.Timeout | undefined
  private polling = false
  /** Probe messages and their PUBACKs since connect, for the run's reconciliation. */
  published = 0
  acked = 0

  constructor(
    private readonly device: BenchDevice,
    private readonly store: StoredTimes,
  ) {}

  async connect(url: string, credentials: boolean): Promise<void> {
    this.client = await mqtt.connectAsync(url, {
      clientId: this.device.id,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      ...(credentials ? { username: this.device.id, password: this.device.secret } : {}),
    })
  }

  start(mode: PayloadMode, hz: number, pollMs: number): void {
    this.pending = new Map()
    this.visible = new Histogram()
    this.ack = new Histogram()
    this.sent = 0
    this.publishTimer = setInterval(() => this.publishOne(mode), 1000 / hz)
    this.pollTimer = setInterval(() => void this.poll(), pollMs)
  }

  /** Stops probing and waits (up to `timeoutMs`) for the outstanding probes to become visible. */
  async stop(timeoutMs: number): Promise<ProbeResult> {
    clearInterval(this.publishTimer)
    const deadline = Date.now() + timeoutMs
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    clearInterval(this.pollTimer)
    while (this.polling) await new Promise((r) => setTimeout(r, 10))
    return { visible: this.visible, ack: this.ack, sent: this.sent, missing: this.pending.size }
  }

  async close(): Promise<void> {
    await this.client?.endAsync()
  }

  private publishOne(mode: PayloadMode): void {
    const publishedAt = Date.now()
    const first = this.clock.take(readingsPerMessage[mode])
    this.pending.set(first, publishedAt)
    this.sent++
    this.published++
    this.client!.publish(telemetryTopic(this.device.id), buildPayload(mode, this.device.id, first, this.seq++), { qos: 1 }, (error) => {
      if (error) return
      this.acked++
      this.ack.record(Date.now() - publishedAt)
    })
  }

  private async poll(): Promise<void> {
    if (this.polling || this.pending.size === 0) return
    this.polling = true
    try {
      const oldest = Math.min(...this.pending.keys())
      const times = await this.store.times(this.device.id, oldest)
      const seenAt = Date.now()
      for (const t of times) {
        const publishedAt = this.pending.get(t)
        if (publishedAt === undefined) continue
        this.pending.delete(t)
        this.visible.record(seenAt - publishedAt)
      }
    } catch {
      // A slow or failed poll only coarsens the measurement; the next one retries.
    } finally {
      this.polling = false
    }
  }
}
