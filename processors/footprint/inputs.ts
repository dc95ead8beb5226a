import type { CanonicalReading, ReadingEnvelope } from '../../models/reading.js'
import type { CounterSpec, MeterType } from './derive-energy.js'
import type { Weighing } from './derive-weighing.js'

/**
 * Which canonical fields feed which derivation. Cumulative registers are listed by
 * `<measurement>.<field>`; everything not listed here is stored but not derived from.
 */
export const counters: Readonly<Record<string, CounterSpec>> = {
  'energy_ac.total_active_energy_import_kwh': { meterType: 'electricity', consumptionField: 'consumption_kwh' },
  'utility_meter.total_consumption_kwh': { meterType: 'heat', consumptionField: 'consumption_kwh' },
  'utility_meter.total_consumption_m3': { meterType: 'gas', consumptionField: 'consumption_m3' },
}

/** The meter type of a device: registered, else from its kind. */
export function meterTypeOf(envelope: ReadingEnvelope, spec: CounterSpec): MeterType {
  if (envelope.meterType) return envelope.meterType
  if (envelope.kind === 'heat_meter') return 'heat'
  if (envelope.kind === 'gas_meter') return 'gas'
  if (envelope.kind === 'energy_meter') return 'electricity'
  return spec.meterType
}

export function isFillLevel(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'filling_level' && typeof r.value === 'number'
}

export function isContainerTemperature(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'temperature_c' && typeof r.value === 'number'
}

export function isContainerWeight(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'cargo_weight_kg' && typeof r.value === 'number'
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
