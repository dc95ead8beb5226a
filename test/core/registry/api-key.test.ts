import { describe, expect, test } from 'vitest'
import { apiKeyRecord, isApiKeyToken, keyView, newKeyMaterial, parseToken, roleAtLeast, roles, secretMatches, type ApiKeyRecord } from '../../../core/registry/api-key.js'

describe('roleAtLeast', () => {
  test('each role should be allowed what the roles before it are, and nothing after it', () => {
    expect(roles).toEqual(['analyst', 'operator', 'admin'])
    const allowed = roles.map((held) => roles.filter((needed) => roleAtLeast(held, needed)))
    expect(allowed).toEqual([['analyst'], ['analyst', 'operator'], ['analyst', 'operator', 'admin']])
  })
})

describe('key material', () => {
  test('a new key should be a token of its id and a 256-bit secret, with only the secret\'s hash to store', () => {
    const { id, token, hash } = newKeyMaterial()
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(token).toMatch(new RegExp(`^ck_${id}_[A-Za-z0-9_-]{43}$`))
    const parsed = parseToken(token)
    expect(parsed?.id).toBe(id)
    expect(Buffer.from(parsed!.secret, 'base64url')).toHaveLength(32)
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain(parsed!.secret)
    expect(secretMatches(parsed!.secret, hash)).toBe(true)
    expect(newKeyMaterial().id).not.toBe(id)
  })

  test('a secret should match only its own hash, and a malformed stored hash never', () => {
    const a = parseToken(newKeyMaterial().token)!
    const b = newKeyMaterial()
    expect(secretMatches(a.secret, b.hash)).toBe(false)
    expect(secretMatches(a.secret, '')).toBe(false)
    expect(secretMatches(a.secret, 'sha256$short')).toBe(false)
  })

  test('parseToken should accept only the exact shape of an API key', () => {
    const { token, id } = newKeyMaterial()
    const secret = token.slice(20)
    for (const odd of [`ck_${id}_${secret}x`, `ck_${id}_${secret.slice(1)}`, `ck_${id.toUpperCase()}_${secret}`, `CK_${id}_${secret}`, ` ${token}`, `ck_${id}-${secret}`, `ck_${id}_${secret.slice(1)}=`]) {
      expect(parseToken(odd), odd).toBeUndefined()
    }
  })

  test('isApiKeyToken should tell API keys from bearer JWTs by their prefix', () => {
    expect(isApiKeyToken(newKeyMaterial().token)).toBe(true)
    expect(isApiKeyToken('ck_anything')).toBe(true)
    expect(isApiKeyToken('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(false)
  })
})

describe('apiKeyRecord', () => {
  const record: ApiKeyRecord = {
    id: '0123456789abcdef',
    name: 'grafana',
    tenant: 'alpha',
    role: 'analyst',
    hash: newKeyMaterial().hash,
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'cli:ops',
  }

  test('a stored key should have a tenant unless it is a platform admin key, and nothing beyond its fields', () => {
    expect(apiKeyRecord.safeParse(record).success).toBe(true)
    const { tenant: _tenant, ...platform } = record
    expect(apiKeyRecord.safeParse({ ...platform, role: 'admin' }).success).toBe(true)
    const refused = apiKeyRecord.safeParse(platform)
    expect(refused.success).toBe(false)
    expect(refused.error?.issues.map((i) => i.message)).toEqual(['a key without a tenant is a platform key and must have the admin role'])
    expect(apiKeyRecord.safeParse({ ...record, token: 'ck_…' }).success).toBe(false)
    expect(apiKeyRecord.safeParse({ ...record, id: '0123456789ABCDEF' }).success).toBe(false)
  })

  test('keyView should show everything but the hash', () => {
    const view = keyView({ ...record, expiresAt: '2027-01-01T00:00:00.000Z' })
    expect(view).toEqual({ id: record.id, name: 'grafana', tenant: 'alpha', role: 'analyst', createdAt: record.createdAt, createdBy: 'cli:ops', expiresAt: '2027-01-01T00:00:00.000Z' })
    expect(Object.keys(view)).not.toContain('hash')
  })
})
