/**
 * The units the platform accepts, as data. Each code converts linearly to the one canonical unit
 * of its quantity (canonical = value × multiplyBy ÷ divideBy + offset), the same shape as the
 * SenML secondary-units registry (RFC 8798 §3: scale and offset).
 *
 * Codes come from two systems and share one namespace because they never collide:
 * - UN/CEFACT Recommendation 20 common codes, which NGSI-LD requires for `unitCode`
 *   (ETSI GS CIM 009 4.5.2.2);
 * - SenML units (RFC 8428 §12.1) and SenML secondary units (RFC 8798 §3).
 * Codes are matched exactly: `kgm` is not `KGM`, and `KG` is nothing.
 *
 * Entries marked [unverified] were not confirmed in a primary source when this table was written.
 */

export const quantities = ['mass', 'ratio', 'temperature', 'energy', 'power', 'volume', 'concentration', 'count', 'signal', 'voltage', 'current', 'frequency'] as const
export type Quantity = (typeof quantities)[number]

/** One unit per quantity, the one readings are stored in (fields carry it in their names). */
export const canonicalUnits = {
  mass: 'kg',
  ratio: 'ratio',
  temperature: 'Cel',
  energy: 'kWh',
  power: 'W',
  volume: 'm3',
  concentration: 'ppm',
  count: 'count',
  signal: 'dBm',
  voltage: 'V',
  current: 'A',
  frequency: 'Hz',
} as const satisfies Record<Quantity, string>

export type UnitSystem = 'UN/CEFACT' | 'SenML'

interface UnitRow {
  readonly code: string
  readonly system: UnitSystem
  readonly name: string
  readonly quantity: Quantity
  readonly multiplyBy?: number
  /** Kept apart from multiplyBy so 72 % becomes exactly 0.72 (72 / 100, not 72 × 0.01). */
  readonly divideBy?: number
  readonly offset?: number
}

