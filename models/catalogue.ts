import type { DeviceKind } from './reading.js'
import { lookupUnit, type Quantity, type UnitDefinition } from './units.js'

/**
 * The attribute catalogue, as data: for each known entity type, which attributes are telemetry
 * (and where and how they are stored) and which are descriptive metadata. Decoders skip metadata
 * silently and refuse anything that is in neither list, so a typo in an attribute name surfaces
 * as a rejection instead of vanishing.
 *
 * Attribute names, entity types and enums follow the Smart Data Models (dataModel.WasteManagement,
 * dataModel.Device); measurements and fields follow the storage plan (snake_case, unit suffix on
 * numeric fields whose unit is not self-evident).
 */

interface ReadingBase {
  readonly role: 'reading'
  /** Storage measurement, e.g. `waste_container`. */
  readonly measurement: string
  /** Storage field, e.g. `cargo_weight_kg`. */
  readonly field: string
}

export interface NumberReadingSpec extends ReadingBase {
  readonly valueType: 'number'
  /** What the number measures; undefined accepts any known unit and stores its canonical unit. */
  readonly quantity?: Quantity
  /** Unit assumed when a payload gives none: the data model's convention. */
  readonly defaultUnit?: UnitDefinition
  /** Another attribute of the same entity that may name the unit (DeviceMeasurement `unit`). */
  readonly unitAttribute?: string
  /** Inclusive bounds in the canonical unit. */
  readonly min?: number
  readonly max?: number
}

export interface StringReadingSpec extends ReadingBase {
  readonly valueType: 'string'
  readonly allowed?: ReadonlySet<string>
}

export interface BooleanReadingSpec extends ReadingBase {
  readonly valueType: 'boolean'
}

/** An ISO 8601 instant stored as a string field (normalised to UTC, millisecond precision). */
export interface DateTimeReadingSpec extends ReadingBase {
  readonly valueType: 'datetime'
}

export type ReadingSpec = NumberReadingSpec | StringReadingSpec | BooleanReadingSpec | DateTimeReadingSpec

/** Descriptive or structural attribute (location, category, relationships…): not telemetry. */
export interface MetadataSpec {
  readonly role: 'metadata'
}

export type AttributeSpec = ReadingSpec | MetadataSpec

export interface EntityModel {
  readonly type: string
  readonly attributes: ReadonlyMap<string, AttributeSpec>
  /** Entity-level observation times, highest precedence first (data-models §8.1). */
  readonly timeAttributes: readonly string[]
}

// ---- declarations -------------------------------------------------------------------------

type NumberDeclaration = Omit<NumberReadingSpec, 'role' | 'measurement' | 'defaultUnit'> & { readonly defaultUnit?: string }
type ReadingDeclaration =
  | NumberDeclaration
  | Omit<StringReadingSpec, 'role' | 'measurement'>
  | Omit<BooleanReadingSpec, 'role' | 'measurement'>
  | Omit<DateTimeReadingSpec, 'role' | 'measurement'>

interface AttributeBlock {
  readonly measurement: string
  readonly readings: Readonly<Record<string, ReadingDeclaration>>
}

interface EntityDeclaration {
  readonly blocks: readonly AttributeBlock[]
  readonly metadata: readonly string[]
  readonly timeAttributes: readonly string[]
}

/** Members every NGSI-LD entity may carry besides its attributes (ETSI GS CIM 009 4.5.1). */
const entityMembers = ['id', 'type', '@context', 'scope', 'expiresAt', 'createdAt', 'modifiedAt', 'deletedAt']

