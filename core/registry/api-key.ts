import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { identifier } from './device.js'

/** Roles in increasing order of power: each may do everything the ones before it may. */
export const roles = ['analyst', 'operator', 'admin'] as const
export const role = z.enum(roles)
export type Role = z.infer<typeof role>

export function roleAtLeast(held: Role, needed: Role): boolean {
  return roles.indexOf(held) >= roles.indexOf(needed)
}

const keyId = z.string().regex(/^[0-9a-f]{16}$/, 'an API key id: 16 hexadecimal digits')

/**
 * An API key as stored: only a SHA-256 of its secret part. The secret is 256 random bits, so a
 * fast hash is as safe as a slow one and keeps every request's check cheap; the id in the token
 * makes the lookup O(1).
 */
export const apiKeyRecord = z
  .strictObject({
    id: keyId,
    name: z.string().min(1).max(100),
    /** Absent: a platform admin key, not bound to one tenant. */
    tenant: identifier.optional(),
    role,
    hash: z.string().regex(/^sha256\$[A-Za-z0-9_-]{43}$/),
    createdAt: z.iso.datetime(),
    /** Who created it: `key:<id>`, `token:<subject>` or `cli:<user>`. */
    createdBy: z.string().min(1).max(300),
    expiresAt: z.iso.datetime().optional(),
    revokedAt: z.iso.datetime().optional(),
  })
  .refine((key) => key.tenant !== undefined || key.role === 'admin', { error: 'a key without a tenant is a platform key and must have the admin role' })
export type ApiKeyRecord = z.infer<typeof apiKeyRecord>

/** What may be shown about a key: everything but its hash. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>

export function keyView({ hash: _hash, ...rest }: ApiKeyRecord): ApiKeyView {
  return rest
}

export { keyId }

const tokenPattern = /^ck_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** A new key: its id, the token to hand out once (`ck_<id>_<secret>`) and the hash to store. */
export function newKeyMaterial(): { id: string; token: string; hash: string } {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, token: `ck_${id}_${secret}`, hash: hashOf(secret) }
}

/** The id and secret of a token, or undefined when it is not shaped like an API key. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = tokenPattern.exec(token)
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined
}

/** Whether `token` looks like an API key rather than a JWT. */
export function isApiKeyToken(token: string): boolean {
  return token.startsWith('ck_')
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash)
  const actual = Buffer.from(hashOf(secret))
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

function hashOf(secret: string): string {
  return `sha256$${createHash('sha256').update(secret).digest('base64url')}`
}
