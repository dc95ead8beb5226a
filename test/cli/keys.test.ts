import { existsSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { FileApiKeys } from '../../core/registry/api-keys.js'
import { AuditLog } from '../../core/registry/audit-log.js'
import { runCircular, stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())
const dayMs = 86_400_000
const actor = `cli:${userInfo().username}`

describe('circular keys create', () => {
  test('should print a tenant key\'s token once, store only its hash, and audit the creation', async () => {
    const stateDir = dirs.make()
    const before = Date.now()
    const { code, stdout } = await runCircular(['keys', 'create', '--tenant', 'alpha', '--name', 'grafana'], stateDir)
    const after = Date.now()
    expect(code).toBe(0)
    const [created, tokenLine, usage] = stdout.trim().split('\n')
    const [, id, expires] = /^created key ([0-9a-f]{16}) \(alpha, analyst, expires (\S+)\)$/.exec(created ?? '') ?? []
    const token = /^ {2}token \(shown once, store it now\): (ck_\S+)$/.exec(tokenLine ?? '')?.[1] ?? ''
    expect(token.startsWith(`ck_${id}_`)).toBe(true)
    expect(usage).toBe(`  use: curl -H 'Authorization: Bearer ${token.slice(0, 22)}…' …`)
    // 365 days by default.
    expect(Date.parse(expires!)).toBeGreaterThanOrEqual(before + 365 * dayMs)
    expect(Date.parse(expires!)).toBeLessThanOrEqual(after + 365 * dayMs)
    const keys = new FileApiKeys(join(stateDir, 'api-keys.json'))
    expect(keys.check(token)).toMatchObject({ ok: true, key: { id, tenant: 'alpha', role: 'analyst', name: 'grafana', createdBy: actor } })
    expect(new AuditLog(join(stateDir, 'audit.jsonl')).read({ limit: 5 })).toMatchObject([{ actor, action: 'key.create', tenant: 'alpha', target: id, details: { role: 'analyst', name: 'grafana', expiresAt: expires } }])
  }, 30_000)

  test('a platform key should need the admin role and get no tenant; --json should print the key and its token', async () => {
    const stateDir = dirs.make()
    const { code, stdout } = await runCircular(['keys', 'create', '--platform', '--role', 'admin', '--name', 'ops', '--expires-in-days', '3650', '--json'], stateDir)
    expect(code).toBe(0)
    const { key, token } = JSON.parse(stdout) as { key: Record<string, unknown>; token: string }
    expect(key).toMatchObject({ role: 'admin', name: 'ops' })
    expect(key).not.toHaveProperty('tenant')
    expect(key).not.toHaveProperty('hash')
    expect(new FileApiKeys(join(stateDir, 'api-keys.json')).check(token)).toMatchObject({ ok: true })
    expect(Date.parse(key.expiresAt as string) - Date.now()).toBeGreaterThan(3649 * dayMs)
  }, 30_000)

  test('should refuse a key without exactly one of tenant or platform, a platform key below admin, and expiries outside 1 to 3650 days, writing nothing', async () => {
    const stateDir = dirs.make()
    const refusals: [string[], string | undefined][] = [
      [['--tenant', 'alpha', '--platform'], 'circular: give either --tenant <tenant> or --platform'],
      [[], 'circular: give either --tenant <tenant> or --platform'],
      [['--platform'], 'circular: a platform key must have --role admin'],
      [['--tenant', 'alpha', '--expires-in-days', '0'], 'circular: --expires-in-days: a whole number from 1 to 3650'],
      [['--tenant', 'alpha', '--expires-in-days', '3651'], 'circular: --expires-in-days: a whole number from 1 to 3650'],
      [['--tenant', 'alpha', '--expires-in-days', '1.5'], 'circular: --expires-in-days: a whole number from 1 to 3650'],
      [['--tenant', 'alpha/beta'], undefined],
      [['--tenant', 'alpha', '--role', 'boss'], undefined],
    ]
    for (const [flags, message] of refusals) {
      const { code, stderr } = await runCircular(['keys', 'create', '--name', 'x', ...flags], stateDir)
      expect(code, flags.join(' ')).toBe(1)
      if (message !== undefined) expect(stderr.trim(), flags.join(' ')).toBe(message)
    }
    expect(existsSync(join(stateDir, 'api-keys.json'))).toBe(false)
    expect(existsSync(join(stateDir, 'audit.jsonl'))).toBe(false)
  }, 90_000)
})

describe('circular keys list and revoke', () => {
  test('list should never show a token or hash; revoke should end the key for good and be audited', async () => {
    const stateDir = dirs.make()
    const { key, token } = JSON.parse((await runCircular(['keys', 'create', '--tenant', 'beta', '--role', 'operator', '--name', 'ops', '--json'], stateDir)).stdout) as { key: { id: string }; token: string }
    const listed = await runCircular(['keys', 'list'], stateDir)
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: key.id, tenant: 'beta', role: 'operator' }])
    expect(listed.stdout).not.toContain('sha256$')
    expect(listed.stdout).not.toContain(token.slice(20))
    const revoked = await runCircular(['keys', 'revoke', key.id], stateDir)
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${key.id}\n` })
    expect(new FileApiKeys(join(stateDir, 'api-keys.json')).check(token)).toEqual({ ok: false, reason: 'revoked' })
    expect(new AuditLog(join(stateDir, 'audit.jsonl')).read({ limit: 1 })).toMatchObject([{ actor, action: 'key.revoke', tenant: 'beta', target: key.id, details: { role: 'operator', name: 'ops' } }])
    const unknown = await runCircular(['keys', 'revoke', '0000000000000000'], stateDir)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/^circular: KEY_UNKNOWN: /)
  }, 60_000)
})