/** GSMA-Commons, Location-Commons and PhysicalObject-Commons blocks shared by the SDM schemas. */
const commonMetadata = [
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

/** Device health: the SDM `Device` telemetry a sensor reports about itself. */
const deviceHealth: AttributeBlock = {
  measurement: 'device_health',
  readings: {
    // SDM Device: 1.0 full, 0.0 empty; its −1 "unknown" is refused as out of range.
    batteryLevel: { valueType: 'number', field: 'battery_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
    // SenML packs name it `battery` (data-models §3.3, with `%EL`).
    battery: { valueType: 'number', field: 'battery_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
    // Generous bounds: LoRa receivers report down to about −150 dBm.
    rssi: { valueType: 'number', field: 'rssi_dbm', quantity: 'signal', defaultUnit: 'dBm', min: -200, max: 50 },
  },
}

const wasteContainerStatus = ['ok', 'lidOpen', 'dropped', 'moved', 'vandalized', 'burning', 'unknown']

const declarations: Readonly<Record<string, EntityDeclaration>> = {
  // dataModel.WasteManagement WasteContainer, schema v0.3.0; units from the 2019 spec's conventions.
  WasteContainer: {
    blocks: [
      {
        measurement: 'waste_container',
        readings: {
          fillingLevel: { valueType: 'number', field: 'filling_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
          cargoWeight: { valueType: 'number', field: 'cargo_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
          // Up to 1200 °C so that a burning container is still recorded, not refused.
          temperature: { valueType: 'number', field: 'temperature_c', quantity: 'temperature', defaultUnit: 'CEL', min: -60, max: 1200 },
          // The 2019 spec says µg/m³, but sensors report ppm and µg/m³ cannot be converted without
          // the gas's molar mass, so ppm is the convention here; µg/m³ senders are refused.
          methaneConcentration: { valueType: 'number', field: 'methane_ppm', quantity: 'concentration', defaultUnit: '59', min: 0 },
          status: { valueType: 'string', field: 'status', allowed: new Set(wasteContainerStatus) },
          // Not an SDM attribute: SenML lid switches report it (data-models §3.3, §8.3 `lid_open`).
          lidOpen: { valueType: 'boolean', field: 'lid_open' },
          // Kept as telemetry so a change (an emptying) can be detected downstream (§8.3 `emptied`).
          dateLastEmptying: { valueType: 'datetime', field: 'date_last_emptying' },
        },
      },
      deviceHealth,
    ],
    metadata: [
      ...commonMetadata,
      'category',
      'storedWasteKind',
      'storedWasteOrigin',
      'storedWasteCode',
      'nextActuationDeadline',
      'dateLastCleaning',
      'nextCleaningDeadline',
      'dateServiceStarted',
      'actuationHours',
      'refWasteContainerModel',
      'refWasteContainerIsle',
      'isleId',
      'refDevice',
      'serialNumber',
      'regulation',
      'responsible',
      'binCapacity',
      'binFullnessThreshold',
      'fullnessThreshold',
      'binMaxLoad',
      'binRecommendedLoad',
      'binColor',
      'binId',
      'wardId',
      'license_plate',
      'RFID',
    ],
    timeAttributes: ['dateObserved', 'binLoggedTime', 'timeInstant', 'TimeInstant'],
  },

  // dataModel.WasteManagement WasteObserved: one weighing at a weighbridge or scale.
  WasteObserved: {
    blocks: [
      {
        measurement: 'waste_weighing',
        readings: {
          weight: { valueType: 'number', field: 'net_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
          grossWeight: { valueType: 'number', field: 'gross_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
          tareWeight: { valueType: 'number', field: 'tare_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
        },
      },
    ],
    metadata: [...commonMetadata, 'refGarbageTruck', 'refWeighingDevice', 'refServiceOrderId', 'storedWasteCode', 'storedWasteKind', 'storedWasteOrigin'],
    timeAttributes: ['dateObserved', 'timeInstant', 'TimeInstant'],
  },

  // dataModel.Device Device: registry data plus the sensor's own health.
  Device: {
    blocks: [
      deviceHealth,
      {
        measurement: 'device_health',
        readings: {
          deviceState: { valueType: 'string', field: 'device_state' },
          dateLastValueReported: { valueType: 'datetime', field: 'last_value_reported' },
        },
      },
    ],
    metadata: [
      ...commonMetadata,
      'controlledProperty',
      'controlledAsset',
      'category',
      'deviceCategory',
      'supportedProtocol',
      'serialNumber',
      'refDeviceModel',
      'firmwareVersion',
      'softwareVersion',
      'hardwareVersion',
      'osVersion',
      'dateInstalled',
      'dateFirstUsed',
      'dateManufactured',
      'dateLastCalibration',
      'macAddress',
      'ipAddress',
      'mcc',
      'mnc',
      'configuration',
      'provider',
      'value',
    ],
    timeAttributes: ['dateObserved', 'timeInstant', 'TimeInstant'],
  },

  // dataModel.Device DeviceMeasurement: the generic fallback, one value per entity.
  DeviceMeasurement: {
    blocks: [
      {
        measurement: 'generic_measurement',
        readings: {
          numValue: { valueType: 'number', field: 'value', unitAttribute: 'unit' },
          textValue: { valueType: 'string', field: 'text_value' },
          outlier: { valueType: 'boolean', field: 'outlier' },
        },
      },
      deviceHealth,
    ],
    metadata: [...commonMetadata, 'controlledProperty', 'unit', 'measurementType', 'deviceType', 'refDevice'],
    timeAttributes: ['dateObserved', 'timeInstant', 'TimeInstant'],
  },
}

/** The data model a payload follows when it names no entity type itself (SenML, IoT Agent). */
const entityTypeByKind: Readonly<Record<DeviceKind, string>> = {
  waste_container: 'WasteContainer',
  weighing_device: 'WasteObserved',
  energy_meter: 'DeviceMeasurement',
  heat_meter: 'DeviceMeasurement',
  gas_meter: 'DeviceMeasurement',
  generic: 'DeviceMeasurement',
}

// ---- compiled lookups ---------------------------------------------------------------------

function compileReading(measurement: string, name: string, declaration: ReadingDeclaration): ReadingSpec {
  if (declaration.valueType !== 'number') return { ...declaration, role: 'reading', measurement }
  const { defaultUnit: code, ...rest } = declaration
  const defaultUnit = code === undefined ? undefined : lookupUnit(code)
  if (code !== undefined && (defaultUnit === undefined || defaultUnit.quantity !== declaration.quantity)) {
    throw new Error(`catalogue: ${name} has default unit ${code}, which is not a unit of ${declaration.quantity}`)
  }
  return { ...rest, role: 'reading', measurement, ...(defaultUnit !== undefined ? { defaultUnit } : {}) }
}

const metadataSpec: MetadataSpec = Object.freeze({ role: 'metadata' })

function compileEntity(type: string, declaration: EntityDeclaration): EntityModel {
  const attributes = new Map<string, AttributeSpec>()
  for (const name of [...entityMembers, ...declaration.metadata, ...declaration.timeAttributes]) attributes.set(name, metadataSpec)
  for (const block of declaration.blocks) {
    for (const [name, reading] of Object.entries(block.readings)) {
      if (attributes.get(name)?.role === 'reading') throw new Error(`catalogue: ${type}.${name} is declared twice`)
      attributes.set(name, compileReading(block.measurement, `${type}.${name}`, reading))
    }
  }
  return { type, attributes, timeAttributes: declaration.timeAttributes }
}

const models: ReadonlyMap<string, EntityModel> = new Map(Object.entries(declarations).map(([type, declaration]) => [type, compileEntity(type, declaration)]))

/** Every entity type the platform understands. */
export const entityTypes: readonly string[] = [...models.keys()]

/** The model of an entity type, or undefined when the type is not in the catalogue. */
export function lookupEntityModel(type: string): EntityModel | undefined {
  return models.get(type)
}

/** The entity type a device of this kind reports as when its payload does not say. */
export function entityTypeForKind(kind: DeviceKind): string | undefined {
  // Guarded: the kind comes from outside and may not be one of the enum's values at run time.
  return Object.hasOwn(entityTypeByKind, kind) ? entityTypeByKind[kind] : undefined
}

/** The model of the entity type a device of this kind reports as, if the catalogue has it. */
export function entityModelForKind(kind: DeviceKind): EntityModel | undefined {
  const type = entityTypeForKind(kind)
  return type === undefined ? undefined : models.get(type)
}
