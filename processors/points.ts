import type { Point } from '../core/store/store.js'
import type { ReadingEnvelope } from '../models/reading.js'

/** A point and how many readings it carries (several fields observed at one instant share a point). */
export interface CountedPoint {
  readonly point: Point
  readonly readings: number
}

/**
 * Folds an envelope's readings into points: one per measurement and observation time, tagged with
 * the bounded dimensions analysts filter by (tenant, site, device, kind). The same reading always
 * becomes the same series and time, so writing it again overwrites instead of duplicating.
 */
export function envelopeToPoints(envelope: ReadingEnvelope): CountedPoint[] {
  const tags = { tenant: envelope.tenant, site: envelope.site, device: envelope.deviceId, kind: envelope.kind }
  const byInstant = new Map<string, { fields: Record<string, number | string | boolean>; measurement: string; time: number; entity?: string; readings: number }>()
  for (const reading of envelope.readings) {
    // A reading names its entity only when one payload described several; they must not overwrite each other.
    const key = `${reading.measurement}\u0000${reading.time}\u0000${reading.entityId ?? ''}`
    let slot = byInstant.get(key)
    if (!slot) byInstant.set(key, (slot = { fields: {}, measurement: reading.measurement, time: reading.time, entity: reading.entityId, readings: 0 }))
    slot.fields[reading.field] = reading.value
    slot.readings++
  }
  return [...byInstant.values()].map((s) => ({
    point: { measurement: s.measurement, tags: s.entity === undefined ? tags : { ...tags, entity: s.entity }, fields: s.fields, time: s.time },
    readings: s.readings,
  }))
}
