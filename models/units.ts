/**
 * The units the platform accepts, as data. Each code converts linearly to the one canonical unit
 * of its quantity (canonical = value × multiplyBy ÷ divideBy + offset), the same shape as the
 * SenML secondary-units registry (RFC 8798 §3: scale and offset).
 *
 * Codes come from two systems and share one namespace because they never collide:
 * - UN/CEFACT Recommendation 20 common codes, which NGSI-LD requires for `unitCode`
 *   (ETSI GS CIM 009 4.5.2.2);
 * - SenML units (RFC 8428 §12.1, RFC 8798 §2) and SenML secondary units (RFC 8798 §3).
 * Codes are matched exactly: `kgm` is not `KGM`, and `KG` is nothing.
 *
 * Every code below was checked against its registry:
 * - UN/CEFACT: Recommendation 20 annexes I and II as published by UNECE (edi3/edi3.github.io,
 *   `specs/edi3-codelists/develop/recommendation-20/data/annexI.csv` and `annexII.csv`, commit
 *   2f0c874), cross-checked with the Rec 20 code list of horstoeko/zugferd
 *   (`src/codelists/ZugferdUnitCodes.php`, commit 50e16a1);
 * - SenML: the IANA "SenML Units" and "Secondary Units" registries
 *   (https://www.iana.org/assignments/senml), i.e. RFC 8428 §12.1 and RFC 8798 §2–3.
 * Left out because no registry has it: `DBM` (dBm has no Rec 20 code; SenML `dBm` is the
 * secondary unit), `GQ` (µg/m³, see concentration below).
 */

export const quantities = [
  'mass',
  'ratio',
  'temperature',
  'energy',
  'power',
  'reactive_power',
  'apparent_power',
  'reactive_energy',
  'apparent_energy',
  'volume',
  'flow',
  'concentration',
  'count',
  'signal',
  'voltage',
  'current',
  'frequency',
] as const
export type Quantity = (typeof quantities)[number]

/** One unit per quantity, the one readings are stored in (fields carry it in their names). */
export const canonicalUnits = {
  mass: 'kg',
  ratio: 'ratio',
  temperature: 'Cel',
  energy: 'kWh',
  power: 'W',
  reactive_power: 'var',
  apparent_power: 'VA',
  reactive_energy: 'kvarh',
  apparent_energy: 'kVAh',
  volume: 'm3',
  flow: 'm3/s',
  concentration: 'ppm',
  count: 'count',
  signal: 'dBm',
  voltage: 'V',
  current: 'A',
  frequency: 'Hz',
} as const satisfies Record<Quantity, string>

/**
 * The UN/CEFACT code of each canonical unit, for `unitCode` in the NGSI-LD the platform serves.
 * `dBm` and `count` have none, and the ratio's symbol `ratio` is not a code: `C62` ("one") is.
 */
