import type { Device } from '../core/registry/device.js'
import type { TenantLimits } from '../core/registry/tenants.js'
import type { RefusalCounter } from './refusal-counters.js'

/** Longest a publish is held back to keep a device to its rate; beyond this the device is cut off. */
export const maxThrottleWaitMs = 5000

export type PublishAdmission =
  | { readonly kind: 'now' }
  /** Over its rate: held back this long (and so is everything behind it on the connection). */
  | { readonly kind: 'after'; readonly waitMs: number }
  | { readonly kind: 'refused'; readonly counter: RefusalCounter; readonly reason: string }

/**
 * The per-tenant limits the broker and the bridge enforce: devices connected at once, and per device a token
 * bucket for the publish rate (sustained rate, plus a burst) and the payload size. A publish
 * over the rate is delayed, not dropped: its PUBACK and the reading of the connection wait, so a
 * device is slowed to its rate; one that would wait longer than `maxThrottleWaitMs` is cut off.
 */
export class TenantGate {
  private readonly connected = new Map<string, Map<string, number>>()
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(private readonly limitsFor: (tenant: string) => TenantLimits) {}

  /** Whether the device may connect; a device already connected may always connect again. */
  connect(device: Device): boolean {
    const devices = this.connected.get(device.tenant) ?? new Map<string, number>()
    const connections = devices.get(device.id) ?? 0
    if (connections === 0 && devices.size >= this.limitsFor(device.tenant).maxDevices) return false
    devices.set(device.id, connections + 1)
    this.connected.set(device.tenant, devices)
    return true
  }

  disconnect(device: Device): void {
    const devices = this.connected.get(device.tenant)
    const connections = devices?.get(device.id) ?? 0
    if (!devices || connections === 0) return
    if (connections > 1) devices.set(device.id, connections - 1)
    else {
      devices.delete(device.id)
      this.buckets.delete(device.id)
    }
  }

  /**
   * Whether a publish may go on now, after a wait, or not at all. `maxWaitMs` 0 holds nothing
   * back: where a wait would stall other devices (the bridge), a publish over the rate is refused.
   */
  admitPublish(device: Device, payloadBytes: number, now: number, maxWaitMs = maxThrottleWaitMs): PublishAdmission {
    const limits = this.limitsFor(device.tenant)
    if (payloadBytes > limits.maxPayloadBytes) return { kind: 'refused', counter: 'payload_too_large', reason: `payload of ${payloadBytes} bytes exceeds the tenant's limit of ${limits.maxPayloadBytes}` }
    const rate = limits.messagesPerSecondPerDevice
    const previous = this.buckets.get(device.id) ?? { tokens: limits.burstMessages, at: now }
    const tokens = Math.min(limits.burstMessages, previous.tokens + ((now - previous.at) / 1000) * rate)
    // Tokens go negative for held-back messages: each one waits for its own slot, in arrival order.
    const waitMs = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / rate) * 1000)
    if (waitMs > maxWaitMs) return { kind: 'refused', counter: 'rate_refused', reason: `more than ${rate} messages per second${maxWaitMs > 0 ? ' for longer than the broker holds back' : ''}` }
    this.buckets.set(device.id, { tokens: tokens - 1, at: now })
    return waitMs === 0 ? { kind: 'now' } : { kind: 'after', waitMs }
  }
}
