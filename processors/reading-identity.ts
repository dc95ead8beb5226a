import { createHash } from 'node:crypto'
import type { ReadingEnvelope } from '../models/reading.js'

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

/** The newest observation time of a message: a repeat of it has the same. */
export function newestObservation(envelope: ReadingEnvelope): number {
  let newest = -Infinity
  for (const r of envelope.readings) if (r.time > newest) newest = r.time
  return newest
}

/**
 * Most message identities kept per device, about 30 bytes of state each. A device that sends more
 * messages than this within the allowed lateness has the oldest forgotten early (see `forgottenUpTo`).
 */
export const identitiesPerDevice = 4096

/**
 * The messages of one device seen recently enough that a repeat of one could still count: every
 * message observed within the allowed lateness (older ones no longer reach a rollup, so a repeat
 * of them cannot count twice), up to `identitiesPerDevice`.
 */
export interface SeenMessages {
  /** `[identity, newest observation time]`, by time, oldest first. */
  entries: [string, number][]
  /**
   * The newest observation time among identities dropped for room: a message observed at or
   * before it may be a repeat of one of them, so it cannot be counted safely.
   */
  forgottenUpTo?: number
  /** Identities kept before times were (a fixed number, without times): checked until the horizon passes `upTo`. */
  legacy?: { ids: string[]; upTo: number }
}

/** `new`: not seen, now recorded. `repeat`: seen. `unknowable`: observed before what this device's record still covers. */
export type RepeatVerdict = 'new' | 'repeat' | 'unknowable'

/** The seen messages of a state, taking over the identities of a state written before they had times. */
export function seenMessagesOf(state: { seenMessages?: SeenMessages; recentReadings?: string[] }, newestTime: number): SeenMessages {
  if (state.seenMessages) return state.seenMessages
  const seen: SeenMessages = { entries: [] }
  if (state.recentReadings && state.recentReadings.length > 0) seen.legacy = { ids: state.recentReadings, upTo: newestTime }
  delete state.recentReadings
  state.seenMessages = seen
  return seen
}

/** Says whether the message was seen, and records it if it was not. O(log n) in the identities kept. */
export function recordMessage(seen: SeenMessages, identity: string, time: number, limit = identitiesPerDevice): RepeatVerdict {
  const { entries } = seen
  // The first entry observed at `time` or later; a repeat has the same time, so it is among those at `time`.
  let low = 0
  let high = entries.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (entries[mid]![1] < time) low = mid + 1
    else high = mid
  }
  for (let i = low; i < entries.length && entries[i]![1] === time; i++) if (entries[i]![0] === identity) return 'repeat'
  if (seen.legacy?.ids.includes(identity)) return 'repeat'
  if (seen.forgottenUpTo !== undefined && time <= seen.forgottenUpTo) return 'unknowable'
  entries.splice(low, 0, [identity, time])
  if (entries.length > limit) {
    const dropped = entries.splice(0, entries.length - limit)
    seen.forgottenUpTo = Math.max(seen.forgottenUpTo ?? -Infinity, dropped.at(-1)![1])
  }
  return 'new'
}

/** Forgets the messages observed before `horizon` (the device's watermark): a repeat of one of them cannot count any more. */
export function forgetBefore(seen: SeenMessages, horizon: number): void {
  let drop = 0
  while (drop < seen.entries.length && seen.entries[drop]![1] < horizon) drop++
  if (drop > 0) seen.entries.splice(0, drop)
  if (seen.forgottenUpTo !== undefined && seen.forgottenUpTo < horizon) delete seen.forgottenUpTo
  if (seen.legacy && seen.legacy.upTo < horizon) delete seen.legacy
}
