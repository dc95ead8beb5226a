import type { Config } from '../../core/config.js'
import type { Role } from '../../core/registry/api-key.js'
import { FileApiKeys } from '../../core/registry/api-keys.js'

export interface KeyRequest {
  /** Omit for a platform admin key. */
  readonly tenant?: string
  readonly role: Role
  /** ms since the epoch. */
  readonly expiresAt?: number
}

/** Creates an API key in the platform's key file, as `circular keys create` does, and returns its token. */
export function createTestKey(config: Config, request: KeyRequest): string {
  return new FileApiKeys(config.auth.apiKeysFile).create({ name: 'test', createdBy: 'cli:test', ...request }).token
}

/** The header that authenticates a request with the token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** Headers of a platform admin: what tests of other features use to reach every endpoint. */
export function adminHeaders(config: Config): { authorization: string } {
  return bearer(createTestKey(config, { role: 'admin' }))
}
