import { describe, expect, test } from 'vitest'
import type { Device } from '../../core/registry/device.js'
import type { TenantLimits } from '../../core/registry/tenants.js'
import { maxThrottleWaitMs, TenantGate } from '../../ingest/tenant-gate.js'

const limits: Record<string, TenantLimits> = {
  alpha: { maxDevices: 2, messagesPerSecondPerDevice: 2, burstMessages: 3, maxPayloadBytes: 512 },
  beta: { maxDevices: 10, messagesPerSecondPerDevice: 100, burstMessages: 100, maxPayloadBytes: 4096 },
}
const gate = (): TenantGate => new TenantGate((tenant) => limits[tenant]!)
const device = (id: string, tenant = 'alpha'): Device => ({ id, tenant, site: 'depot', kind: 'waste_container', format: 'senml', apiKey: tenant, secretHash: 'scrypt$x', createdAt: new Date(0).toISOString() })
const t0 = Date.parse('2026-11-02T08:00:00Z')

describe('tenant gate: devices connected at once', () => {
  test("a tenant at its maximum should be refused another device until one leaves, and other tenants should not be affected", () => {
    const g = gate()
    expect(g.connect(device('a-1'))).toBe(true)
    expect(g.connect(device('a-2'))).toBe(true)
    expect(g.connect(device('a-3'))).toBe(false)
    expect(g.connect(device('b-1', 'beta'))).toBe(true)
    g.disconnect(device('a-2'))
    expect(g.connect(device('a-3'))).toBe(true)
  })

  test('a device already connected should always be let in again, and hold its slot until its last connection leaves', () => {
    const g = gate()
    g.connect(device('a-1'))
    g.connect(device('a-2'))
    // A reconnect before the broker noticed the old connection was gone.
    expect(g.connect(device('a-1'))).toBe(true)
    g.disconnect(device('a-1'))
    expect(g.connect(device('a-3'))).toBe(false)
    g.disconnect(device('a-1'))
    expect(g.connect(device('a-3'))).toBe(true)
    // Leaving twice frees nothing more.
    g.disconnect(device('a-1'))
    expect(g.connect(device('a-4'))).toBe(false)
  })
})

describe('tenant gate: publish rate and payload size', () => {
  test("a payload over the tenant's limit should be refused whatever the rate", () => {
    expect(gate().admitPublish(device('a-1'), 513, t0)).toEqual({ kind: 'refused', counter: 'payload_too_large', reason: "payload of 513 bytes exceeds the tenant's limit of 512" })
    expect(gate().admitPublish(device('a-1'), 512, t0)).toEqual({ kind: 'now' })
  })

  test('the burst should go through at once, later publishes wait for their own slot in arrival order, and quiet time earns tokens back', () => {
    const g = gate()
    const a = device('a-1')
    const admissions = Array.from({ length: 6 }, () => g.admitPublish(a, 10, t0))
    // Burst of 3, then one slot every 500 ms at 2 per second.
    expect(admissions).toEqual([{ kind: 'now' }, { kind: 'now' }, { kind: 'now' }, { kind: 'after', waitMs: 500 }, { kind: 'after', waitMs: 1000 }, { kind: 'after', waitMs: 1500 }])
    // 2.5 s later the three held back are paid for and two tokens are earned again.
    expect(g.admitPublish(a, 10, t0 + 3500)).toEqual({ kind: 'now' })
    // Another device of the tenant has a bucket of its own.
    expect(g.admitPublish(device('a-2'), 10, t0)).toEqual({ kind: 'now' })
  })

  test('a device that would wait longer than the broker holds back should be refused, and a refusal should cost no token', () => {
    const g = gate()
    const a = device('a-1')
    const waits: number[] = []
    for (;;) {
      const admission = g.admitPublish(a, 10, t0)
      if (admission.kind === 'refused') {
        expect(admission).toEqual({ kind: 'refused', counter: 'rate_refused', reason: 'more than 2 messages per second for longer than the broker holds back' })
        break
      }
      waits.push(admission.kind === 'after' ? admission.waitMs : 0)
    }
    expect(Math.max(...waits)).toBeLessThanOrEqual(maxThrottleWaitMs)
    expect(waits).toHaveLength(3 + 2 * (maxThrottleWaitMs / 1000))
    // The refused publish took no slot: half a second on, the next one gets the slot right after the last admitted one's.
    expect(g.admitPublish(a, 10, t0 + 500)).toEqual({ kind: 'after', waitMs: maxThrottleWaitMs })
  })

  test('with no wait allowed (the bridge), a publish over the rate should be refused at once', () => {
    const g = gate()
    const a = device('a-1')
    const admissions = Array.from({ length: 4 }, () => g.admitPublish(a, 10, t0, 0))
    expect(admissions.slice(0, 3)).toEqual([{ kind: 'now' }, { kind: 'now' }, { kind: 'now' }])
    expect(admissions[3]).toEqual({ kind: 'refused', counter: 'rate_refused', reason: 'more than 2 messages per second' })
    expect(g.admitPublish(a, 10, t0 + 500, 0)).toEqual({ kind: 'now' })
  })

  test("a device's bucket should be forgotten when its last connection leaves, so it comes back with a full burst", () => {
    const g = gate()
    const a = device('a-1')
    g.connect(a)
    for (let i = 0; i < 3; i++) g.admitPublish(a, 10, t0)
    expect(g.admitPublish(a, 10, t0).kind).toBe('after')
    g.disconnect(a)
    g.connect(a)
    expect(Array.from({ length: 3 }, () => g.admitPublish(a, 10, t0).kind)).toEqual(['now', 'now', 'now'])
  })
})
