import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { TenantPolicies } from '../../core/registry/tenants.js'
import { grantReplayAllowance } from '../../simulator/replay-allowance.js'

const dirs: string[] = []
function tenantsPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'circular-replay-'))
  dirs.push(dir)
  return join(dir, 'state', 'tenants.json')
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('grantReplayAllowance', () => {
  test('should give a tenant without a policy the replay rate and the demo\'s open data, creating the file', () => {
    const path = tenantsPath()
    grantReplayAllowance(path, 'demo-city')
    const policies = new TenantPolicies(path, 65_536)
    expect(policies.limitsFor('demo-city')).toMatchObject({ messagesPerSecondPerDevice: 10_000, burstMessages: 100_000, maxDevices: 10_000 })
    expect(policies.publicMetrics('demo-city')).toEqual(['recycling_rate', 'landfill_diversion_rate', 'waste_received_kg', 'electricity_co2e'])
    // Other tenants keep the built-in rate.
    expect(policies.limitsFor('ghent').messagesPerSecondPerDevice).toBe(5)
  })

  test('should keep the file\'s defaults and other tenants, and never replace a policy the tenant already has', () => {
    const path = tenantsPath()
    grantReplayAllowance(path, 'bootstrap')
    const existing = { version: 1, defaults: { limits: { maxDevices: 50 } }, tenants: { 'demo-city': { limits: { maxDevices: 3 } }, ghent: { openData: { metrics: ['recycling_rate'] } } } }
    writeFileSync(path, JSON.stringify(existing))
    grantReplayAllowance(path, 'demo-city')
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(existing)
    grantReplayAllowance(path, 'bench-city')
    const after = JSON.parse(readFileSync(path, 'utf8')) as typeof existing & { tenants: Record<string, unknown> }
    expect(after.defaults).toEqual(existing.defaults)
    expect(after.tenants['demo-city']).toEqual(existing.tenants['demo-city'])
    expect(after.tenants.ghent).toEqual(existing.tenants.ghent)
    expect(after.tenants['bench-city']).toEqual({ limits: { messagesPerSecondPerDevice: 10_000, burstMessages: 100_000 }, openData: { metrics: ['recycling_rate', 'landfill_diversion_rate', 'waste_received_kg', 'electricity_co2e'] } })
  })

  test('should refuse to rewrite a tenants file it cannot read', () => {
    const path = tenantsPath()
    grantReplayAllowance(path, 'x')
    writeFileSync(path, '{"version": 1, "tenants": ')
    expect(() => grantReplayAllowance(path, 'demo-city')).toThrow(expect.objectContaining({ code: 'TENANTS_INVALID' }))
    expect(readFileSync(path, 'utf8')).toBe('{"version": 1, "tenants": ')
  })
})
