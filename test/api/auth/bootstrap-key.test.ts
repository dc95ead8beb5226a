import { readFileSync, statSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { ensureBootstrapKey } from '../../../api/auth/bootstrap-key.js'
import { FileApiKeys } from '../../../core/registry/api-keys.js'
import { AuditLog } from '../../../core/registry/audit-log.js'
import { isolatedConfig } from '../../support/pipeline.js'

describe('bootstrap admin key', () => {
  test('the first start writes a working platform admin key to a file only the owner can read, once', () => {
    const { config, cleanup } = isolatedConfig()
    try {
      const path = ensureBootstrapKey(config)
      expect(path).toBe(`${config.stateDir}/admin-key`)
      expect(statSync(path!).mode & 0o077).toBe(0)
      const check = new FileApiKeys(config.auth.apiKeysFile).check(readFileSync(path!, 'utf8').trim())
      expect(check).toMatchObject({ ok: true, key: { role: 'admin' } })
      expect(check.ok && check.key.tenant).toBeUndefined()
      expect(new AuditLog(config.auth.auditLogFile).read({ limit: 5 })).toMatchObject([{ actor: 'cli:start', action: 'key.create' }])
      expect(ensureBootstrapKey(config)).toBeUndefined()
      expect(new FileApiKeys(config.auth.apiKeysFile).list()).toHaveLength(1)
    } finally {
      cleanup()
    }
  })
})
