import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { hashSecret } from '../core/registry/secret.js'
import type { Logger } from '../core/logger.js'

/**
 * Rewrites the slow (scrypt) secret hashes of devices that just proved their secret into the
 * fast form, so their next CONNECT costs microseconds on every broker instance. Collected and
 * written once a second in one change of the registry (a fleet coming back after a restart would
 * otherwise rewrite the file once per device), each only where the device still has the hash that
 * was checked: a device registered again meanwhile keeps its new secret.
 */
export class SecretUpgrades {
  private readonly pending = new Map<string, { from: string; to: string }>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly logger: Logger,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs)
    this.timer.unref()
  }

  /** The device connected with `secret`, which matched its slow hash. */
  async proved(device: Device, secret: string): Promise<void> {
    if (this.registry.upgradeSecretHashes === undefined) return
    this.pending.set(device.id, { from: device.secretHash, to: await hashSecret(secret) })
  }

  /** Writes what is pending; returns how many hashes were rewritten. */
  flush(): number {
    if (this.pending.size === 0 || this.registry.upgradeSecretHashes === undefined) return 0
    const changes = [...this.pending].map(([id, { from, to }]) => ({ id, from, to }))
    this.pending.clear()
    try {
      const upgraded = this.registry.upgradeSecretHashes(changes)
      this.logger.info({ devices: upgraded, asked: changes.length }, 'device secret hashes rewritten from scrypt to HMAC-SHA256')
      return upgraded
    } catch (error) {
      // The devices still connect with their old hashes; they are rewritten at a later connect.
      this.logger.warn({ err: error, devices: changes.length }, 'device secret hashes not rewritten; trying again at their next connect')
      return 0
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.flush()
  }
}
