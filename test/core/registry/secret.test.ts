import { describe, expect, test } from 'vitest'
import { generateSecret, hashSecret, hashSecretWithScrypt, isSlowSecretHash, verifySecret } from '../../../core/registry/secret.js'

describe('device secrets', () => {
  test('hashSecret should store a salted HMAC-SHA256 that verifySecret accepts only for the same secret', async () => {
    const secret = generateSecret()
    const hash = await hashSecret(secret)
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain(secret)
    expect(isSlowSecretHash(hash)).toBe(false)
    expect(await verifySecret(secret, hash)).toBe(true)
    expect(await verifySecret(secret + 'x', hash)).toBe(false)
    expect(await hashSecret(secret)).not.toBe(hash)
  })

  test('hashes of the earlier scrypt form should still verify', async () => {
    const secret = generateSecret()
    const hash = await hashSecretWithScrypt(secret)
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(isSlowSecretHash(hash)).toBe(true)
    expect(await verifySecret(secret, hash)).toBe(true)
    expect(await verifySecret(secret + 'x', hash)).toBe(false)
  })

  test('verifySecret should reject malformed stored hashes instead of throwing', async () => {
    expect(await verifySecret('s', 'plain')).toBe(false)
    expect(await verifySecret('s', 'scrypt$16384$8$1$c2FsdA$')).toBe(false)
    expect(await verifySecret('s', 'sha256$c2FsdA$')).toBe(false)
    expect(await verifySecret('s', 'sha256$c2FsdA$aGFzaA')).toBe(false)
  })

  test('generateSecret should give distinct 32-character base64url secrets', () => {
    const a = generateSecret()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(generateSecret()).not.toBe(a)
  })
})
