import { createHash } from 'node:crypto'
import type { Verdict } from './conditions.js'
import type { RuleName } from './rule-settings.js'
import type { RuleState } from './state.js'

const minuteMs = 60_000

export type AlertPhase = 'firing' | 'acknowledged' | 'resolved'

/** A change in an alert's life, as the `alerts` topic carries it. */
export interface Transition {
  readonly alertId: string
  readonly phase: AlertPhase
  readonly firedAt: number
  /** When the transition happened: the observation time for firing and resolved, the request time for acknowledged. */
  readonly at: number
  readonly value?: number | string
  readonly reason?: string
}

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

/**
 * Advances one (rule, device) pair by one verdict. An open alert (firing or acknowledged) is not
 * raised again, so a condition that persists makes one alert; it resolves on `clear` only, which
 * the conditions give beyond the hysteresis band; after that the rule stays quiet for the cooldown.
 */
export function step(state: RuleState, verdict: Verdict, rule: RuleName, deviceId: string, time: number, cooldownMinutes: number): Transition | undefined {
  if (verdict.kind === 'raise' && state.phase === 'idle' && time >= (state.quietUntil ?? Number.NEGATIVE_INFINITY)) {
    const alertId = alertIdOf(rule, deviceId, time)
    state.phase = 'firing'
    state.alertId = alertId
    state.firedAt = time
    delete state.quietUntil
    return { alertId, phase: 'firing', firedAt: time, at: time, value: verdict.value, reason: verdict.reason }
  }
  if (verdict.kind === 'clear' && state.phase !== 'idle' && state.alertId !== undefined && state.firedAt !== undefined) {
    const transition: Transition = { alertId: state.alertId, phase: 'resolved', firedAt: state.firedAt, at: time, reason: 'condition cleared' }
    state.phase = 'idle'
    delete state.alertId
    delete state.firedAt
    state.quietUntil = time + cooldownMinutes * minuteMs
    return transition
  }
  return undefined
}

/** Marks the open alert acknowledged; an ack for another or a closed alert changes nothing. */
export function acknowledge(state: RuleState, alertId: string, time: number, by: string): Transition | undefined {
  if (state.phase !== 'firing' || state.alertId !== alertId || state.firedAt === undefined) return undefined
  state.phase = 'acknowledged'
  return { alertId, phase: 'acknowledged', firedAt: state.firedAt, at: time, reason: `acknowledged by ${by}` }
}

/** Resolves the open alert from outside (its service request was closed); the cooldown starts then. */
export function resolveFromOutside(state: RuleState, alertId: string, time: number, by: string, cooldownMinutes: number): Transition | undefined {
  if (state.phase === 'idle' || state.alertId !== alertId || state.firedAt === undefined) return undefined
  const transition: Transition = { alertId, phase: 'resolved', firedAt: state.firedAt, at: time, reason: `closed by ${by}` }
  state.phase = 'idle'
  delete state.alertId
  delete state.firedAt
  state.quietUntil = time + cooldownMinutes * minuteMs
  return transition
}
