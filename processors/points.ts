import type { FieldValue, Point } from '../core/store/store.js'
import type { ReadingEnvelope } from '../models/reading.js'

/** A point and how many readings it carries (several fields observed at one instant share a point). */
export interface CountedPoint {
  readonly point: Point
  readonly readings: number
}

type Tags = Readonly<Record<string, string>>

/**
 * Folds an envelope's readings into points: one per measurement and observation time, tagged with
 * the bounded dimensions analysts filter by (tenant, site, device, kind, and per measurement the
 * ones below). The same reading always becomes the same series and time, so writing it again
 * overwrites instead of duplicating.
 */
export function envelopeToPoints(envelope: ReadingEnvelope): CountedPoint[] {
  const tags = { tenant: envelope.tenant, site: envelope.site, device: envelope.deviceId, kind: envelope.kind }
  const byInstant = new Map<string, { fields: Record<string, FieldValue>; measurement: string; time: number; entity?: string; readings: number }>()
  for (const reading of envelope.readings) {
    // A reading names its entity only when one payload described several; they must not overwrite each other.
    const key = `${reading.measurement}\u0000${reading.time}\u0000${reading.entityId ?? ''}`
    let slot = byInstant.get(key)
    if (!slot) byInstant.set(key, (slot = { fields: {}, measurement: reading.measurement, time: reading.time, entity: reading.entityId, readings: 0 }))
    slot.fields[reading.field] = reading.value
    slot.readings++
  }
  return [...byInstant.values()].map((s) => {
    const dimensions = measurementDimensions(s.measurement, envelope, s.fields)
    const withEntity = s.entity === undefined ? tags : { ...tags, entity: s.entity }
    return {
      point: { measurement: s.measurement, tags: dimensions === undefined ? withEntity : { ...withEntity, ...dimensions }, fields: s.fields, time: s.time },
      readings: s.readings,
    }
  })
}

/**
 * The extra tags of a measurement (data-models §8.3: only bounded values, never ids or free
 * text): a container's waste fraction and a meter's type from the registry; a weighing's material
 * (its `storedWasteKind`, else the scale's registered fraction), flow direction and destination — the dimensions material-flow accounting
 * groups by (footprint-metrics §3.5). The weighing's values stay fields too, so the readings API
 * returns them; queries tell the two apart with `::tag` and `::field`.
 */
function measurementDimensions(measurement: string, envelope: ReadingEnvelope, fields: Readonly<Record<string, FieldValue>>): Tags | undefined {
  switch (measurement) {
    case 'waste_container':
      return envelope.fraction === undefined ? undefined : { fraction: envelope.fraction }
    case 'energy_ac':
    case 'utility_meter':
      return envelope.meterType === undefined ? undefined : { meter_type: envelope.meterType }
    case 'waste_weighing': {
      const dimensions: Record<string, string> = {}
      const material = typeof fields.stored_waste_kind === 'string' ? fields.stored_waste_kind : envelope.fraction
      if (material !== undefined) dimensions.material = material
      if (typeof fields.direction === 'string') dimensions.direction = fields.direction
      if (typeof fields.destination === 'string') dimensions.destination = fields.destination
      return dimensions
    }
    default:
      return undefined
  }
}
