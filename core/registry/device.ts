import { z } from 'zod'
import { geoPoint } from '../../models/geo.js'
import { deviceKind, payloadFormat } from '../../models/reading.js'
import { meterType, storedWasteKind } from '../../models/vocabulary.js'
import { secretHashPrefixes } from './secret.js'

/** Ids that are safe in MQTT topics, Kafka keys and InfluxDB tags without escaping surprises. */
export const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'letters, digits, _ . - (max 128), starting with a letter or digit')

export { geoPoint }

/**
 * The FIWARE IoT Agent protocol prefixes of the topic scheme (`/json/…`, `/ul/…`). No API key may
 * be spelled like one: the legacy topic `/<apiKey>/<deviceId>/…` of a device with API key `json`
 * would read as `/json/<apiKey>/…`, the namespace of every device whose API key is its id.
 */
export const reservedApiKeys: readonly string[] = ['json', 'ul']

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
  /** Waste fraction a container holds (SDM `storedWasteKind`); tags its readings. */
  wasteFraction: storedWasteKind.optional(),
  /** Container volume in m³, e.g. 3.0 for an underground container. */
  containerVolumeM3: z.number().positive().max(1000).optional(),
  /** Container type (model or size class); fullness thresholds are set per type. */
  containerType: z.string().min(1).max(64).optional(),
  /** What a meter meters; defaults to what its kind implies (energy_meter → electricity, …). */
  meterType: meterType.optional(),
  /** Fill ratio 0..1 at which the container counts as full. */
  fullnessThreshold: z.number().min(0).max(1).optional(),
  /** Keyed hash of the device secret (`sha256$…`, or `scrypt$…` from earlier registries, see secret.ts); the secret itself is never stored. */
  secretHash: z.string().refine((h) => secretHashPrefixes.some((p) => h.startsWith(p)), 'a sha256$… or scrypt$… hash'),
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
