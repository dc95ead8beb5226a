import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Device secrets are 24 random bytes (192 bits), generated here; nobody chooses them. Guessing
 * one is out of reach however fast a guess is checked, so a stored secret needs a keyed hash
 * that cannot be reversed, not a slow one: `sha256$salt$digest`, the digest an HMAC-SHA256 of the
 * secret under its own random salt, checked in microseconds, so a fleet reconnecting after a
 * broker restart costs no CPU worth counting. Registries written before hold
 * `scrypt$N$r$p$salt$hash` (about 95 ms of CPU per check): still accepted, and verified once per
 * broker process and device (see the broker's `SecretChecks`).
 */
const scryptDefaults = { N: 16_384, r: 8, p: 1, keyLength: 32 }

/** The prefixes of the stored forms. */
export const secretHashPrefixes = ['sha256$', 'scrypt$'] as const

function derive(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

function keyedDigest(secret: string, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(secret, 'utf8').digest()
}

/** A new random device secret: 24 bytes, base64url, safe to type into device configuration. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url')
}

/** `sha256$salt$digest`, salt and digest base64url. */
export function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  return Promise.resolve(['sha256', salt.toString('base64url'), keyedDigest(secret, salt).toString('base64url')].join('$'))
}

/** The earlier form, `scrypt$N$r$p$salt$hash`: for registries written before, and tests of them. */
export async function hashSecretWithScrypt(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt, scryptDefaults.keyLength, scryptDefaults)
  return ['scrypt', scryptDefaults.N, scryptDefaults.r, scryptDefaults.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether checking a secret against this stored hash is slow (the earlier scrypt form). */
export function isSlowSecretHash(stored: string): boolean {
  return stored.startsWith('scrypt$')
}

/** Constant-time check of a secret against a stored hash; a malformed hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length === 3 && parts[0] === 'sha256') {
    const expected = Buffer.from(parts[2]!, 'base64url')
    if (expected.length !== 32) return false
    return timingSafeEqual(keyedDigest(secret, Buffer.from(parts[1]!, 'base64url')), expected)
  }
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hashText, 'base64url')
  if (expected.length === 0) return false
  const key = await derive(secret, Buffer.from(saltText, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) })
  return timingSafeEqual(key, expected)
}
