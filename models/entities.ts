import { z } from 'zod'
import { flowDestinations, flowDirections, phaseTypes, storedWasteKinds, storedWasteOrigins, wasteContainerStatuses } from './vocabulary.js'

/**
 * The shapes of the entities the platform reads and serves, as zod schemas in the keyValues
 * (simplified) representation, with their TypeScript types derived from them. They describe
 * structure — which attributes, of which JSON type, which enum — for validating entities and for
 * typing code that builds them. Units, ranges and storage live in the attribute catalogue, which
 * the decoders use on the hot path; a test keeps the attribute names of both in step.
 */

/** ISO 8601 with a UTC offset, as the decoders require. */
const dateTime = z.iso.datetime({ offset: true })
/** An entity id (URI) or a list of them: a Relationship's object in keyValues. */
const reference = z.union([z.string().min(1), z.array(z.string().min(1))])
/** A GeoJSON geometry (RFC 7946); Smart Data Models use Point, LineString, Polygon and the Multi* kinds. */
const geometry = z.looseObject({ type: z.string(), coordinates: z.array(z.unknown()) })

const entityBase = {
  id: z.string().min(1),
  '@context': z.union([z.string(), z.array(z.unknown())]).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  location: geometry.optional(),
  dateObserved: dateTime.optional(),
  timeInstant: dateTime.optional(),
  TimeInstant: dateTime.optional(),
}

/** SDM Device telemetry a sensor reports about itself, accepted in every model (catalogue `deviceHealth`). */
const deviceHealth = {
  batteryLevel: z.number().optional(),
  battery: z.number().optional(),
  rssi: z.number().optional(),
}

/** A StructuredValue with one number per phase (ACMeasurement). */
function perPhase<const Phase extends string>(phases: readonly Phase[]): z.ZodOptional<z.ZodObject<Record<Phase, z.ZodOptional<z.ZodNumber>>>> {
  return z.strictObject(Object.fromEntries(phases.map((phase) => [phase, z.number().optional()])) as Record<Phase, z.ZodOptional<z.ZodNumber>>).optional()
}
const lines = ['L1', 'L2', 'L3'] as const
const linesAndNeutral = ['L1', 'L2', 'L3', 'N'] as const
const betweenLines = ['L12', 'L23', 'L31'] as const

/** dataModel.WasteManagement WasteContainer v0.3.0 (data-models §1.1). */
export const wasteContainerEntity = z.looseObject({
  ...entityBase,
  type: z.literal('WasteContainer'),
  fillingLevel: z.number().optional(),
  cargoWeight: z.number().optional(),
  temperature: z.number().optional(),
  methaneConcentration: z.number().optional(),
  status: z.enum(wasteContainerStatuses).optional(),
  lidOpen: z.boolean().optional(),
  dateLastEmptying: dateTime.optional(),
  binLoggedTime: dateTime.optional(),
  // The 2019 spec had a list here; both are read.
  storedWasteKind: z.union([z.enum(storedWasteKinds), z.array(z.enum(storedWasteKinds))]).optional(),
  storedWasteOrigin: z.enum(storedWasteOrigins).optional(),
  storedWasteCode: z.string().optional(),
  category: z.array(z.enum(['fixed', 'ground', 'other', 'portable', 'underground'])).optional(),
  refWasteContainerIsle: reference.optional(),
  refWasteContainerModel: reference.optional(),
  refDevice: reference.optional(),
  ...deviceHealth,
})
export type WasteContainerEntity = z.infer<typeof wasteContainerEntity>

/**
 * dataModel.WasteManagement WasteObserved v0.0.1 (data-models §1.4) with the local extension for
 * material-flow accounting: `storedWasteCode`, `storedWasteKind`, `storedWasteOrigin`,
 * `direction`, `destination` (see `declarations/waste-management.ts`).
 */
export const wasteObservedEntity = z.looseObject({
  ...entityBase,
  type: z.literal('WasteObserved'),
  weight: z.number().optional(),
  grossWeight: z.number().optional(),
  tareWeight: z.number().optional(),
  refWeighingDevice: reference.optional(),
  refGarbageTruck: reference.optional(),
  refServiceOrderId: reference.optional(),
  storedWasteCode: z.string().optional(),
  storedWasteKind: z.enum(storedWasteKinds).optional(),
  storedWasteOrigin: z.enum(storedWasteOrigins).optional(),
  direction: z.enum(flowDirections).optional(),
  destination: z.enum(flowDestinations).optional(),
  ...deviceHealth,
})
export type WasteObservedEntity = z.infer<typeof wasteObservedEntity>

