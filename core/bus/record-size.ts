import { PlatformError } from '../../models/errors.js'
import type { OutgoingRecord } from './bus.js'

/**
 * The largest record, key, value and headers together, that the platform hands to a bus unless
 * `BUS_MAX_RECORD_BYTES` says otherwise: below Kafka's default `max.message.bytes` (1 MiB + 12
 * bytes), which applies to a whole record batch, with room for the batch's own overhead. The
 * embedded bus keeps the same limit, so that moving a city onto Kafka brings no new refusals.
 */
export const defaultMaxRecordBytes = 1_000_000

/** Key, value and headers in UTF-8 plus the record format's overhead (lengths, varints, attributes). */
export function recordBytes(r: OutgoingRecord): number {
  let size = 24 + Buffer.byteLength(r.key) + r.value.length
  for (const name in r.headers) size += 8 + Buffer.byteLength(name) + Buffer.byteLength(r.headers[name] ?? '')
  return size
}

/**
 * Refuses a publish holding a record above the limit, before any of it reaches the bus: the bus
 * would refuse it for good, and a caller that took that for an outage would retry forever.
 */
export function assertRecordsFit(records: readonly OutgoingRecord[], maxRecordBytes: number): void {
  for (const r of records) {
    const size = recordBytes(r)
    if (size > maxRecordBytes) {
      throw new PlatformError('RECORD_TOO_LARGE', `a record of ${size} bytes for ${r.topic} (key "${r.key.slice(0, 128)}") exceeds the bus's limit of ${maxRecordBytes} bytes`, { topic: r.topic, bytes: size, maxRecordBytes })
    }
  }
}
