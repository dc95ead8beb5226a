import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Device } from '../core/registry/device.js'
import { isSlowSecretHash, verifySecret } from '../core/registry/secret.js'

/**
 * Checks device secrets at CONNECT. A fast hash (`sha256$…`) is checked at once. A slow one
 * (`scrypt$…`, from registries written before) is checked once per device and stored hash in
 * this process; after that an HMAC of the secret under a key of this process, kept in memory,
 * stands in for it, so a device that reconnects costs microseconds. Slow checks of one device
 * run one after the other, so a flood of wrong secrets for one device id takes one CPU-bound
 * check at a time, however many connections carry it.
 */
export class SecretChecks {
  private readonly key = randomBytes(32)
  private readonly remembered = new Map<string, { secretHash: string; digest: Buffer }>()
  private readonly slowTurns = new Map<string, Promise<unknown>>()

  constructor(private readonly maxRemembered = 100_000) {}

  /** true or false when the secret could be checked cheaply; undefined when only the slow check can tell. */
  async cheap(device: Device, secret: string): Promise<boolean | undefined> {
    if (!isSlowSecretHash(device.secretHash)) return verifySecret(secret, device.secretHash)
    const known = this.remembered.get(device.id)
    if (known?.secretHash !== device.secretHash) return undefined
    // Only the remembered secret matches this hash: anything else is wrong, and needs no slow check to say so.
    return timingSafeEqual(this.digest(secret), known.digest)
  }

  /**
   * The slow check, one at a time per device; a match is remembered. `stillWanted` is asked when
   * the check's turn comes: a flood queued at once is refused unchecked once it has failed enough.
   * Undefined when it was not wanted any more.
   */
  slow(device: Device, secret: string, stillWanted: () => boolean = () => true): Promise<boolean | undefined> {
    const turn = (this.slowTurns.get(device.id) ?? Promise.resolve()).then(async () => {
      if (!stillWanted()) return undefined
      const ok = await verifySecret(secret, device.secretHash)
      if (ok) this.remember(device, secret)
      return ok
    })
    const settled = turn.catch(() => undefined)
    this.slowTurns.set(device.id, settled)
    void settled.then(() => {
      if (this.slowTurns.get(device.id) === settled) this.slowTurns.delete(device.id)
    })
    return turn
  }

  private remember(device: Device, secret: string): void {
    this.remembered.delete(device.id)
    this.remembered.set(device.id, { secretHash: device.secretHash, digest: this.digest(secret) })
    while (this.remembered.size > this.maxRemembered) this.remembered.delete(this.remembered.keys().next().value!)
  }

  private digest(secret: string): Buffer {
    return createHmac('sha256', this.key).update(secret, 'utf8').digest()
  }
}
