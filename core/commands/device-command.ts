import { z } from 'zod'
import type { OutgoingRecord } from '../bus/bus.js'

/**
 * Commands to devices, with FIWARE IoT Agent command semantics: a command is `pending` from the
 * moment it is accepted, `delivered` once the device acknowledged the MQTT message (PUBACK),
 * `ok` or `error` once the device answered on its `cmdexe` topic, and `expired` when it had no
 * answer by its expiry. Each step is one event on the commands topic, keyed by device, so a
 * device's commands keep their order; `expired` is no event: it is what a command without an
 * answer is once its time is up.
 */
export const commandPhases = ['pending', 'delivered', 'ok', 'error', 'expired'] as const
export type CommandPhase = (typeof commandPhases)[number]

/** Command names as IoT Agents know them (an attribute name of the device). */
export const commandName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a letter, then letters, digits or _ (at most 64)')

const base = {
  schema: z.literal('circular.device-command/v1'),
  deviceId: z.string().min(1),
  tenant: z.string().min(1),
  site: z.string().min(1),
  /** ms since the epoch. */
  at: z.number().int(),
}

/** Accepted by the API: what to send, until when, who asked. */
const pending = z.strictObject({
  ...base,
  phase: z.literal('pending'),
  commandId: z.string().min(1),
  name: commandName,
  /** Any JSON value: the command's parameter, `null` for none. */
  value: z.json(),
  expiresAt: z.number().int(),
  by: z.string().min(1).max(200),
  /** The registration it is meant for (its `createdAt`): a device registered again under the id does not get it. */
  registeredAt: z.string().optional(),
})

/**
 * The device acknowledged the message, or answered. The platform's own topics carry the command
 * id; an IoT Agent answer names only the command, which then answers the oldest unanswered one of
 * that name sent before it (see `commandHistory`).
 */
const progress = z.strictObject({
  ...base,
  phase: z.enum(['delivered', 'ok', 'error']),
  commandId: z.string().min(1).optional(),
  name: commandName.optional(),
  /** What the device answered, as text (JSON for structured answers), at most 1000 characters. */
  result: z.string().max(1000).optional(),
})

export const commandEvent = z.discriminatedUnion('phase', [pending, progress])
export type CommandEvent = z.infer<typeof commandEvent>
export type PendingCommand = z.infer<typeof pending>

export function commandRecord(topic: string, event: CommandEvent): OutgoingRecord {
  return { topic, key: event.deviceId, value: Buffer.from(JSON.stringify(event)), headers: {} }
}
