import { readFileSync, statSync } from 'node:fs'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../../core/logger.js'
import {
  open311For,
  rulesFile,
  settingsFor,
  webhooksFor,
  type DeviceFacts,
  type Open311Channel,
  type RuleName,
  type RuleSettings,
  type RulesFile,
  type WebhookSubscriber,
} from '../../core/alerts/rule-settings.js'

/** How often at most the file's modification time is checked; edits take effect within this. */
const recheckIntervalMs = 1000

const noFile: RulesFile = { version: 1 }

/**
 * The alert rules from `ALERT_RULES_FILE`, reloaded when the file changes, without a restart.
 * A file that is invalid at start-up stops the start; one that becomes invalid later is reported
 * and the rules in force stay, so a typo cannot silence every alert of a city.
 */
export class RulesSource {
  private rules: RulesFile = noFile
  private loadedMtimeMs = -1
  private lastCheck = 0

  /** `optional`: a missing file means the built-in rules until one is written (the default path in the state directory). */
  constructor(
    private readonly path: string | undefined,
    private readonly logger: Logger,
    options: { readonly optional?: boolean } = {},
  ) {
    if (path === undefined || (options.optional === true && mtimeOf(path) === -1)) return
    this.rules = readRulesFile(path)
    this.loadedMtimeMs = mtimeOf(path)
  }

  settingsFor(device: DeviceFacts): RuleSettings {
    this.reloadIfChanged()
    return settingsFor(this.rules, device)
  }

  webhooksFor(tenant: string, rule: RuleName, phase: 'firing' | 'acknowledged' | 'resolved'): WebhookSubscriber[] {
    this.reloadIfChanged()
    return webhooksFor(this.rules, tenant, rule, phase)
  }

  open311For(tenant: string, rule: RuleName): { channel: Open311Channel; serviceCode: string } | undefined {
    this.reloadIfChanged()
    return open311For(this.rules, tenant, rule)
  }

  /** Every tenant's Open311 channel, for following the requests filed there. */
  open311Channels(): Map<string, Open311Channel> {
    this.reloadIfChanged()
    return new Map(Object.entries(this.rules.tenants ?? {}).flatMap(([, t]) => (t.open311 ? [[t.open311.id, t.open311] as const] : [])))
  }

  private reloadIfChanged(): void {
    if (this.path === undefined) return
    const now = Date.now()
    if (now - this.lastCheck < recheckIntervalMs) return
    this.lastCheck = now
    const mtimeMs = mtimeOf(this.path)
    if (mtimeMs === this.loadedMtimeMs) return
    this.loadedMtimeMs = mtimeMs
    try {
      this.rules = readRulesFile(this.path)
      this.logger.info({ path: this.path }, 'alert rules reloaded')
    } catch (error) {
      this.logger.error({ err: error, path: this.path }, 'alert rules file is invalid; the previous rules stay in force')
    }
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs
  } catch {
    return -1
  }
}

export function readRulesFile(path: string): RulesFile {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new PlatformError('ALERT_RULES_INVALID', `cannot read alert rules ${path}: ${(error as Error).message}`, { path })
  }
  const parsed = rulesFile.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new PlatformError('ALERT_RULES_INVALID', `alert rules ${path} are invalid: ${problems}`, { path })
  }
  return parsed.data
}
