import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { TenantPolicies, tenantsFile } from '../../../core/registry/tenants.js'

const dirs: string[] = []
function file(content?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'circular-tenants-'))
  dirs.push(dir)
  const path = join(dir, 'tenants.json')
  if (content !== undefined) writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const builtIn = { maxDevices: 10_000, messagesPerSecondPerDevice: 5, burstMessages: 20, maxPayloadBytes: 65_536 }

describe('TenantPolicies', () => {
  test('without a file every tenant should get the built-in limits, with the payload cap of the broker', () => {
    const policies = new TenantPolicies(file(), 65_536)
    expect(policies.limitsFor('ghent')).toEqual(builtIn)
    expect(policies.publicMetrics('ghent')).toEqual([])
  })

  test('limits should layer field by field: built-in, the file\'s defaults, the tenant\'s own', () => {
    const policies = new TenantPolicies(
      file({
        version: 1,
        defaults: { limits: { maxDevices: 500, burstMessages: 40 } },
        tenants: { ghent: { limits: { maxDevices: 2000 } }, antwerp: {} },
      }),
      65_536,
    )
    expect(policies.limitsFor('ghent')).toEqual({ ...builtIn, maxDevices: 2000, burstMessages: 40 })
    expect(policies.limitsFor('antwerp')).toEqual({ ...builtIn, maxDevices: 500, burstMessages: 40 })
    expect(policies.currentLimitsFor('bruges')).toEqual({ ...builtIn, maxDevices: 500, burstMessages: 40 })
  })

  test("no tenant's payload limit should exceed the broker's, whatever the file says", () => {
    const policies = new TenantPolicies(file({ version: 1, defaults: { limits: { maxPayloadBytes: 1_000_000 } }, tenants: { ghent: { limits: { maxPayloadBytes: 2048 } } } }), 65_536)
    expect(policies.limitsFor('antwerp').maxPayloadBytes).toBe(65_536)
    expect(policies.limitsFor('ghent').maxPayloadBytes).toBe(2048)
  })

  test('the open-data metrics should be exactly those the tenant lists, in its order', () => {
    const policies = new TenantPolicies(file({ version: 1, tenants: { ghent: { openData: { metrics: ['recycling_rate', 'electricity_co2e'] } }, antwerp: { limits: { maxDevices: 3 } } } }), 1024)
    expect(policies.publicMetrics('ghent')).toEqual(['recycling_rate', 'electricity_co2e'])
    expect(policies.publicMetrics('antwerp')).toEqual([])
  })

  test('a file with unknown members, bad limits or bad tenant ids should be refused as TENANTS_INVALID', () => {
    const refused = (content: unknown) => expect(() => new TenantPolicies(file(content), 1024)).toThrow(expect.objectContaining({ code: 'TENANTS_INVALID' }))
    refused({ version: 1, tenants: { ghent: { limits: { maxDevices: 0 } } } })
    refused({ version: 1, tenants: { ghent: { limits: { messagesPerSecondPerDevice: 10_001 } } } })
    refused({ version: 1, tenants: { ghent: { limits: { burstMessages: 1.5 } } } })
    refused({ version: 1, tenants: { ghent: { quota: 3 } } })
    refused({ version: 1, tenants: { 'ghent/city': {} } })
    refused({ version: 1, tenants: { ghent: { openData: { metrics: ['Recycling Rate'] } } } })
    refused({ version: 2, tenants: {} })
    refused('{')
  })

  test('the schema should accept the highest limits it allows', () => {
    expect(tenantsFile.safeParse({ version: 1, tenants: { ghent: { limits: { messagesPerSecondPerDevice: 10_000, burstMessages: 100_000 } } } }).success).toBe(true)
  })
})
