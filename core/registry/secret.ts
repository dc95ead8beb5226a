import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// OWASP's scrypt baseline (N=2^17, r=8, p=1) costs ~130 MiB and ~0.3 s per check on these
// machines; devices reconnect in bursts after an outage, so a lighter N=2^14 keeps a fleet's
// reconnect storm bounded while staying far beyond brute force for 24-byte random secrets.
const defaults = { N: 16_384, r: 8, p: 1, keyLength: 32 }

function derive(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** A new random device secret: 24 bytes, base64url, safe to type into device configuration. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url')
}

/** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt, defaults.keyLength, defaults)
  return ['scrypt', defaults.N, defaults.r, defaults.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Constant-time check of a secret against a stored hash; a malformed hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hashText, 'base64url')
  if (expected.length === 0) return false
  const key = await derive(secret, Buffer.from(saltText, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) })
  return timingSafeEqual(key, expected)
}
