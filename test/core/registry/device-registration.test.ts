import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { AuditLog } from '../../../core/registry/audit-log.js'
import { deviceRegistration, registerDevice, revokeDevice } from '../../../core/registry/device-registration.js'
import { FileRegistry } from '../../../core/registry/file-registry.js'
import { verifySecret } from '../../../core/registry/secret.js'
import { TenantPolicies } from '../../../core/registry/tenants.js'

const run = promisify(execFile)

describe('device registration, shared by `circular devices add` and POST /v1/devices', () => {
  let dir: string
  let deps: { registry: FileRegistry; tenants: TenantPolicies; audit: AuditLog }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registration-'))
    writeFileSync(join(dir, 'tenants.json'), JSON.stringify({ version: 1, defaults: { limits: { maxDevices: 2 } }, tenants: { big: { limits: { maxDevices: 3 } } } }))
    deps = { registry: new FileRegistry(join(dir, 'registry.json')), tenants: new TenantPolicies(join(dir, 'tenants.json'), 1000), audit: new AuditLog(join(dir, 'audit.jsonl')) }
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const input = (id: string, tenant: string) => deviceRegistration.parse({ id, tenant, site: 'north', kind: 'waste_container' })

  test('fills in the defaults, stores only the hash of a fresh secret, and audits who registered it', async () => {
    const { device, secret } = await registerDevice(deps, input('bin-1', 'small'), 'cli:tester', Date.UTC(2026, 0, 1))
    expect(device).toMatchObject({ id: 'bin-1', tenant: 'small', apiKey: 'small', format: 'auto', createdAt: '2026-01-01T00:00:00.000Z' })
    expect(deps.registry.get('bin-1')?.secretHash).toBe(device.secretHash)
    expect(await verifySecret(secret, device.secretHash)).toBe(true)
    expect(deps.audit.read({ limit: 10 })).toEqual([{ at: '2026-01-01T00:00:00.000Z', actor: 'cli:tester', action: 'device.add', tenant: 'small', target: 'bin-1', details: { site: 'north', kind: 'waste_container' } }])
  })

  test('refuses the device beyond its tenant\'s maxDevices, counting what is in the registry file when it writes', async () => {
    await registerDevice(deps, input('a', 'small'), 'cli:tester')
    // Registered by another process after this one last read the registry.
    new FileRegistry(join(dir, 'registry.json')).add({ ...deps.registry.get('a')!, id: 'b' })
    await expect(registerDevice(deps, input('c', 'small'), 'cli:tester')).rejects.toMatchObject({ code: 'TENANT_LIMIT_REACHED', details: { tenant: 'small', maxDevices: 2 } })
    expect(deps.registry.get('c')).toBeUndefined()
    expect(deps.audit.read({ limit: 10 }).map((e) => e.target)).toEqual(['a'])
    // The tenant's own limit wins over the defaults.
    for (const id of ['x', 'y', 'z']) await registerDevice(deps, input(id, 'big'), 'cli:tester')
    await expect(registerDevice(deps, input('w', 'big'), 'cli:tester')).rejects.toMatchObject({ code: 'TENANT_LIMIT_REACHED' })
    // A revocation frees a slot.
    expect(revokeDevice(deps, 'x', 'cli:tester', 'big').id).toBe('x')
    await registerDevice(deps, input('w', 'big'), 'cli:tester')
  })

  test('an API key is one tenant’s: a protocol prefix, a key or a name of another tenant is refused with API_KEY_TAKEN, and nothing is stored', async () => {
    const keyed = (id: string, tenant: string, apiKey?: string) => deviceRegistration.parse({ id, tenant, site: 'north', kind: 'waste_container', ...(apiKey !== undefined ? { apiKey } : {}) })
    writeFileSync(join(dir, 'tenants.json'), JSON.stringify({ version: 1, defaults: { limits: { maxDevices: 2 } }, tenants: { 'tenant-b': { limits: { maxDevices: 3 } }, quiet: {} } }))
    await registerDevice(deps, keyed('b-1', 'tenant-b'), 'cli:tester')
    await registerDevice(deps, keyed('b-2', 'tenant-b', 'b-gateways'), 'cli:tester')
    const refusals: [ReturnType<typeof keyed>, RegExp][] = [
      [keyed('a-1', 'tenant-a', 'json'), /protocol prefix/],
      [keyed('a-2', 'tenant-a', 'ul'), /protocol prefix/],
      // A tenant named like a prefix has no default key: it must choose one.
      [keyed('j-1', 'json'), /protocol prefix/],
      [keyed('a-3', 'tenant-a', 'tenant-b'), /belongs to another tenant/],
      [keyed('a-4', 'tenant-a', 'b-gateways'), /belongs to another tenant/],
      // Named in the tenants file, though it has no device yet.
      [keyed('a-5', 'tenant-a', 'quiet'), /belongs to another tenant/],
    ]
    for (const [registration, reason] of refusals) {
      const refused = registerDevice(deps, registration, 'cli:tester')
      await expect(refused, registration.id).rejects.toMatchObject({ code: 'API_KEY_TAKEN', details: { parameter: 'apiKey' } })
      await expect(refused).rejects.toThrow(reason)
      expect(deps.registry.get(registration.id)).toBeUndefined()
    }
    // The tenant's own keys, and keys nobody holds, are fine.
    await registerDevice(deps, keyed('b-3', 'tenant-b', 'b-gateways'), 'cli:tester')
    await registerDevice(deps, keyed('a-6', 'tenant-a', 'a-gateways'), 'cli:tester')
    await registerDevice(deps, keyed('quiet-1', 'quiet'), 'cli:tester')
    expect(deps.registry.list().map((d) => d.id).sort()).toEqual(['a-6', 'b-1', 'b-2', 'b-3', 'quiet-1'])
  })

  test('revoking refuses a device of another tenant like a missing one', () => {
    return registerDevice(deps, input('mine', 'small'), 'cli:tester').then(() => {
      expect(() => revokeDevice(deps, 'mine', 'cli:tester', 'big')).toThrow(expect.objectContaining({ code: 'DEVICE_UNKNOWN' }))
      expect(deps.registry.get('mine')).toBeDefined()
      expect(() => revokeDevice(deps, 'nobody', 'cli:tester')).toThrow(expect.objectContaining({ code: 'DEVICE_UNKNOWN' }))
    })
  })

  test('`circular devices add` goes through the same check: the third device of a tenant limited to two is refused with the reason', async () => {
    const env = { ...process.env, CIRCULAR_STATE_DIR: dir, TENANTS_FILE: join(dir, 'tenants.json'), CIRCULAR_LOG_LEVEL: 'silent' }
    const add = (id: string) => run(process.execPath, ['bin/circular.js', 'devices', 'add', '--id', id, '--tenant', 'clicity', '--site', 's', '--kind', 'generic', '--json'], { env })
    const first = JSON.parse((await add('cli-1')).stdout) as { deviceId: string; secret: string }
    expect(first.deviceId).toBe('cli-1')
    await add('cli-2')
    const refusal = (await add('cli-3').catch((error: unknown) => error)) as { code?: number; stderr?: string }
    expect(refusal.code).not.toBe(0)
    expect(refusal.stderr).toContain('tenant "clicity" has its maximum of 2 devices registered')
    expect(new FileRegistry(join(dir, 'registry.json')).list().map((d) => d.id).sort()).toEqual(['cli-1', 'cli-2'])

    const invalid = (await run(process.execPath, ['bin/circular.js', 'devices', 'add', '--id', 'cli-9', '--tenant', 'other', '--site', 's', '--kind', 'generic', '--fullness-threshold', '2'], { env }).catch((e: unknown) => e)) as {
      stderr?: string
    }
    expect(invalid.stderr).toContain('--fullness-threshold')
  }, 60_000)
})
