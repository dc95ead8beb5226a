import type { Rejection } from './decoding.js'
import { reject } from './rejections.js'

/**
 * How much one payload may hold. MQTT caps a message's bytes (MQTT_MAX_PAYLOAD_BYTES); this caps
 * its items, so a payload of many tiny records cannot turn into a flood of readings or dead-letter
 * reasons. Checked before any item is decoded.
 */
export const maxItemsPerPayload = 10_000

/** The rejection for a payload with too many items, or undefined when it is within the limit. */
export function tooManyItems(count: number, what: string): Rejection | undefined {
  return count > maxItemsPerPayload ? reject('PAYLOAD_TOO_LARGE', `the payload holds ${count} ${what}; at most ${maxItemsPerPayload} are accepted per message`) : undefined
}
