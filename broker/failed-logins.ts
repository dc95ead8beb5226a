/** How the broker answers repeated failed CONNECTs (see FailedLogins). */
export interface FailedLoginPolicy {
  /** Failures are counted over this window, which starts again once it has passed. */
  readonly windowMs: number
  /** Failures per key before answers are delayed. */
  readonly delayAfter: number
  /** First delay, doubled with each further failure, up to `maxDelayMs`. */
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** Failures from one address before its attempts are refused unchecked, until the window ends. */
  readonly refuseAfter: number
  /** Keys remembered at most; the oldest go first. */
  readonly maxKeys: number
}

export const defaultFailedLoginPolicy: FailedLoginPolicy = { windowMs: 60_000, delayAfter: 5, baseDelayMs: 250, maxDelayMs: 5000, refuseAfter: 50, maxKeys: 100_000 }

export type LoginGate = { readonly kind: 'open' } | { readonly kind: 'delayed'; readonly delayMs: number } | { readonly kind: 'refused'; readonly retryAfterMs: number }

/**
 * Failed CONNECTs per device id and per source address. After a few failures on either, a
 * check that has to be made (a wrong secret, or a slow hash) is answered only after a growing
 * delay, which costs the broker a timer, not CPU; an address with many failures is refused
 * unchecked for the rest of the window. A device id is never refused, only delayed, so nobody
 * can lock a device out by failing for it; and a secret that checks cheaply and right is never
 * delayed at all (the broker asks this only when it has to check more).
 */
export class FailedLogins {
  private readonly failures = new Map<string, { count: number; since: number }>()

  constructor(private readonly policy: FailedLoginPolicy = defaultFailedLoginPolicy) {}

  gate(deviceId: string, address: string | undefined, now = Date.now()): LoginGate {
    const byAddress = address === undefined ? 0 : this.count(addressKey(address), now)
    if (byAddress >= this.policy.refuseAfter) return { kind: 'refused', retryAfterMs: this.failures.get(addressKey(address!))!.since + this.policy.windowMs - now }
    const most = Math.max(byAddress, this.count(deviceKey(deviceId), now))
    if (most < this.policy.delayAfter) return { kind: 'open' }
    return { kind: 'delayed', delayMs: Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (most - this.policy.delayAfter)) }
  }

  failed(deviceId: string, address: string | undefined, now = Date.now()): void {
    for (const key of keys(deviceId, address)) {
      const current = this.failures.get(key)
      const entry = current && now - current.since < this.policy.windowMs ? { count: current.count + 1, since: current.since } : { count: 1, since: now }
      this.failures.delete(key)
      this.failures.set(key, entry)
    }
    while (this.failures.size > this.policy.maxKeys) this.failures.delete(this.failures.keys().next().value!)
  }

  /** A device that got in: its failures are forgotten (its address's stay, others may share it). */
  succeeded(deviceId: string): void {
    this.failures.delete(deviceKey(deviceId))
  }

  private count(key: string, now: number): number {
    const entry = this.failures.get(key)
    return entry && now - entry.since < this.policy.windowMs ? entry.count : 0
  }
}

function deviceKey(id: string): string {
  return `device:${id}`
}

function addressKey(address: string): string {
  return `address:${address}`
}

function keys(deviceId: string, address: string | undefined): string[] {
  return address === undefined ? [deviceKey(deviceId)] : [deviceKey(deviceId), addressKey(address)]
}
