import { z } from 'zod'
import type { DecodeResult } from './decoding.js'
import type { CanonicalReading } from './reading.js'
import { reject } from './rejections.js'

/**
 * Device status: whether a device holds a connection to the platform, as its broker saw it
 * (connection events, on a topic of their own), and what the device itself says about its state
 * on its status topic (`devices/<id>/status`, where a Last Will usually goes: a message like any
 * other, decoded by the normaliser). Both are stored beside the device's readings, in one
 * measurement of their own that is no telemetry, and the alert rule `offline` follows the
 * connection events.
 */
export const deviceStatusMeasurement = 'device_status'

/** How a device's connection changed. */
export const connectionStates = ['online', 'offline'] as const
export type ConnectionState = (typeof connectionStates)[number]

/**
 * Why a session ended, as the broker tells it:
 * - `disconnected`: the device sent DISCONNECT (it left on purpose, e.g. to sleep);
 * - `connection_lost`: the connection closed without DISCONNECT (network, power, keep-alive timeout);
 * - `closed_by_broker`: the broker closed it (a refused publish, a revoked device, a session taken over).
 * A session that starts is `connected`.
 */
export const connectionReasons = ['connected', 'disconnected', 'connection_lost', 'closed_by_broker'] as const
export type ConnectionReason = (typeof connectionReasons)[number]

/** The longest status text a device may report; longer is refused, not cut. */
export const maxReportedStatusLength = 256

/**
 * A connection event as the broker writes it. `session` names the connection across broker
 * instances (`<broker>:<client id>:<connected at>`), so that a device that moved to another
 * broker is not taken for offline when its old connection is noticed gone later.
 */
export const connectionEvent = z.strictObject({
  schema: z.literal('circular.device-status/v1'),
  deviceId: z.string().min(1),
  tenant: z.string().min(1),
  site: z.string().min(1),
  /** When the broker saw it, ms since the epoch (the broker's clock). */
  at: z.number().int(),
  connection: z.enum(connectionStates),
  reason: z.enum(connectionReasons),
  /** What happened, for people: e.g. `keep alive timeout`. */
  detail: z.string().max(500),
  session: z.string().min(1).max(400),
  /** The device's Last Will on its status topic, sent as the session ended. */
  lastWill: z.string().max(maxReportedStatusLength).optional(),
})
export type ConnectionEvent = z.infer<typeof connectionEvent>

/** Where each part of a status event is stored (measurement `device_status`), all text. */
export const deviceStatusFields = {
  connection: { attribute: 'connection', field: 'connection' },
  reason: { attribute: 'connectionReason', field: 'connection_reason' },
  detail: { attribute: 'connectionDetail', field: 'connection_detail' },
  session: { attribute: 'session', field: 'session' },
  reported: { attribute: 'reportedStatus', field: 'reported_status' },
} as const

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** What a connection event stores, field by field (measurement `device_status`). */
export function connectionEventFields(event: ConnectionEvent): Record<string, string> {
  return {
    [deviceStatusFields.connection.field]: event.connection,
    [deviceStatusFields.reason.field]: event.reason,
    [deviceStatusFields.detail.field]: event.detail,
    [deviceStatusFields.session.field]: event.session,
    ...(event.lastWill !== undefined ? { [deviceStatusFields.reported.field]: event.lastWill } : {}),
  }
}

/**
 * A device's own message on its status topic → its reported status, at the time the broker
 * received it: any printable text up to 256 characters (`online`, `offline`, `sleeping`…), or a
 * JSON string or an object whose `status` is one. Only the broker speaks for the connection.
 */
export function decodeDeviceStatus(bytes: Buffer, receivedAt: number): DecodeResult {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return refused('the status is not valid UTF-8')
  }
  const reported = reportedStatus(text)
  if (typeof reported !== 'string') return refused(reported.problem)
  const reading: CanonicalReading = { ...deviceStatusFields.reported, measurement: deviceStatusMeasurement, value: reported, unit: '', time: receivedAt }
  return { format: 'device-status', readings: [reading], rejections: [] }
}

/** The status a device reports in a payload on its status topic, or why it cannot be read as one. */
export function reportedStatus(text: string): string | { problem: string } {
  let status: unknown = text.trim()
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'string') status = parsed.trim()
    else if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) status = typeof (parsed as { status?: unknown }).status === 'string' ? ((parsed as { status: string }).status).trim() : undefined
    else status = undefined
  } catch {
    // Plain text, the common Last Will: `offline`.
  }
  if (typeof status !== 'string') return { problem: 'a status is text, a JSON string, or a JSON object with a "status" text' }
  if (status.length === 0) return { problem: 'the status is empty' }
  if (status.length > maxReportedStatusLength) return { problem: `the status is longer than ${maxReportedStatusLength} characters` }
  // Control characters would reach logs and dashboards as they are.
  if (/\p{Cc}/u.test(status)) return { problem: 'the status holds control characters' }
  return status
}

function refused(message: string): DecodeResult {
  return { format: 'device-status', readings: [], rejections: [reject('PAYLOAD_MALFORMED', message)] }
}
