import type { ReadingEnvelope } from './reading.js'
import type { MeterType } from './vocabulary.js'

/** A cumulative register and what its increments mean. */
export interface RegisterSpec {
  readonly meterType: MeterType
  /** Rollup field the consumption is summed into. */
  readonly consumptionField: 'consumption_kwh' | 'consumption_m3'
}

/**
 * The cumulative registers among the canonical fields, by `<measurement>.<field>`: what the
 * footprint derives consumption from and the energy anomaly rule follows. Every other field is
 * stored but not derived from.
 */
export const cumulativeRegisters: Readonly<Record<string, RegisterSpec>> = {
  'energy_ac.total_active_energy_import_kwh': { meterType: 'electricity', consumptionField: 'consumption_kwh' },
  'utility_meter.total_consumption_kwh': { meterType: 'heat', consumptionField: 'consumption_kwh' },
  'utility_meter.total_consumption_m3': { meterType: 'gas', consumptionField: 'consumption_m3' },
}

/** The meter type of a device: registered, else from its kind. */
export function meterTypeOf(envelope: ReadingEnvelope, spec: RegisterSpec): MeterType {
  if (envelope.meterType) return envelope.meterType
  if (envelope.kind === 'heat_meter') return 'heat'
  if (envelope.kind === 'gas_meter') return 'gas'
  if (envelope.kind === 'energy_meter') return 'electricity'
  return spec.meterType
}

/** What a register counted between two readings: a register that went backwards restarted from zero. */
export function registerIncrement(previous: number, current: number): { consumed: number; reset: boolean } {
  const reset = current < previous
  return { consumed: reset ? current : current - previous, reset }
}
