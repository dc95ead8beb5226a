import type { Point, Store } from '../store/store.js'
import type { AlertPhase } from './alert-event.js'
import type { RuleName } from './rule-settings.js'

/** Which alert an outbox entry delivers: what its stored point is tagged and timed with. */
export interface DeliveryAbout {
  readonly tenant: string
  readonly site: string
  readonly deviceId: string
  readonly rule: RuleName
  readonly firedAt: number
}

/** The parts of a notifier outbox entry (`Delivery`) that its stored point shows. */
export interface DeliveryRecord {
  readonly channel?: 'webhook' | 'open311'
  readonly subscriber: string
  readonly alertId: string
  readonly phase: AlertPhase
  readonly status: 'pending' | 'sending' | 'delivered' | 'dead'
  readonly attempts: readonly { at: number; status?: number; error?: string }[]
  readonly deliveredAt?: number
  readonly about?: DeliveryAbout
  readonly open311?: { serviceRequestId?: string; token?: string; closed?: boolean }
}

/** One delivery of one transition to one subscriber, as `GET /v1/alerts/{id}` shows it. */
export interface DeliveryView {
  readonly channel: 'webhook' | 'open311'
  readonly subscriber: string
  readonly phase: AlertPhase
  readonly status: DeliveryRecord['status']
  readonly attempts: number
  readonly lastAttemptAt?: number
  readonly lastHttpStatus?: number
  readonly lastError?: string
  readonly deliveredAt?: number
  readonly serviceRequestId?: string
  readonly token?: string
  readonly closed?: boolean
}

const measurement = 'alert_deliveries'

/**
 * The outbox entry as a store point (measurement `alert_deliveries`), written again at every
 * change. Its series (tenant, site, device, rule, channel, subscriber, phase) and time (the
 * alert's firing time) name one entry, as the alert id is made of rule, device and firing time,
 * so each write overwrites the last and the store holds the entry's newest state. Through the
 * store rather than the outbox topic because the API reads any store, and only the store.
 */
export function deliveryPoint(d: DeliveryRecord): Point | undefined {
  if (!d.about) return undefined
  const last = d.attempts.at(-1)
  const fields: Record<string, number | string | boolean> = { alert_id: d.alertId, status: d.status, attempts: d.attempts.length }
  if (last !== undefined) {
    // Written every time, as a store keeps the fields a newer point leaves out: 0 and '' say none.
    fields.last_attempt_at = last.at
    fields.last_http_status = last.status ?? 0
    fields.last_error = last.error?.slice(0, 500) ?? ''
  }
  if (d.deliveredAt !== undefined) fields.delivered_at = d.deliveredAt
  if (d.open311?.serviceRequestId !== undefined) fields.service_request_id = d.open311.serviceRequestId
  if (d.open311?.token !== undefined) fields.token = d.open311.token
  if (d.open311?.closed !== undefined) fields.closed = d.open311.closed
  const { tenant, site, deviceId, rule, firedAt } = d.about
  return { measurement, tags: { tenant, site, device: deviceId, rule, channel: d.channel ?? 'webhook', subscriber: d.subscriber, phase: d.phase }, fields, time: firedAt }
}

/** The deliveries of one alert from the store, by phase and subscriber. */
export async function deliveriesOf(store: Pick<Store, 'points'>, alert: { alertId: string; deviceId: string; rule: string; firedAt: number }): Promise<DeliveryView[]> {
  const points = await store.points({ measurement, tags: { device: alert.deviceId, rule: alert.rule }, from: alert.firedAt, to: alert.firedAt + 1, limit: 1000 })
  return deliveriesFromPoints(points.filter((p) => p.fields.alert_id === alert.alertId))
}

const phaseOrder: Record<AlertPhase, number> = { firing: 0, acknowledged: 1, resolved: 2 }

export function deliveriesFromPoints(points: readonly Point[]): DeliveryView[] {
  const views = points.flatMap((p): DeliveryView[] => {
    const { channel, subscriber, phase } = p.tags
    const f = p.fields
    if ((channel !== 'webhook' && channel !== 'open311') || subscriber === undefined || !(phase === 'firing' || phase === 'acknowledged' || phase === 'resolved')) return []
    if (typeof f.attempts !== 'number' || (f.status !== 'pending' && f.status !== 'sending' && f.status !== 'delivered' && f.status !== 'dead')) return []
    return [
      {
        channel,
        subscriber,
        phase,
        status: f.status,
        attempts: f.attempts,
        ...(typeof f.last_attempt_at === 'number' ? { lastAttemptAt: f.last_attempt_at } : {}),
        ...(typeof f.last_http_status === 'number' && f.last_http_status > 0 ? { lastHttpStatus: f.last_http_status } : {}),
        ...(typeof f.last_error === 'string' && f.last_error !== '' ? { lastError: f.last_error } : {}),
        ...(typeof f.delivered_at === 'number' ? { deliveredAt: f.delivered_at } : {}),
        ...(typeof f.service_request_id === 'string' ? { serviceRequestId: f.service_request_id } : {}),
        ...(typeof f.token === 'string' ? { token: f.token } : {}),
        ...(typeof f.closed === 'boolean' ? { closed: f.closed } : {}),
      },
    ]
  })
  return views.sort((a, b) => phaseOrder[a.phase] - phaseOrder[b.phase] || a.channel.localeCompare(b.channel) || a.subscriber.localeCompare(b.subscriber))
}