const canonicalUnitCodes: Readonly<Record<Quantity, string | undefined>> = {
  mass: 'KGM',
  ratio: 'C62',
  temperature: 'CEL',
  energy: 'KWH',
  power: 'WTT',
  reactive_power: 'D44',
  apparent_power: 'D46',
  reactive_energy: 'K3',
  apparent_energy: 'C79',
  volume: 'MTQ',
  flow: 'MQS',
  concentration: '59',
  count: undefined,
  signal: undefined,
  voltage: 'VLT',
  current: 'AMP',
  frequency: 'HTZ',
}

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
  // mass → kg. Rec 20 annex I group 03: KGM, TNE (10³ kg), GRM (10⁻³ kg). SenML kg; g* (RFC 8428
  // §12.1: not recommended for producers, consumers should accept).
  { code: 'KGM', system: 'UN/CEFACT', name: 'kilogram', quantity: 'mass' },
  { code: 'TNE', system: 'UN/CEFACT', name: 'tonne', quantity: 'mass', multiplyBy: 1000 },
  { code: 'GRM', system: 'UN/CEFACT', name: 'gram', quantity: 'mass', divideBy: 1000 },
  { code: 'kg', system: 'SenML', name: 'kilogram', quantity: 'mass' },
  { code: 'g', system: 'SenML', name: 'gram', quantity: 'mass', divideBy: 1000 },

  // ratio → 0..1. Rec 20: C62 "one" (annex I), P1 "percent" = 10⁻² (annex II). SenML `/` and
  // the historical `%`* are both ratios 0..1 (RFC 8428 §12.1); `/100` is percent (RFC 8798 §3);
  // %EL and %RH are percentages (RFC 8428 §12.1).
  { code: 'C62', system: 'UN/CEFACT', name: 'one', quantity: 'ratio' },
  { code: 'P1', system: 'UN/CEFACT', name: 'percent', quantity: 'ratio', divideBy: 100 },
  { code: '/', system: 'SenML', name: 'ratio', quantity: 'ratio' },
  { code: '%', system: 'SenML', name: 'ratio (historical symbol)', quantity: 'ratio' },
  { code: '/100', system: 'SenML', name: 'percent (RFC 8798 secondary: 1/100 of /)', quantity: 'ratio', divideBy: 100 },
  { code: '%EL', system: 'SenML', name: 'remaining battery energy, percent', quantity: 'ratio', divideBy: 100 },
  { code: '%RH', system: 'SenML', name: 'relative humidity, percent', quantity: 'ratio', divideBy: 100 },

  // temperature → °C. Rec 20 annex I group 04: CEL, KEL. SenML Cel, K.
  { code: 'CEL', system: 'UN/CEFACT', name: 'degree Celsius', quantity: 'temperature' },
  { code: 'KEL', system: 'UN/CEFACT', name: 'kelvin', quantity: 'temperature', offset: -273.15 },
  { code: 'Cel', system: 'SenML', name: 'degree Celsius', quantity: 'temperature' },
  { code: 'K', system: 'SenML', name: 'kelvin', quantity: 'temperature', offset: -273.15 },

  // energy → kWh. Rec 20 annex I group 03: KWH (3.6×10⁶ J), WHR (3.6×10³ J), MWH (3.6×10⁹ J),
  // JOU, 3B megajoule, GV gigajoule. SenML J; secondary Wh (3600 J), kWh (3.6×10⁶ J).
  { code: 'KWH', system: 'UN/CEFACT', name: 'kilowatt hour', quantity: 'energy' },
  { code: 'WHR', system: 'UN/CEFACT', name: 'watt hour', quantity: 'energy', divideBy: 1000 },
  { code: 'MWH', system: 'UN/CEFACT', name: 'megawatt hour', quantity: 'energy', multiplyBy: 1000 },
  { code: 'JOU', system: 'UN/CEFACT', name: 'joule', quantity: 'energy', divideBy: 3.6e6 },
  { code: '3B', system: 'UN/CEFACT', name: 'megajoule', quantity: 'energy', divideBy: 3.6 },
  { code: 'GV', system: 'UN/CEFACT', name: 'gigajoule', quantity: 'energy', multiplyBy: 1000, divideBy: 3.6 },
  { code: 'J', system: 'SenML', name: 'joule', quantity: 'energy', divideBy: 3.6e6 },
  { code: 'Wh', system: 'SenML', name: 'watt hour (RFC 8798 secondary: 3600 J)', quantity: 'energy', divideBy: 1000 },
  { code: 'kWh', system: 'SenML', name: 'kilowatt hour (RFC 8798 secondary: 3.6e6 J)', quantity: 'energy' },

  // active power → W. Rec 20 annex I group 03: WTT, KWT. SenML W; secondary kW (1000 W).
  { code: 'WTT', system: 'UN/CEFACT', name: 'watt', quantity: 'power' },
  { code: 'KWT', system: 'UN/CEFACT', name: 'kilowatt', quantity: 'power', multiplyBy: 1000 },
  { code: 'W', system: 'SenML', name: 'watt', quantity: 'power' },
  { code: 'kW', system: 'SenML', name: 'kilowatt (RFC 8798 secondary: 1000 W)', quantity: 'power', multiplyBy: 1000 },

  // reactive and apparent power → var, VA. Rec 20 annex I group 05: D44 var, KVR kilovar,
  // D46 volt-ampere, KVA kilovolt-ampere. SenML var, VA (RFC 8798 §2); kvar, kVA (§3).
  { code: 'D44', system: 'UN/CEFACT', name: 'var', quantity: 'reactive_power' },
  { code: 'KVR', system: 'UN/CEFACT', name: 'kilovar', quantity: 'reactive_power', multiplyBy: 1000 },
  { code: 'var', system: 'SenML', name: 'volt-ampere reactive', quantity: 'reactive_power' },
  { code: 'kvar', system: 'SenML', name: 'kilovar (RFC 8798 secondary: 1000 var)', quantity: 'reactive_power', multiplyBy: 1000 },
  { code: 'D46', system: 'UN/CEFACT', name: 'volt-ampere', quantity: 'apparent_power' },
  { code: 'KVA', system: 'UN/CEFACT', name: 'kilovolt-ampere', quantity: 'apparent_power', multiplyBy: 1000 },
  { code: 'VA', system: 'SenML', name: 'volt-ampere', quantity: 'apparent_power' },
  { code: 'kVA', system: 'SenML', name: 'kilovolt-ampere (RFC 8798 secondary: 1000 VA)', quantity: 'apparent_power', multiplyBy: 1000 },

  // reactive and apparent energy → kvarh, kVAh. Rec 20 annex II: K3 kilovolt ampere reactive
  // hour, C79 kilovolt ampere hour. SenML vars, VAs (RFC 8798 §2); varh (3600 vars), kvarh
  // (3.6×10⁶ vars), kVAh (3.6×10⁶ VAs) (RFC 8798 §3).
  { code: 'K3', system: 'UN/CEFACT', name: 'kilovolt ampere reactive hour', quantity: 'reactive_energy' },
  { code: 'vars', system: 'SenML', name: 'volt-ampere reactive second', quantity: 'reactive_energy', divideBy: 3.6e6 },
  { code: 'varh', system: 'SenML', name: 'var hour (RFC 8798 secondary: 3600 vars)', quantity: 'reactive_energy', divideBy: 1000 },
  { code: 'kvarh', system: 'SenML', name: 'kilovar hour (RFC 8798 secondary: 3.6e6 vars)', quantity: 'reactive_energy' },
  { code: 'C79', system: 'UN/CEFACT', name: 'kilovolt ampere hour', quantity: 'apparent_energy' },
  { code: 'VAs', system: 'SenML', name: 'volt-ampere second', quantity: 'apparent_energy', divideBy: 3.6e6 },
  { code: 'kVAh', system: 'SenML', name: 'kilovolt-ampere hour (RFC 8798 secondary: 3.6e6 VAs)', quantity: 'apparent_energy' },

  // volume → m³. Rec 20 annex I group 01: MTQ, LTR (10⁻³ m³). SenML m3; l* (RFC 8428 §12.1).
  { code: 'MTQ', system: 'UN/CEFACT', name: 'cubic metre', quantity: 'volume' },
  { code: 'LTR', system: 'UN/CEFACT', name: 'litre', quantity: 'volume', divideBy: 1000 },
  { code: 'm3', system: 'SenML', name: 'cubic metre', quantity: 'volume' },
  { code: 'l', system: 'SenML', name: 'litre', quantity: 'volume', divideBy: 1000 },

  // volume flow → m³/s: only as the unit of a SenML record whose sum is a volume (see
  // `integralOf`). Rec 20 annex I: MQS cubic metre per second. SenML m3/s; l/s*.
  { code: 'MQS', system: 'UN/CEFACT', name: 'cubic metre per second', quantity: 'flow' },
  { code: 'm3/s', system: 'SenML', name: 'cubic metre per second', quantity: 'flow' },
  { code: 'l/s', system: 'SenML', name: 'litre per second', quantity: 'flow', divideBy: 1000 },

  // concentration → ppm. Rec 20 annex II: 59 part per million. Mass concentrations (µg/m³,
  // SenML `ug/m3`) are left out on purpose: turning them into ppm needs the gas's molar mass, a
  // per-device rule. RFC 8798 defines `ppm` as 10⁻⁶ of the ratio `/`; it is kept apart here so
  // that concentrations and fill levels cannot be confused with each other.
  { code: '59', system: 'UN/CEFACT', name: 'part per million', quantity: 'concentration' },
  { code: 'ppm', system: 'SenML', name: 'part per million (RFC 8798 secondary)', quantity: 'concentration' },

  // count: SenML `count` (RFC 8428 §12.1).
  { code: 'count', system: 'SenML', name: 'counter value', quantity: 'count' },

  // signal strength → dBm (e.g. `rssi`). SenML dBW (RFC 8428 §12.1); dBm = dBW·1 − 30
  // (RFC 8798 §3), so dBW → dBm adds 30.
  { code: 'dBm', system: 'SenML', name: 'decibel-milliwatt (RFC 8798 secondary)', quantity: 'signal' },
  { code: 'dBW', system: 'SenML', name: 'decibel-watt', quantity: 'signal', offset: 30 },

  // electrical quantities. Rec 20 annex I group 05: VLT, 2Z millivolt, AMP, 4K milliampere;
  // group 02: HTZ. SenML V, A, Hz; secondary mV, mA (RFC 8798 §3).
  { code: 'VLT', system: 'UN/CEFACT', name: 'volt', quantity: 'voltage' },
  { code: '2Z', system: 'UN/CEFACT', name: 'millivolt', quantity: 'voltage', divideBy: 1000 },
  { code: 'V', system: 'SenML', name: 'volt', quantity: 'voltage' },
  { code: 'mV', system: 'SenML', name: 'millivolt (RFC 8798 secondary)', quantity: 'voltage', divideBy: 1000 },
  { code: 'AMP', system: 'UN/CEFACT', name: 'ampere', quantity: 'current' },
  { code: '4K', system: 'UN/CEFACT', name: 'milliampere', quantity: 'current', divideBy: 1000 },
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

