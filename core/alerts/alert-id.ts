import { createHash } from 'node:crypto'
import type { RuleName } from './rule-settings.js'

/**
 * The id of the alert a rule raises for a device at a time. Deterministic, so that replaying the
 * same readings names the same alert and downstream receivers can deduplicate by it. It starts
 * with the firing time in base 36, so the time can be read back from the id alone.
 */
export function alertIdOf(rule: RuleName, deviceId: string, firedAt: number): string {
  const digest = createHash('sha256').update(`${rule}\u0000${deviceId}\u0000${firedAt}`).digest('hex').slice(0, 16)
  return `${firedAt.toString(36)}-${digest}`
}

/** The firing time encoded in an alert id, or undefined when the id is not one. */
export function firedAtOf(alertId: string): number | undefined {
  const match = /^([0-9a-z]{1,12})-[0-9a-f]{16}$/.exec(alertId)
  if (!match) return undefined
  const time = parseInt(match[1]!, 36)
  return Number.isSafeInteger(time) ? time : undefined
}
