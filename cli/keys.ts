import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { loadConfig } from '../core/config.js'
import { role, type Role } from '../core/registry/api-key.js'
import { FileApiKeys } from '../core/registry/api-keys.js'
import { AuditLog } from '../core/registry/audit-log.js'
import { identifier } from '../core/registry/device.js'

const dayMs = 86_400_000

interface CreateOptions {
  tenant?: string
  platform?: boolean
  role: string
  name: string
  expiresInDays: string
  json?: boolean
}

/** `circular keys …`: create (shown once), list and revoke API keys; each change is audited. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys (API_KEYS_FILE); changes go to the audit log (AUDIT_LOG_FILE)')
  const actor = (): string => `cli:${userInfo().username}`

  keys
    .command('create')
    .description('create an API key and print its token (shown only now)')
    .option('--tenant <tenant>', 'tenant the key belongs to')
    .option('--platform', 'a platform admin key, bound to no tenant (role admin)')
    .option('--role <role>', 'analyst, operator or admin', 'analyst')
    .requiredOption('--name <name>', 'what the key is for, e.g. "grafana"')
    .option('--expires-in-days <days>', 'days until the key stops working', '365')
    .option('--json', 'print the key as JSON')
    .action((options: CreateOptions) => {
      const config = loadConfig()
      const keyRole = role.parse(options.role) satisfies Role
      const platform = options.platform === true
      if (platform === (options.tenant !== undefined)) throw new Error('give either --tenant <tenant> or --platform')
      if (platform && keyRole !== 'admin') throw new Error('a platform key must have --role admin')
      const tenant = options.tenant === undefined ? undefined : identifier.parse(options.tenant)
      const days = Number(options.expiresInDays)
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--expires-in-days: a whole number from 1 to 3650')
      const { key, token } = new FileApiKeys(config.auth.apiKeysFile).create({ name: options.name, role: keyRole, ...(tenant ? { tenant } : {}), createdBy: actor(), expiresAt: Date.now() + days * dayMs })
      new AuditLog(config.auth.auditLogFile).append({ actor: actor(), action: 'key.create', ...(tenant ? { tenant } : {}), target: key.id, details: { role: key.role, name: key.name, ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}) } })
      if (options.json) return console.log(JSON.stringify({ key, token }, null, 2))
      console.log(`created key ${key.id} (${key.tenant ?? 'platform'}, ${key.role}, expires ${key.expiresAt ?? 'never'})`)
      console.log(`  token (shown once, store it now): ${token}`)
      console.log(`  use: curl -H 'Authorization: Bearer ${token.slice(0, 22)}…' …`)
    })

  keys
    .command('list')
    .description('list API keys (never their tokens)')
    .action(() => {
      const config = loadConfig()
      console.log(JSON.stringify(new FileApiKeys(config.auth.apiKeysFile).list(), null, 2))
    })

  keys
    .command('revoke')
    .description('revoke an API key for good')
    .argument('<id>', 'key id (the 16 hex digits after "ck_")')
    .action((id: string) => {
      const config = loadConfig()
      const key = new FileApiKeys(config.auth.apiKeysFile).revoke(id)
      new AuditLog(config.auth.auditLogFile).append({ actor: actor(), action: 'key.revoke', ...(key.tenant ? { tenant: key.tenant } : {}), target: key.id, details: { role: key.role, name: key.name } })
      console.log(`revoked ${key.id}`)
    })
}
