import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { apiKeyRecord, keyView, newKeyMaterial, parseToken, secretMatches, type ApiKeyRecord, type ApiKeyView, type Role } from './api-key.js'
import { WatchedJsonFile } from './json-file.js'

const apiKeysFile = z.strictObject({ version: z.literal(1), keys: z.array(apiKeyRecord) })
type ApiKeysFile = z.infer<typeof apiKeysFile>

export interface NewKey {
  readonly name: string
  /** Undefined for a platform admin key. */
  readonly tenant?: string
  readonly role: Role
  readonly createdBy: string
  /** ms since the epoch; undefined means the key does not expire. */
  readonly expiresAt?: number
}

/** Why a token was refused; never shown to the caller, only logged and counted. */
export type KeyRefusal = 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired'

export type KeyCheck = { readonly ok: true; readonly key: ApiKeyRecord } | { readonly ok: false; readonly reason: KeyRefusal }

/**
 * The API keys, kept hashed in one JSON file (`API_KEYS_FILE`). A key is shown once, when it is
 * created; afterwards only its id, name, tenant, role and dates can be seen. Revoked keys stay
 * in the file, so the audit trail can name them.
 */
export class FileApiKeys {
  private readonly file: WatchedJsonFile<ApiKeysFile>

  constructor(path: string) {
    this.file = new WatchedJsonFile(path, apiKeysFile, () => ({ version: 1, keys: [] }), 'KEYS_INVALID')
  }

  /** Creates a key and returns it with the token, which is not stored and cannot be shown again. */
  create(request: NewKey, now = Date.now()): { key: ApiKeyView; token: string } {
    return this.createUnless(() => false, request, now)!
  }

  /** Creates the first key of an installation; undefined when any key exists, decided under the file's lock so two processes starting at once make one. */
  createFirst(request: NewKey, now = Date.now()): { key: ApiKeyView; token: string } | undefined {
    return this.createUnless((keys) => keys.length > 0, request, now)
  }

  private createUnless(refuse: (keys: readonly ApiKeyRecord[]) => boolean, request: NewKey, now: number): { key: ApiKeyView; token: string } | undefined {
    const { id, token, hash } = newKeyMaterial()
    const record = apiKeyRecord.parse({
      id,
      name: request.name,
      ...(request.tenant !== undefined ? { tenant: request.tenant } : {}),
      role: request.role,
      hash,
      createdAt: new Date(now).toISOString(),
      createdBy: request.createdBy,
      ...(request.expiresAt !== undefined ? { expiresAt: new Date(request.expiresAt).toISOString() } : {}),
    })
    let created = false
    this.file.update((current) => {
      if (refuse(current.keys)) return undefined
      created = true
      return { version: 1, keys: [...current.keys, record] }
    })
    return created ? { key: keyView(record), token } : undefined
  }

  list(): readonly ApiKeyView[] {
    return this.file.read().keys.map(keyView)
  }

  get(id: string): ApiKeyView | undefined {
    const key = this.file.read().keys.find((k) => k.id === id)
    return key ? keyView(key) : undefined
  }

  /** Revokes a key for good; revoking it again changes nothing. */
  revoke(id: string, now = Date.now()): ApiKeyView {
    let view: ApiKeyView | undefined
    this.file.update((current) => {
      const key = current.keys.find((k) => k.id === id)
      if (!key) throw new PlatformError('KEY_UNKNOWN', `no API key "${id}"`, { keyId: id })
      if (key.revokedAt !== undefined) {
        view = keyView(key)
        return undefined
      }
      const revoked = { ...key, revokedAt: new Date(now).toISOString() }
      view = keyView(revoked)
      return { version: 1, keys: current.keys.map((k) => (k.id === id ? revoked : k)) }
    })
    return view!
  }

  /** Checks a presented token: shaped right, known, secret matching, not revoked, not expired. */
  check(token: string, now = Date.now()): KeyCheck {
    const parts = parseToken(token)
    if (!parts) return { ok: false, reason: 'malformed' }
    // A key created by another process a moment ago is not missed.
    const key = this.file.read().keys.find((k) => k.id === parts.id) ?? this.file.readCurrent().keys.find((k) => k.id === parts.id)
    if (!key) return { ok: false, reason: 'unknown' }
    if (!secretMatches(parts.secret, key.hash)) return { ok: false, reason: 'wrong-secret' }
    if (key.revokedAt !== undefined) return { ok: false, reason: 'revoked' }
    if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now) return { ok: false, reason: 'expired' }
    return { ok: true, key }
  }

  /** Whether any key exists at all, revoked or not (a fresh installation has none). */
  isEmpty(): boolean {
    return this.file.readFresh().keys.length === 0
  }
}
