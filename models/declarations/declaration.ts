import type { MeterType } from '../vocabulary.js'
import type { Quantity } from '../units.js'

/**
 * How a data model is written down: blocks of telemetry attributes per storage measurement,
 * descriptive metadata, and the entity-level observation times. The catalogue compiles these
 * into the lookups the decoders use.
 */

export interface NumberDeclaration {
  readonly valueType: 'number'
  /** Storage field; `{phase}` is replaced by the lower-case phase for per-phase attributes. */
  readonly field: string
  /** What the number measures; undefined accepts any known unit and stores its canonical unit. */
  readonly quantity?: Quantity
  /** UN/CEFACT or SenML code assumed when a payload gives no unit: the data model's convention. */
  readonly defaultUnit?: string
  /** Default unit code by the device's meter type, where the model has no single convention. */
  readonly defaultUnitByMeterType?: Readonly<Record<MeterType, string>>
  /** Other quantities the attribute may be given in, each stored in its own field. */
  readonly alternatives?: Readonly<Partial<Record<Quantity, string>>>
  /** Another attribute of the same entity that may name the unit (DeviceMeasurement `unit`). */
  readonly unitAttribute?: string
  /** Inclusive bounds in the canonical unit. */
  readonly min?: number
  readonly max?: number
  /** The value the model uses for "cannot be determined" (SDM Device `batteryLevel` −1). */
  readonly unknownValue?: number
  /** A cumulative register: a SenML sum of the matching rate (W, var, VA, m³/s) is its value. */
  readonly register?: boolean
  /** A StructuredValue with one number per phase (ACMeasurement, data-models §1.5). */
  readonly phases?: readonly string[]
}

export interface StringDeclaration {
  readonly valueType: 'string'
  readonly field: string
  readonly allowed?: readonly string[]
  /** Brings a value into its stored form, or undefined when it is malformed. */
  readonly normalise?: (text: string) => string | undefined
  /** What a well-formed value looks like, for the rejection message. */
  readonly expected?: string
}

export interface BooleanDeclaration {
  readonly valueType: 'boolean'
  readonly field: string
}

export interface DateTimeDeclaration {
  readonly valueType: 'datetime'
  readonly field: string
}

export type ReadingDeclaration = NumberDeclaration | StringDeclaration | BooleanDeclaration | DateTimeDeclaration

export interface AttributeBlock {
  readonly measurement: string
  readonly readings: Readonly<Record<string, ReadingDeclaration>>
}

export interface EntityDeclaration {
  readonly blocks: readonly AttributeBlock[]
  readonly metadata: readonly string[]
  /** Entity-level observation times, highest precedence first (data-models §8.1). */
  readonly timeAttributes: readonly string[]
}

/** GSMA-Commons, Location-Commons and PhysicalObject-Commons blocks shared by the SDM schemas. */
export const commonMetadata = [
  'name',
  'alternateName',
  'description',
  'dataProvider',
  'source',
  'dateCreated',
  'dateModified',
  'owner',
  'seeAlso',
  'address',
  'areaServed',
  'location',
  'color',
  'image',
  'annotations',
]

/** Entity-level times every model accepts besides its own: the IoT Agents' `TimeInstant` (data-models §6). */
export const iotAgentTimes = ['timeInstant', 'TimeInstant']

/**
 * Device health: the SDM `Device` telemetry a sensor reports about itself. Accepted in every
 * model a device kind reports as, because SenML packs and IoT Agent measures mix it with the
 * model's own readings.
 */
export const deviceHealth: AttributeBlock = {
  measurement: 'device_health',
  readings: {
    // SDM Device: 1.0 full, 0.0 empty, −1 "transiently cannot be determined".
    batteryLevel: { valueType: 'number', field: 'battery_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1, unknownValue: -1 },
    // SenML packs name it `battery` (data-models §3.3, with `%EL`).
    battery: { valueType: 'number', field: 'battery_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
    // SDM Device says dBm or mW; mW is not linear in dBm, so only dBm and dBW are accepted.
    // Generous bounds: LoRa receivers report down to about −150 dBm.
    rssi: { valueType: 'number', field: 'rssi_dbm', quantity: 'signal', defaultUnit: 'dBm', min: -200, max: 50 },
  },
}