/** dataModel.Energy ACMeasurement v0.0.1 (data-models §1.5): single- and three-phase meters. */
export const acMeasurementEntity = z.looseObject({
  ...entityBase,
  type: z.literal('ACMeasurement'),
  phaseType: z.enum(phaseTypes).optional(),
  frequency: z.number().optional(),
  dateEnergyMeteringStarted: dateTime.optional(),
  dateObservedFrom: dateTime.optional(),
  dateObservedTo: dateTime.optional(),
  totalActivePower: z.number().optional(),
  totalReactivePower: z.number().optional(),
  totalApparentPower: z.number().optional(),
  activePower: perPhase(lines),
  reactivePower: perPhase(lines),
  apparentPower: perPhase(lines),
  totalActiveEnergyImport: z.number().optional(),
  totalActiveEnergyExport: z.number().optional(),
  totalReactiveEnergyImport: z.number().optional(),
  totalReactiveEnergyExport: z.number().optional(),
  totalApparentEnergyImport: z.number().optional(),
  totalApparentEnergyExport: z.number().optional(),
  activeEnergyImport: perPhase(lines),
  activeEnergyExport: perPhase(lines),
  reactiveEnergyImport: perPhase(lines),
  reactiveEnergyExport: perPhase(lines),
  apparentEnergyImport: perPhase(lines),
  apparentEnergyExport: perPhase(lines),
  current: perPhase(linesAndNeutral),
  phaseVoltage: perPhase(lines),
  phaseToPhaseVoltage: perPhase(betweenLines),
  powerFactor: perPhase(lines),
  displacementPowerFactor: perPhase(lines),
  totalPowerFactor: z.number().optional(),
  totalDisplacementPowerFactor: z.number().optional(),
  thdVoltage: perPhase(lines),
  thdCurrent: perPhase(lines),
  refDevice: reference.optional(),
  refTargetDevice: reference.optional(),
  ...deviceHealth,
})
export type AcMeasurementEntity = z.infer<typeof acMeasurementEntity>

/** dataModel.Device SmartMeteringObservation v0.0.2 (data-models §1.6): heat and gas meter registers. */
export const smartMeteringObservationEntity = z.looseObject({
  ...entityBase,
  type: z.literal('SmartMeteringObservation'),
  meterType: z.string().optional(),
  totalConsumption: z.number().optional(),
  peakConsumption: z.number().optional(),
  offPeakConsumption: z.number().optional(),
  powerFactor: z.number().optional(),
  refDevice: reference.optional(),
  entityVersion: z.enum(['2.0', 'LD']).optional(),
  ...deviceHealth,
})
export type SmartMeteringObservationEntity = z.infer<typeof smartMeteringObservationEntity>

/** dataModel.Device Device v0.0.9 (data-models §1.6): registry data and health. */
export const deviceEntity = z.looseObject({
  ...entityBase,
  type: z.literal('Device'),
  controlledProperty: z.union([z.string(), z.array(z.string())]).optional(),
  deviceState: z.string().optional(),
  dateLastValueReported: dateTime.optional(),
  serialNumber: z.string().optional(),
  refDeviceModel: reference.optional(),
  ...deviceHealth,
})
export type DeviceEntity = z.infer<typeof deviceEntity>

/** dataModel.Device DeviceMeasurement v0.1.0 (data-models §1.6): one generic value. */
export const deviceMeasurementEntity = z.looseObject({
  ...entityBase,
  type: z.literal('DeviceMeasurement'),
  numValue: z.number().optional(),
  textValue: z.string().optional(),
  unit: z.string().optional(),
  controlledProperty: z.string().optional(),
  measurementType: z.string().optional(),
  deviceType: z.string().optional(),
  outlier: z.boolean().optional(),
  refDevice: reference.optional(),
  ...deviceHealth,
})
export type DeviceMeasurementEntity = z.infer<typeof deviceMeasurementEntity>

/** The keyValues schema of each entity type in the catalogue. */
export const entitySchemas = {
  WasteContainer: wasteContainerEntity,
  WasteObserved: wasteObservedEntity,
  ACMeasurement: acMeasurementEntity,
  SmartMeteringObservation: smartMeteringObservationEntity,
  Device: deviceEntity,
  DeviceMeasurement: deviceMeasurementEntity,
} as const

export type EntityType = keyof typeof entitySchemas
