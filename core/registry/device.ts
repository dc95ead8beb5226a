import { z } from 'zod'
import { deviceKind, payloadFormat } from '../../models/reading.js'

/** Ids that are safe in MQTT topics, Kafka keys and InfluxDB tags without escaping surprises. */
export const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'letters, digits, _ . - (max 128), starting with a letter or digit')

/** A GeoJSON point: longitude first, then latitude (RFC 7946 §3.1.1). */
export const geoPoint = z.object({
  type: z.literal('Point'),
  coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]),
})

export const device = z.object({
  id: identifier,
  tenant: identifier,
  site: identifier,
  kind: deviceKind,
  format: payloadFormat,
  /** FIWARE IoT Agent API key; appears in `/json/<apiKey>/<deviceId>/attrs` topics. */
  apiKey: identifier,
  location: geoPoint.optional(),
  /** NGSI-LD entity id the device reports as, e.g. `urn:ngsi-ld:WasteContainer:bin-0042`. */
  entityId: z.string().min(1).max(256).optional(),
  /** scrypt hash of the device secret; the secret itself is never stored. */
  secretHash: z.string().startsWith('scrypt$'),
  createdAt: z.iso.datetime(),
})
export type Device = z.infer<typeof device>

/** What may be shown outside the registry: everything but the secret hash. */
export type PublicDevice = Omit<Device, 'secretHash'>

export function publicView({ secretHash: _secretHash, ...rest }: Device): PublicDevice {
  return rest
}

export const registryFile = z.object({
  version: z.literal(1),
  devices: z.array(device),
})
export type RegistryFile = z.infer<typeof registryFile>
