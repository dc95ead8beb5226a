import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { FileApiKeys } from '../../../core/registry/api-keys.js'

const path = (name: string): string => join(mkdtempSync(join(tmpdir(), 'keys-')), name)

describe('API keys file', () => {
  test('stores only a hash; the token checks out until revoked or expired, in this and another reader', () => {
    const file = path('api-keys.json')
    const keys = new FileApiKeys(file)
    const now = Date.UTC(2026, 0, 1)
    const { key, token } = keys.create({ name: 'grafana', tenant: 'alpha', role: 'analyst', createdBy: 'cli:ops', expiresAt: now + 1000 }, now)
    expect(token).toMatch(/^ck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    const stored = readFileSync(file, 'utf8')
    expect(stored).not.toContain(token.split('_')[2])
    expect(stored).toContain('sha256$')
    expect(statSync(file).mode & 0o077).toBe(0)
    expect(keys.check(token, now)).toMatchObject({ ok: true, key: { id: key.id, tenant: 'alpha', role: 'analyst' } })
    expect(new FileApiKeys(file).check(token, now)).toMatchObject({ ok: true })
    expect(keys.check(token, now + 1000)).toEqual({ ok: false, reason: 'expired' })
    keys.revoke(key.id, now)
    expect(keys.check(token, now)).toEqual({ ok: false, reason: 'revoked' })
    expect(keys.check(token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a'), now)).toEqual({ ok: false, reason: 'wrong-secret' })
    expect(keys.check('ck_nothex', now)).toEqual({ ok: false, reason: 'malformed' })
    expect(() => keys.revoke('0000000000000000')).toThrow(expect.objectContaining({ code: 'KEY_UNKNOWN' }))
  })

  test('a key without a tenant must be an admin key', () => {
    expect(() => new FileApiKeys(path('k.json')).create({ name: 'x', role: 'analyst', createdBy: 'cli:ops' })).toThrow(/platform key/)
  })

  test('createFirst should make a key only while there is none, as seen under the lock by two instances', () => {
    const file = path('api-keys.json')
    const first = new FileApiKeys(file)
    const second = new FileApiKeys(file)
    // Both saw an empty file before either wrote.
    expect(first.list()).toEqual([])
    expect(second.list()).toEqual([])
    expect(first.createFirst({ name: 'bootstrap', role: 'admin', createdBy: 'cli:start' })).toBeDefined()
    expect(second.createFirst({ name: 'bootstrap', role: 'admin', createdBy: 'cli:start' })).toBeUndefined()
    expect(new FileApiKeys(file).list()).toHaveLength(1)
  })
})
