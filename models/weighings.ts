import type { CanonicalReading, ReadingEnvelope } from './reading.js'

export interface Weighing {
  readonly netKg: number
  readonly time: number
  readonly fraction: string
  readonly direction: 'in' | 'out'
  /** Where an outflow goes (reuse, recycling, composting, energy_recovery, landfill); inflows have none. */
  readonly destination?: string
}

/** Weighings of an envelope: net mass with the material, direction and destination observed with it. */
export function weighingsOf(envelope: ReadingEnvelope): Weighing[] {
  const byTime = new Map<number, Record<string, CanonicalReading['value']>>()
  for (const r of envelope.readings) {
    if (r.measurement !== 'waste_weighing') continue
    let fields = byTime.get(r.time)
    if (!fields) byTime.set(r.time, (fields = {}))
    fields[r.field] = r.value
  }
  const weighings: Weighing[] = []
  for (const [time, f] of byTime) {
    const net = f.net_weight_kg
    if (typeof net !== 'number') continue
    const direction = f.direction === 'out' ? 'out' : 'in'
    const fraction = typeof f.material === 'string' ? f.material : typeof f.stored_waste_kind === 'string' ? f.stored_waste_kind : 'other'
    const destination = typeof f.destination === 'string' ? f.destination : undefined
    weighings.push({ netKg: net, time, fraction, direction, ...(destination !== undefined ? { destination } : {}) })
  }
  return weighings
}
