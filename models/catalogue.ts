import type { DeviceKind } from './reading.js'
import type { MeterType } from './vocabulary.js'
import { canonicalUnits, lookupUnit, type Quantity, type UnitDefinition } from './units.js'
import type { EntityDeclaration, NumberDeclaration, ReadingDeclaration } from './declarations/declaration.js'
import { acMeasurement } from './declarations/energy.js'
import { device, deviceMeasurement, smartMeteringObservation } from './declarations/device.js'
import { wasteContainer, wasteObserved } from './declarations/waste-management.js'

/**
 * The attribute catalogue, as data: for each known entity type, which attributes are telemetry
 * (and where and how they are stored) and which are descriptive metadata. Decoders skip metadata
 * silently and refuse anything that is in neither list, so a typo in an attribute name surfaces
 * as a rejection instead of vanishing.
 *
 * Attribute names, entity types and enums follow the Smart Data Models (dataModel.WasteManagement,
 * dataModel.Energy, dataModel.Device; the declarations in `declarations/` cite them); measurements
 * and fields follow the storage plan (data-models §8.3: snake_case, unit suffix on numeric fields
 * whose unit is not self-evident).
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
  /** Unit assumed when a payload gives none and the model has no convention: by meter type. */
  readonly defaultUnitByMeterType?: Readonly<Record<MeterType, UnitDefinition>>
  /** Other quantities the value may be given in, each with its own field (kWh or m³). */
  readonly alternatives?: ReadonlyMap<Quantity, string>
  /** Another attribute of the same entity that may name the unit (DeviceMeasurement `unit`). */
  readonly unitAttribute?: string
  /** Inclusive bounds in the canonical unit. */
  readonly min?: number
  readonly max?: number
  /** The value the data model uses for "cannot be determined"; refused with its own reason. */
  readonly unknownValue?: number
  /** A cumulative register: a SenML sum of the matching rate is its value. */
  readonly register?: boolean
}

export interface StringReadingSpec extends ReadingBase {
  readonly valueType: 'string'
  readonly allowed?: ReadonlySet<string>
  /** Brings a value into its stored form, or undefined when it is malformed. */
  readonly normalise?: (text: string) => string | undefined
  readonly expected?: string
}

export interface BooleanReadingSpec extends ReadingBase {
  readonly valueType: 'boolean'
}

/** An ISO 8601 instant stored as a string field (normalised to UTC, millisecond precision). */
export interface DateTimeReadingSpec extends ReadingBase {
  readonly valueType: 'datetime'
}

export type ReadingSpec = NumberReadingSpec | StringReadingSpec | BooleanReadingSpec | DateTimeReadingSpec

/**
 * A StructuredValue of one number per phase (ACMeasurement `activePower: {L1, L2, L3}`). Each
 * phase is also an attribute of its own, named `<attribute>.<phase>` (`activePower.L1`): how
 * formats without nested values (SenML, Ultralight, flat IoT Agent JSON) name it, and the
 * attribute its readings carry.
 */
export interface StructuredSpec {
  readonly role: 'structured'
  readonly measurement: string
  readonly components: ReadonlyMap<string, NumberReadingSpec>
}

/** Descriptive or structural attribute (location, category, relationships…): not telemetry. */
export interface MetadataSpec {
  readonly role: 'metadata'
}

export type AttributeSpec = ReadingSpec | StructuredSpec | MetadataSpec

export interface EntityModel {
  readonly type: string
  readonly attributes: ReadonlyMap<string, AttributeSpec>
  /** Entity-level observation times, highest precedence first (data-models §8.1). */
  readonly timeAttributes: readonly string[]
}

/** Members every NGSI-LD entity may carry besides its attributes (ETSI GS CIM 009 4.5.1). */
const entityMembers = ['id', 'type', '@context', 'scope', 'expiresAt', 'createdAt', 'modifiedAt', 'deletedAt']

const declarations: Readonly<Record<string, EntityDeclaration>> = {
  WasteContainer: wasteContainer,
  WasteObserved: wasteObserved,
  ACMeasurement: acMeasurement,
  SmartMeteringObservation: smartMeteringObservation,
  Device: device,
  DeviceMeasurement: deviceMeasurement,
}

/** The data model a payload follows when it names no entity type itself (SenML, IoT Agent). */
const entityTypeByKind: Readonly<Record<DeviceKind, string>> = {
  waste_container: 'WasteContainer',
  weighing_device: 'WasteObserved',
  energy_meter: 'ACMeasurement',
  heat_meter: 'SmartMeteringObservation',
  gas_meter: 'SmartMeteringObservation',
  generic: 'DeviceMeasurement',
}