/** The quantity whose canonical unit is `symbol` (`kWh` → energy), if any. */
export function quantityOfCanonical(symbol: string): Quantity | undefined {
  return quantities.find((quantity) => canonicalUnits[quantity] === symbol)
}

/**
 * The code a served NGSI-LD `unitCode` carries for a canonical unit: its UN/CEFACT code, or for
 * the two canonical units without one (`dBm`, `count`) the SenML symbol, which this platform
 * reads back the same way. Undefined for unit-less values.
 */
export function unitCodeOfCanonical(symbol: string): string | undefined {
  const quantity = quantityOfCanonical(symbol)
  if (quantity === undefined) return undefined
  return canonicalUnitCodes[quantity] ?? canonicalUnits[quantity]
}

/**
 * What the integral over time of a rate is, for SenML sums: a sum is "in the units specified in
 * the Unit value multiplied by seconds" (RFC 8428 §4.2). A power in W summed over seconds is an
 * energy in J (W·s), which is 1/3.6e6 kWh; a volume flow in m³/s summed over seconds is m³.
 */
const integrals: Partial<Record<Quantity, { readonly quantity: Quantity; readonly divideBy: number }>> = {
  power: { quantity: 'energy', divideBy: 3.6e6 },
  reactive_power: { quantity: 'reactive_energy', divideBy: 3.6e6 },
  apparent_power: { quantity: 'apparent_energy', divideBy: 3.6e6 },
  flow: { quantity: 'volume', divideBy: 1 },
}

/**
 * A SenML sum given in `rateUnit`·s, expressed in the canonical unit of the integral's quantity;
 * undefined when the unit is not a rate whose integral the platform knows.
 */
export function integralToCanonical(sum: number, rateUnit: UnitDefinition): { quantity: Quantity; value: number } | undefined {
  const integral = integrals[rateUnit.quantity]
  if (integral === undefined) return undefined
  // Rates have no offset, so the sum converts like a value does; one division keeps it exact.
  return { quantity: integral.quantity, value: (sum * rateUnit.multiplyBy) / (rateUnit.divideBy * integral.divideBy) }
}
