import { writeFileSync } from 'node:fs'
import type { Config } from '../../core/config.js'
import { FileApiKeys } from '../../core/registry/api-keys.js'
import { AuditLog } from '../../core/registry/audit-log.js'

/**
 * On a fresh installation (no API key at all) creates a platform admin key, so the operator has a
 * way in, and writes its token to `<state dir>/admin-key`, readable by the owner only, instead of
 * printing it where logs would keep it. Returns that path, or undefined when keys existed already.
 */
export function ensureBootstrapKey(config: Config): string | undefined {
  const keys = new FileApiKeys(config.auth.apiKeysFile)
  if (!keys.isEmpty()) return undefined
  const created = keys.createFirst({ name: 'bootstrap admin (created at first start)', role: 'admin', createdBy: 'cli:start' })
  // Another process starting at the same time made it.
  if (created === undefined) return undefined
  const { key, token } = created
  const path = `${config.stateDir}/admin-key`
  writeFileSync(path, token + '\n', { mode: 0o600 })
  new AuditLog(config.auth.auditLogFile).append({ actor: 'cli:start', action: 'key.create', target: key.id, details: { role: 'admin', name: key.name } })
  return path
}
