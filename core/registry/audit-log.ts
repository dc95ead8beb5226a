import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'
import { parseJsonOrUndefined } from '../json.js'

export const auditActions = ['key.create', 'key.revoke', 'device.add', 'device.remove', 'alert-rules.replace', 'device.command'] as const

export const auditEntry = z.strictObject({
  at: z.iso.datetime(),
  /** Who did it: `key:<id>`, `token:<subject>` or `cli:<user>`. */
  actor: z.string().min(1).max(300),
  action: z.enum(auditActions),
  /** The tenant the action concerns; absent for platform-wide objects (a platform key). */
  tenant: z.string().optional(),
  /** What it was done to: a key id, a device id, or the rules file of the tenant. */
  target: z.string().min(1).max(300),
  /** A few facts worth keeping (role, expiry); never a secret. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
})
export type AuditEntry = z.infer<typeof auditEntry>

/**
 * Admin actions, one JSON object per line appended to `AUDIT_LOG_FILE`. Each append is flushed to
 * disk before the action is reported done; nothing ever rewrites or deletes a line.
 */
export class AuditLog {
  constructor(private readonly path: string) {}

  append(entry: Omit<AuditEntry, 'at'>, now = Date.now()): AuditEntry {
    const complete = auditEntry.parse({ at: new Date(now).toISOString(), ...entry })
    mkdirSync(dirname(this.path), { recursive: true })
    const fd = openSync(this.path, 'a', 0o600)
    try {
      writeSync(fd, JSON.stringify(complete) + '\n')
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    return complete
  }

  /** Newest first; only the tenant's entries when a tenant is given. A torn last line (a crash mid-write) is skipped. */
  read(filter: { tenant?: string; limit: number }): AuditEntry[] {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const entries: AuditEntry[] = []
    for (const line of text.split('\n').reverse()) {
      if (entries.length >= filter.limit) break
      if (line.trim() === '') continue
      const parsed = auditEntry.safeParse(parseJsonOrUndefined(line))
      if (parsed.success && (filter.tenant === undefined || parsed.data.tenant === filter.tenant)) entries.push(parsed.data)
    }
    return entries
  }
}
