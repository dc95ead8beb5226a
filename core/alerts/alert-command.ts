import { z } from 'zod'
import type { OutgoingRecord } from '../bus/bus.js'
import { ruleNames } from './rule-settings.js'

const alertDecision = z.object({
  schema: z.literal('circular.alert-command/v1'),
  command: z.enum(['ack', 'resolve']),
  alertId: z.string().min(1),
  rule: z.enum(ruleNames),
  deviceId: z.string().min(1),
  /** Who acknowledged or closed it. */
  by: z.string().min(1).max(200),
  /** ms since the epoch. */
  at: z.number().int(),
})

/** Asks whether a device has gone silent as of `at` (wall clock): silence has no reading to evaluate on. */
const silenceCheck = z.object({
  schema: z.literal('circular.alert-command/v1'),
  command: z.literal('check-silence'),
  deviceId: z.string().min(1),
  at: z.number().int(),
})

/**
 * Asks whether a lid seen open is still open past its grace period as of `at` (wall clock): a
 * device that reports only on change says nothing more while its lid stays open.
 */
const lidCheck = z.object({
  schema: z.literal('circular.alert-command/v1'),
  command: z.literal('check-lid'),
  deviceId: z.string().min(1),
  at: z.number().int(),
})

/** Asks whether a device whose session ended is still offline past its grace period as of `at` (wall clock). */
const offlineCheck = z.object({
  schema: z.literal('circular.alert-command/v1'),
  command: z.literal('check-offline'),
  deviceId: z.string().min(1),
  at: z.number().int(),
})

/**
 * A command to the alerts processor, keyed by device so that it is ordered with the device's
 * readings and applied to the same state: an acknowledgement (API), a resolution because the
 * municipal service closed its service request (Open311), or a check the processor's
 * own clock asks for (silence, a lid left open, a device offline past its grace).
 */
export const alertCommand = z.discriminatedUnion('command', [alertDecision, silenceCheck, lidCheck, offlineCheck])
export type AlertCommand = z.infer<typeof alertCommand>

export function alertCommandRecord(topic: string, command: AlertCommand): OutgoingRecord {
  return { topic, key: command.deviceId, value: Buffer.from(JSON.stringify(command)), headers: {} }
}
