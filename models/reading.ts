import { z } from 'zod'
import { geoPoint } from './geo.js'
import { meterType, storedWasteKind } from './vocabulary.js'

/** How a payload on MQTT is encoded; detected from the topic, then the content, then the device's registration. */
export const payloadFormats = ['ngsi-ld', 'senml', 'iota-json', 'ultralight', 'auto'] as const
export const payloadFormat = z.enum(payloadFormats)
export type PayloadFormat = z.infer<typeof payloadFormat>

/**
 * What a raw record or a readings envelope carries: a device's payload in one of the formats, or
 * a device status event (`models/device-status.ts`), which no device is registered with.
 */
export const recordFormats = [...payloadFormats, 'device-status'] as const
export const recordFormat = z.enum(recordFormats)
export type RecordFormat = z.infer<typeof recordFormat>

/** What a device is; decides which data model a payload without an entity type follows. */
export const deviceKinds = ['waste_container', 'energy_meter', 'heat_meter', 'gas_meter', 'weighing_device', 'generic'] as const
export const deviceKind = z.enum(deviceKinds)
export type DeviceKind = z.infer<typeof deviceKind>

/**
 * One measured value in canonical form: one unit per quantity (kg, kWh, W, °C, ratio 0–1),
 * the store measurement and field it is stored under, and the time it was observed.
 */
export const canonicalReading = z.object({
  /** Source attribute name as the data model spells it, e.g. `fillingLevel`. */
  attribute: z.string().min(1),
  /** Storage measurement, e.g. `waste_container`. */
  measurement: z.string().regex(/^[a-z][a-z0-9_]*$/),
  /** Storage field with its unit in the name, e.g. `cargo_weight_kg`. */
  field: z.string().regex(/^[a-z][a-z0-9_]*$/),
  value: z.union([z.number().refine(Number.isFinite, 'must be finite'), z.string(), z.boolean()]),
  /** Canonical unit symbol (`kg`, `kWh`, `W`, `Cel`, `ratio`, `ppm`, `m3`, ``) for numbers; empty for text and flags. */
  unit: z.string(),
  /** Observation time, milliseconds since the Unix epoch (UTC). */
  time: z.number().int(),
  /** The unit code the device sent (UN/CEFACT or SenML), kept for audit. */
  sourceUnit: z.string().optional(),
  /** The entity this reading describes, set only when one payload describes several entities; otherwise the envelope's `entityId` applies. */
  entityId: z.string().min(1).optional(),
})
export type CanonicalReading = z.infer<typeof canonicalReading>

/** Where a record came from on the bus, so every stored point can be traced back. */
export const sourcePosition = z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() })

/**
 * The value of one `telemetry.readings` record: every reading decoded from one MQTT message,
 * with what the registry knows about the device that the processors downstream need (the
 * enrichment fields are optional: set only when the device's registration has them).
 */
export const readingEnvelope = z.object({
  schema: z.literal('circular.readings/v1'),
  tenant: z.string().min(1),
  site: z.string().min(1),
  deviceId: z.string().min(1),
  kind: deviceKind,
  format: recordFormat,
  entityType: z.string().optional(),
  entityId: z.string().optional(),
  receivedAt: z.number().int(),
  source: sourcePosition,
  readings: z.array(canonicalReading).min(1),
  /** Where the device is (registry), GeoJSON [lon, lat]. */
  location: geoPoint.optional(),
  /** Waste fraction a container holds (registry), SDM `storedWasteKind` values. */
  fraction: storedWasteKind.optional(),
  /** Container volume in m³ (registry). */
  containerVolumeM3: z.number().positive().optional(),
  /** Container type (registry), e.g. `underground-5m3`; thresholds are set per type. */
  containerType: z.string().min(1).optional(),
  /** Fill ratio at which the container counts as full (registry), 0..1. */
  fullnessThreshold: z.number().min(0).max(1).optional(),
  /** What a meter meters: registered, else implied by its kind (energy_meter → electricity, …). */
  meterType: meterType.optional(),
})
export type ReadingEnvelope = z.infer<typeof readingEnvelope>
