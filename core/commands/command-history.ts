import type { Point } from '../store/store.js'
import type { CommandEvent, CommandPhase } from './device-command.js'

/** Where command events are stored: one point per event, the phase a tag, so events of one instant never overwrite each other. */
export const commandMeasurement = 'device_command'

export function commandPoint(event: CommandEvent): Point {
  const tags: Record<string, string> = { tenant: event.tenant, site: event.site, device: event.deviceId, phase: event.phase, ...(event.commandId !== undefined ? { command_id: event.commandId } : {}) }
  const fields: Record<string, string | number> =
    event.phase === 'pending'
      ? { name: event.name, value: JSON.stringify(event.value), expires_at: event.expiresAt, by: event.by }
      : { ...(event.name !== undefined ? { name: event.name } : {}), result: event.result ?? '' }
  return { measurement: commandMeasurement, tags, fields, time: event.at }
}

/** A stored point back as the event it was made from; undefined for one that is not. */
export function eventOfPoint(point: Point): CommandEvent | undefined {
  const { tenant, site, device, phase, command_id: commandId } = point.tags
  if (tenant === undefined || site === undefined || device === undefined) return undefined
  const base = { schema: 'circular.device-command/v1' as const, tenant, site, deviceId: device, at: point.time }
  const text = (field: string): string | undefined => {
    const value = point.fields[field]
    return typeof value === 'string' ? value : undefined
  }
  if (phase === 'pending') {
    const name = text('name')
    const expiresAt = point.fields.expires_at
    if (commandId === undefined || name === undefined || typeof expiresAt !== 'number') return undefined
    let value: unknown = null
    try {
      value = JSON.parse(text('value') ?? 'null')
    } catch {
      // Stored by the platform itself as JSON; an unreadable one shows as no value.
    }
    return { ...base, phase, commandId, name, value: value as never, expiresAt, by: text('by') ?? '' }
  }
  if (phase !== 'delivered' && phase !== 'ok' && phase !== 'error') return undefined
  const name = text('name')
  const result = text('result')
  return { ...base, phase, ...(commandId !== undefined ? { commandId } : {}), ...(name !== undefined ? { name } : {}), ...(result ? { result } : {}) }
}

/** A command as an operator sees it: its state now, and every step with its time. */
export interface CommandView {
  readonly commandId: string
  readonly name: string
  readonly value: unknown
  readonly state: CommandPhase
  readonly issuedAt: number
  readonly by: string
  readonly expiresAt: number
  readonly deliveredAt?: number
  readonly answeredAt?: number
  readonly result?: string
  /** Every step, oldest first; an answer after the expiry is listed but changes nothing. */
  readonly history: readonly { readonly phase: CommandPhase; readonly at: number; readonly late?: boolean }[]
}

const order: Record<CommandEvent['phase'], number> = { pending: 0, delivered: 1, ok: 2, error: 2 }

/**
 * Folds a device's command events into its commands, newest first. An event naming its command
 * applies to it; an IoT Agent's, which names only the command, to the oldest command of that name
 * issued before it, not expired then, that has not had that step yet (commands reach a device in
 * the order they were sent).
 */
export function commandHistory(events: readonly CommandEvent[], now: number): CommandView[] {
  type Draft = { -readonly [K in keyof CommandView]: CommandView[K] } & { history: { phase: CommandPhase; at: number; late?: boolean }[] }
  const commands = new Map<string, Draft>()
  const sorted = [...events].sort((a, b) => a.at - b.at || order[a.phase] - order[b.phase])
  for (const e of sorted) {
    if (e.phase === 'pending') {
      commands.set(e.commandId, { commandId: e.commandId, name: e.name, value: e.value, state: 'pending', issuedAt: e.at, by: e.by, expiresAt: e.expiresAt, history: [{ phase: 'pending', at: e.at }] })
      continue
    }
    const target =
      e.commandId !== undefined
        ? commands.get(e.commandId)
        : // The session queue delivers in order: the oldest command of the name still waiting for this step, unexpired then.
          [...commands.values()].find((c) => c.name === e.name && c.issuedAt <= e.at && e.at <= c.expiresAt && (e.phase === 'delivered' ? c.deliveredAt === undefined : c.answeredAt === undefined))
    if (target === undefined) continue
    const late = e.at > target.expiresAt && target.answeredAt === undefined
    if (e.phase === 'delivered') {
      if (target.deliveredAt !== undefined) continue
      target.deliveredAt = e.at
      target.history.push({ phase: 'delivered', at: e.at })
      if (target.state === 'pending' && !late) target.state = 'delivered'
      continue
    }
    if (target.answeredAt !== undefined) continue
    target.history.push({ phase: e.phase, at: e.at, ...(late ? { late: true } : {}) })
    if (late) continue
    target.answeredAt = e.at
    target.state = e.phase
    if (e.result !== undefined) target.result = e.result
  }
  for (const c of commands.values()) if ((c.state === 'pending' || c.state === 'delivered') && now > c.expiresAt) c.state = 'expired'
  return [...commands.values()].sort((a, b) => b.issuedAt - a.issuedAt)
}
