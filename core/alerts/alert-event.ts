import { z } from 'zod'
import type { OutgoingRecord } from '../bus/bus.js'
import type { Point } from '../store/store.js'
import { geoPoint } from '../../models/geo.js'
import { deviceKind } from '../../models/reading.js'
import { ruleNames } from './rule-settings.js'

export const alertPhases = ['firing', 'acknowledged', 'resolved'] as const
export type AlertPhase = (typeof alertPhases)[number]

/** One record of the `alerts` topic: a transition of one alert, keyed by the alert id. */
export const alertEvent = z.object({
  schema: z.literal('circular.alert/v1'),
  alertId: z.string(),
  phase: z.enum(alertPhases),
  rule: z.enum(ruleNames),
  tenant: z.string(),
  site: z.string(),
  deviceId: z.string(),
  kind: deviceKind,
  /** ms since the epoch. */
  firedAt: z.number().int(),
  at: z.number().int(),
  value: z.union([z.number(), z.string()]).optional(),
  reason: z.string().optional(),
  /** The device's location from the registry, GeoJSON [lon, lat]. */
  location: geoPoint.optional(),
})
export type AlertEvent = z.infer<typeof alertEvent>

export interface AlertSubject {
  readonly tenant: string
  readonly site: string
  readonly deviceId: string
  readonly kind: AlertEvent['kind']
  readonly location?: AlertEvent['location']
}

export function alertRecord(topic: string, event: AlertEvent): OutgoingRecord {
  return { topic, key: event.alertId, value: Buffer.from(JSON.stringify(event)), headers: {} }
}

/**
 * The stored history of an alert: one point per transition in measurement `alerts`. The phase is
 * a tag so an alert's firing, acknowledgement and resolution never overwrite each other; the
 * alert id is a field, as ids must not become tags. Text and numeric values get separate fields
 * because a field keeps one type.
 */
export function alertPoint(event: AlertEvent): Point {
  const fields: Record<string, number | string> = { alert_id: event.alertId, fired_at: event.firedAt }
  if (typeof event.value === 'number') fields.value = event.value
  if (typeof event.value === 'string') fields.value_text = event.value
  if (event.reason !== undefined) fields.reason = event.reason
  return {
    measurement: 'alerts',
    tags: { tenant: event.tenant, site: event.site, device: event.deviceId, kind: event.kind, rule: event.rule, phase: event.phase },
    fields,
    time: event.at,
  }
}
