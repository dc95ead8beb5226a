import { createHash } from 'node:crypto'
import type { ReadingEnvelope } from '../models/reading.js'

/**
 * How many readings messages per device are remembered to recognise one that comes again. Repeats
 * arrive close together: a device resending what it published before its PUBACK was lost, or a
 * processor replaying records it had handled but not committed when it crashed.
 */
export const rememberedReadingsPerDevice = 128

/**
 * What a readings message says, independent of how it travelled: every reading's entity,
 * attribute, field, value and observation time. The same message resent by a device (a new raw
 * record with the same bytes) or normalised twice gets the same identity; a genuinely late
 * reading has other times or values, and so another identity. 64 bits of SHA-256 make a
 * collision between two messages of one device negligible.
 */
export function readingsIdentity(envelope: ReadingEnvelope): string {
  // Sorted, so the order in which a decoder listed the attributes does not matter.
  const readings = envelope.readings.map((r) => JSON.stringify([r.entityId ?? '', r.attribute, r.measurement, r.field, r.time, r.value])).sort()
  return createHash('sha256').update(JSON.stringify([envelope.entityId ?? '', readings])).digest('hex').slice(0, 16)
}

/**
 * Records `identity` in a device's recent identities (newest last, at most
 * `rememberedReadingsPerDevice`); says whether it was there already, i.e. the message is a repeat.
 */
export function isRepeat(recent: string[], identity: string): boolean {
  if (recent.includes(identity)) return true
  recent.push(identity)
  if (recent.length > rememberedReadingsPerDevice) recent.splice(0, recent.length - rememberedReadingsPerDevice)
  return false
}
