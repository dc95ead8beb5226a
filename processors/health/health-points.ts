import type { Device } from '../../core/registry/device.js'
import type { Point } from '../../core/store/store.js'
import type { Deltas } from './counter-deltas.js'
import { tallySeparator } from './dead-letter-tally.js'
import type { DelayBasis, DelaySummary } from '../../core/end-to-end-delays.js'
import { healthMeasurements } from '../../models/health-measurements.js'

/** One point per component: its counters' increments as fields (`deadLettered` → `dead_lettered`). */
export function counterPoints(deltas: Deltas, time: number, host: string): Point[] {
  return [...deltas].map(([component, grown]) => ({
    measurement: healthMeasurements.counters,
    tags: { component, host },
    fields: Object.fromEntries(Object.entries(grown).map(([name, value]) => [snakeCase(name), value])),
    time,
  }))
}

/** One point per stage and reason code that grew in this interval. */
export function deadLetterPoints(tally: Deltas, time: number, host: string): Point[] {
  const points: Point[] = []
  for (const grown of tally.values()) {
    for (const [key, records] of Object.entries(grown)) {
      if (records === 0) continue
      const [stage = 'unknown', code = 'unknown'] = key.split(tallySeparator)
      points.push({ measurement: healthMeasurements.deadLetters, tags: { stage, code, host }, fields: { records }, time })
    }
  }
  return points
}

export function lagPoints(groupId: string, partitions: readonly { topic: string; partition: number; lag: number }[], time: number): Point[] {
  return partitions.map((p) => ({ measurement: healthMeasurements.lag, tags: { group: groupId, topic: p.topic, partition: String(p.partition) }, fields: { lag: p.lag }, time }))
}

export function delayPoints(stage: string, summaries: ReadonlyMap<DelayBasis, DelaySummary>, time: number, host: string): Point[] {
  return [...summaries].map(([basis, s]) => ({ measurement: healthMeasurements.delay, tags: { stage, basis, host }, fields: { readings: s.count, mean_ms: s.meanMs, max_ms: s.maxMs }, time }))
}

/**
 * The registry as points, so dashboards can place devices on a map and compare what is
 * registered with what reports. Stamped with the start of the inventory window: writing the
 * same window again overwrites it.
 */
export function inventoryPoints(devices: readonly Device[], windowStart: number): Point[] {
  return devices.map((d) => {
    const fields: Record<string, number> = { registered: 1 }
    if (d.location) [fields.longitude, fields.latitude] = d.location.coordinates
    if (d.fullnessThreshold !== undefined) fields.fullness_threshold = d.fullnessThreshold
    const tags: Record<string, string> = { tenant: d.tenant, site: d.site, device: d.id, kind: d.kind }
    if (d.wasteFraction !== undefined) tags.fraction = d.wasteFraction
    return { measurement: healthMeasurements.inventory, tags, fields, time: windowStart }
  })
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