/** What a meter of this kind meters, unless its registration says otherwise. */
const meterTypeByKind: Readonly<Partial<Record<DeviceKind, MeterType>>> = {
  energy_meter: 'electricity',
  heat_meter: 'heat',
  gas_meter: 'gas',
}

// ---- compiled lookups ---------------------------------------------------------------------

function unitOf(code: string, quantities: readonly (Quantity | undefined)[], name: string): UnitDefinition {
  const unit = lookupUnit(code)
  if (unit === undefined || !quantities.includes(unit.quantity)) throw new Error(`catalogue: ${name} has default unit ${code}, which is not a unit of ${quantities.join(' or ')}`)
  return unit
}

function compileNumber(measurement: string, name: string, field: string, declaration: NumberDeclaration): NumberReadingSpec {
  const { defaultUnit: code, defaultUnitByMeterType: byMeterType, alternatives, phases: _phases, field: _field, ...rest } = declaration
  const alternativeMap = alternatives === undefined ? undefined : new Map(Object.entries(alternatives) as [Quantity, string][])
  const accepted = [declaration.quantity, ...(alternativeMap?.keys() ?? [])]
  return {
    ...rest,
    role: 'reading',
    measurement,
    field,
    ...(code !== undefined ? { defaultUnit: unitOf(code, accepted, name) } : {}),
    ...(byMeterType !== undefined
      ? { defaultUnitByMeterType: Object.fromEntries(Object.entries(byMeterType).map(([meter, unit]) => [meter, unitOf(unit, accepted, name)])) as Record<MeterType, UnitDefinition> }
      : {}),
    ...(alternativeMap !== undefined ? { alternatives: alternativeMap } : {}),
  }
}

function compileReading(measurement: string, name: string, declaration: ReadingDeclaration): ReadingSpec {
  switch (declaration.valueType) {
    case 'number':
      return compileNumber(measurement, name, declaration.field, declaration)
    case 'string': {
      const { allowed, ...rest } = declaration
      return { ...rest, role: 'reading', measurement, ...(allowed !== undefined ? { allowed: new Set(allowed) } : {}) }
    }
    default:
      return { ...declaration, role: 'reading', measurement }
  }
}

const metadataSpec: MetadataSpec = Object.freeze({ role: 'metadata' })

function compileEntity(type: string, declaration: EntityDeclaration): EntityModel {
  const attributes = new Map<string, AttributeSpec>()
  const declare = (name: string, spec: AttributeSpec): void => {
    if (attributes.has(name) && attributes.get(name)?.role !== 'metadata') throw new Error(`catalogue: ${type}.${name} is declared twice`)
    attributes.set(name, spec)
  }
  for (const name of [...entityMembers, ...declaration.metadata, ...declaration.timeAttributes]) attributes.set(name, metadataSpec)
  for (const block of declaration.blocks) {
    for (const [name, reading] of Object.entries(block.readings)) {
      if (reading.valueType !== 'number' || reading.phases === undefined) {
        declare(name, compileReading(block.measurement, `${type}.${name}`, reading))
        continue
      }
      const components = new Map<string, NumberReadingSpec>()
      for (const phase of reading.phases) {
        const spec = compileNumber(block.measurement, `${type}.${name}`, reading.field.replace('{phase}', phase.toLowerCase()), reading)
        components.set(phase, spec)
        declare(`${name}.${phase}`, spec)
      }
      declare(name, { role: 'structured', measurement: block.measurement, components })
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

/** What a meter of this kind meters by default; undefined for kinds that are no meters. */
export function meterTypeForKind(kind: DeviceKind): MeterType | undefined {
  return Object.hasOwn(meterTypeByKind, kind) ? meterTypeByKind[kind] : undefined
}

/** One stored field with the canonical unit of its numbers ('' for text, flags and unit-less numbers). */
export interface StoredField {
  readonly measurement: string
  readonly field: string
  readonly unit: string
}

/** Every field any reading can be stored in, derived from the catalogue once. */
export const storedFields: readonly StoredField[] = (() => {
  const byKey = new Map<string, StoredField>()
  const add = (measurement: string, field: string, unit: string): void => {
    byKey.set(`${measurement}/${field}`, { measurement, field, unit })
  }
  for (const model of models.values()) {
    for (const spec of model.attributes.values()) {
      if (spec.role !== 'reading') continue
      if (spec.valueType !== 'number') {
        add(spec.measurement, spec.field, '')
        continue
      }
      add(spec.measurement, spec.field, spec.quantity === undefined ? '' : canonicalUnits[spec.quantity])
      for (const [quantity, field] of spec.alternatives ?? []) add(spec.measurement, field, canonicalUnits[quantity])
    }
  }
  return [...byKey.values()]
})()
