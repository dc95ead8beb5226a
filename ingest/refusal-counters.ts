import { Counters } from '../core/counters.js'

/** Why the broker refused or slowed something (and status events it could not record); each is also counted per tenant as `<name>.<tenant>`. */
export const refusalCounterNames = ['auth_refused', 'auth_throttled', 'device_limit_refused', 'acl_refused', 'payload_too_large', 'throttled', 'rate_refused', 'protocol_refused', 'status_event_lost', 'command_event_lost'] as const
export type RefusalCounter = (typeof refusalCounterNames)[number]

/** The broker's (or the bridge's) refusal counters: totals, and per tenant where the device is known. */
export class RefusalCounters extends Counters<string> {
  /** `bridge` for the limits the bridge applies to what it carries from an external broker. */
  constructor(component: 'broker' | 'bridge' = 'broker') {
    super(component, refusalCounterNames)
  }

  count(name: RefusalCounter, tenant?: string): void {
    this.add(name)
    if (tenant !== undefined) this.add(`${name}.${tenant}`)
  }
}
