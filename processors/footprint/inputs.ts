import type { CanonicalReading } from '../../models/reading.js'

export function isFillLevel(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'filling_level' && typeof r.value === 'number'
}

export function isContainerTemperature(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'temperature_c' && typeof r.value === 'number'
}

export function isContainerWeight(r: CanonicalReading): boolean {
  return r.measurement === 'waste_container' && r.field === 'cargo_weight_kg' && typeof r.value === 'number'
}