const rows: readonly UnitRow[] = [
  // mass → kg
  { code: 'KGM', system: 'UN/CEFACT', name: 'kilogram', quantity: 'mass' },
  { code: 'TNE', system: 'UN/CEFACT', name: 'tonne', quantity: 'mass', multiplyBy: 1000 },
  { code: 'GRM', system: 'UN/CEFACT', name: 'gram', quantity: 'mass', divideBy: 1000 },
  { code: 'kg', system: 'SenML', name: 'kilogram', quantity: 'mass' },
  { code: 'g', system: 'SenML', name: 'gram', quantity: 'mass', divideBy: 1000 }, // RFC 8428 §12.1: consumers should accept

  // ratio → 0..1
  { code: 'C62', system: 'UN/CEFACT', name: 'one', quantity: 'ratio' },
  { code: 'P1', system: 'UN/CEFACT', name: 'percent', quantity: 'ratio', divideBy: 100 }, // [unverified]
  { code: '/', system: 'SenML', name: 'ratio', quantity: 'ratio' },
  // RFC 8428 §12.1: despite its name, SenML `%` is a ratio 0..1, not 0..100.
  { code: '%', system: 'SenML', name: 'ratio (historical symbol)', quantity: 'ratio' },
  { code: '%EL', system: 'SenML', name: 'remaining battery energy, percent', quantity: 'ratio', divideBy: 100 },
  { code: '%RH', system: 'SenML', name: 'relative humidity, percent', quantity: 'ratio', divideBy: 100 },

  // temperature → °C
  { code: 'CEL', system: 'UN/CEFACT', name: 'degree Celsius', quantity: 'temperature' },
  { code: 'KEL', system: 'UN/CEFACT', name: 'kelvin', quantity: 'temperature', offset: -273.15 }, // [unverified]
  { code: 'Cel', system: 'SenML', name: 'degree Celsius', quantity: 'temperature' },
  { code: 'K', system: 'SenML', name: 'kelvin', quantity: 'temperature', offset: -273.15 },

  // energy → kWh
  { code: 'KWH', system: 'UN/CEFACT', name: 'kilowatt hour', quantity: 'energy' },
  { code: 'WHR', system: 'UN/CEFACT', name: 'watt hour', quantity: 'energy', divideBy: 1000 }, // [unverified]
  { code: 'MWH', system: 'UN/CEFACT', name: 'megawatt hour', quantity: 'energy', multiplyBy: 1000 }, // [unverified]
  { code: 'JOU', system: 'UN/CEFACT', name: 'joule', quantity: 'energy', divideBy: 3.6e6 },
  { code: 'J', system: 'SenML', name: 'joule', quantity: 'energy', divideBy: 3.6e6 },
  { code: 'Wh', system: 'SenML', name: 'watt hour (RFC 8798 secondary: 3600 J)', quantity: 'energy', divideBy: 1000 },
  { code: 'kWh', system: 'SenML', name: 'kilowatt hour (RFC 8798 secondary: 3.6e6 J)', quantity: 'energy' },

  // power → W
  { code: 'WTT', system: 'UN/CEFACT', name: 'watt', quantity: 'power' },
  { code: 'KWT', system: 'UN/CEFACT', name: 'kilowatt', quantity: 'power', multiplyBy: 1000 },
  { code: 'W', system: 'SenML', name: 'watt', quantity: 'power' },
  { code: 'kW', system: 'SenML', name: 'kilowatt (RFC 8798 secondary: 1000 W)', quantity: 'power', multiplyBy: 1000 },

  // volume → m³
  { code: 'MTQ', system: 'UN/CEFACT', name: 'cubic metre', quantity: 'volume' },
  { code: 'LTR', system: 'UN/CEFACT', name: 'litre', quantity: 'volume', divideBy: 1000 },
  { code: 'm3', system: 'SenML', name: 'cubic metre', quantity: 'volume' },
  { code: 'l', system: 'SenML', name: 'litre', quantity: 'volume', divideBy: 1000 }, // RFC 8428 §12.1: consumers should accept

  // concentration → ppm. Mass concentrations (µg/m³, UN/CEFACT `GQ` [unverified], SenML `ug/m3`)
  // are left out on purpose: turning them into ppm needs the gas's molar mass, a per-device rule.
  { code: '59', system: 'UN/CEFACT', name: 'part per million', quantity: 'concentration' },
  // RFC 8798 defines ppm as 1e-6 of the ratio `/`; it is kept apart here so that concentrations
  // and fill levels cannot be confused with each other.
  { code: 'ppm', system: 'SenML', name: 'part per million (RFC 8798 secondary)', quantity: 'concentration' },

  // count
  { code: 'count', system: 'SenML', name: 'counter value', quantity: 'count' },

  // signal strength → dBm (e.g. `rssi`)
  { code: 'DBM', system: 'UN/CEFACT', name: 'decibel-milliwatt', quantity: 'signal' }, // [unverified]
  { code: 'dBm', system: 'SenML', name: 'decibel-milliwatt (RFC 8798 secondary: dBW − 30)', quantity: 'signal' },
  { code: 'dBW', system: 'SenML', name: 'decibel-watt', quantity: 'signal', offset: 30 },

  // electrical quantities of energy meters
  { code: 'VLT', system: 'UN/CEFACT', name: 'volt', quantity: 'voltage' },
  { code: 'V', system: 'SenML', name: 'volt', quantity: 'voltage' },
  { code: 'mV', system: 'SenML', name: 'millivolt (RFC 8798 secondary)', quantity: 'voltage', divideBy: 1000 },
  { code: 'AMP', system: 'UN/CEFACT', name: 'ampere', quantity: 'current' },
  { code: 'A', system: 'SenML', name: 'ampere', quantity: 'current' },
  { code: 'mA', system: 'SenML', name: 'milliampere (RFC 8798 secondary)', quantity: 'current', divideBy: 1000 },
  { code: 'HTZ', system: 'UN/CEFACT', name: 'hertz', quantity: 'frequency' },
  { code: 'Hz', system: 'SenML', name: 'hertz', quantity: 'frequency' },
]

/** A unit code resolved to its quantity and the linear conversion to the canonical unit. */
export interface UnitDefinition {
  readonly code: string
  readonly system: UnitSystem
  readonly name: string
  readonly quantity: Quantity
  readonly canonical: string
  readonly multiplyBy: number
  readonly divideBy: number
  readonly offset: number
}

const byCode: ReadonlyMap<string, UnitDefinition> = new Map(
  rows.map((row) => [
    row.code,
    {
      code: row.code,
      system: row.system,
      name: row.name,
      quantity: row.quantity,
      canonical: canonicalUnits[row.quantity],
      multiplyBy: row.multiplyBy ?? 1,
      divideBy: row.divideBy ?? 1,
      offset: row.offset ?? 0,
    },
  ]),
)

/** Every accepted unit, for documentation and the API. */
export const unitDefinitions: readonly UnitDefinition[] = [...byCode.values()]

/** The definition of an exact unit code, or undefined when the code is not accepted. */
export function lookupUnit(code: string): UnitDefinition | undefined {
  return byCode.get(code)
}

/** A value in `unit` expressed in the canonical unit of its quantity. */
export function toCanonical(value: number, unit: UnitDefinition): number {
  return (value * unit.multiplyBy) / unit.divideBy + unit.offset
}

/** A value in the unit `code` expressed in its canonical unit; undefined for an unknown code. */
export function convertToCanonical(value: number, code: string): number | undefined {
  const unit = byCode.get(code)
  return unit === undefined ? undefined : toCanonical(value, unit)
}
