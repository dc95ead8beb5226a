import { alertIdOf } from '../../core/alerts/alert-id.js'
import type { AlertEvent, AlertPhase, AlertSubject } from '../../core/alerts/alert-event.js'
import type { RuleName } from '../../core/alerts/rule-settings.js'
import type { RuleState, Verdict } from './state.js'

const minuteMs = 60_000

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

/** The `alerts` topic record of a transition of a rule's alert about a subject. */
export function alertEventOf(transition: Transition, rule: AlertEvent['rule'], subject: AlertSubject): AlertEvent {
  return {
    schema: 'circular.alert/v1',
    alertId: transition.alertId,
    phase: transition.phase,
    rule,
    tenant: subject.tenant,
    site: subject.site,
    deviceId: subject.deviceId,
    kind: subject.kind,
    firedAt: transition.firedAt,
    at: transition.at,
    ...(transition.value !== undefined ? { value: transition.value } : {}),
    ...(transition.reason !== undefined ? { reason: transition.reason } : {}),
    ...(subject.location ? { location: subject.location } : {}),
  }
}
