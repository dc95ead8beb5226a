import type { Point } from '../store/store.js'
import type { AlertPhase } from './alert-event.js'

/** One alert as its stored transitions tell it: where it stands now and how it got there. */
export interface AlertView {
  readonly alertId: string
  readonly rule: string
  readonly tenant: string
  readonly site: string
  readonly deviceId: string
  readonly kind: string
  readonly state: AlertPhase
  readonly firedAt: number
  readonly value?: number | string
  readonly reason?: string
  readonly history: readonly { readonly phase: AlertPhase; readonly at: number; readonly reason?: string }[]
}

const phaseOrder: Record<AlertPhase, number> = { firing: 0, acknowledged: 1, resolved: 2 }

/**
 * Folds the points of measurement `alerts` (one per transition, see `alertPoint`) into alerts.
 * The state is the furthest phase reached, not the newest point: an acknowledgement is stamped
 * with the time it was asked for, which may come after the resolution in event time.
 */
export function alertsFromPoints(points: readonly Point[]): AlertView[] {
  const byId = new Map<string, Point[]>()
  for (const p of points) {
    const id = p.fields.alert_id
    if (typeof id !== 'string' || !isPhase(p.tags.phase)) continue
    let list = byId.get(id)
    if (!list) byId.set(id, (list = []))
    list.push(p)
  }
  const alerts: AlertView[] = []
  for (const [alertId, list] of byId) {
    list.sort((a, b) => a.time - b.time || phaseOrder[a.tags.phase as AlertPhase] - phaseOrder[b.tags.phase as AlertPhase])
    const firing = list.find((p) => p.tags.phase === 'firing') ?? list[0]!
    const state = list.reduce<AlertPhase>((furthest, p) => (phaseOrder[p.tags.phase as AlertPhase] > phaseOrder[furthest] ? (p.tags.phase as AlertPhase) : furthest), 'firing')
    const value = firing.fields.value ?? firing.fields.value_text
    const firedAt = typeof firing.fields.fired_at === 'number' ? firing.fields.fired_at : firing.time
    alerts.push({
      alertId,
      rule: firing.tags.rule ?? '',
      tenant: firing.tags.tenant ?? '',
      site: firing.tags.site ?? '',
      deviceId: firing.tags.device ?? '',
      kind: firing.tags.kind ?? '',
      state,
      firedAt,
      ...(typeof value === 'number' || typeof value === 'string' ? { value } : {}),
      ...(typeof firing.fields.reason === 'string' ? { reason: firing.fields.reason } : {}),
      history: list.map((p) => ({ phase: p.tags.phase as AlertPhase, at: p.time, ...(typeof p.fields.reason === 'string' ? { reason: p.fields.reason } : {}) })),
    })
  }
  return alerts.sort((a, b) => b.firedAt - a.firedAt || a.alertId.localeCompare(b.alertId))
}

function isPhase(value: string | undefined): value is AlertPhase {
  return value === 'firing' || value === 'acknowledged' || value === 'resolved'
}
