import type { Headers, IncomingRecord, OutgoingRecord } from '../core/bus/bus.js'
import { recordBytes } from '../core/bus/record-size.js'
import { header } from '../core/bus/topics.js'
import type { ErrorCode } from '../models/errors.js'

export interface DeadLetterReason {
  readonly code: ErrorCode
  readonly message: string
  readonly attribute?: string
}

/** Most bytes of reasons a dead letter's header carries: a pack with thousands of bad readings must not outgrow the record. */
export const maxReasonsBytes = 64 * 1024

/**
 * A dead-letter record: the refused bytes exactly as they arrived, the source record's headers,
 * and why and where it was refused, in headers (the Kafka Connect convention), so the record can
 * be inspected, fixed and replayed onto its source topic. It always fits in `maxRecordBytes`:
 * beyond `maxReasonsBytes` the reasons end with a count of those left out, and a value too large
 * to travel with them keeps its first bytes, with its whole length in `dlq-value-bytes`.
 */
export function deadLetterRecord(deadLetterTopic: string, stage: string, source: IncomingRecord, reasons: readonly DeadLetterReason[], maxRecordBytes: number, value: Buffer = source.value): OutgoingRecord {
  const headers: Record<string, string> = { ...source.headers }
  headers[header.dlqStage] = stage
  headers[header.dlqCode] = reasons[0]?.code ?? 'RECORD_INVALID'
  headers[header.dlqReasons] = JSON.stringify(boundedReasons(reasons))
  headers[header.dlqSourceTopic] = source.topic
  headers[header.dlqSourcePartition] = String(source.partition)
  headers[header.dlqSourceOffset] = source.offset
  const record = { topic: deadLetterTopic, key: source.key, value, headers }
  const excess = recordBytes(record) - maxRecordBytes
  if (excess <= 0) return record
  headers[header.dlqValueBytes] = String(value.length)
  // The header just added takes room too.
  return { ...record, value: value.subarray(0, Math.max(0, value.length - excess - 64)) }
}

/** The reasons as they fit in `maxReasonsBytes`, the last one saying how many were left out. */
function boundedReasons(reasons: readonly DeadLetterReason[]): DeadLetterReason[] {
  const kept: DeadLetterReason[] = []
  let bytes = 2
  for (const [index, reason] of reasons.entries()) {
    const size = Buffer.byteLength(JSON.stringify(reason)) + 1
    // Room for the closing summary as well.
    if (bytes + size > maxReasonsBytes - 256) {
      const left = reasons.length - index
      kept.push({ code: reason.code, message: `… and ${left} more reason${left === 1 ? '' : 's'}, left out to keep the dead letter within its size` })
      return kept
    }
    kept.push(reason)
    bytes += size
  }
  return kept
}

/** Reads the reasons back from a dead-letter record's headers. */
export function deadLetterReasons(headers: Headers): DeadLetterReason[] {
  const raw = headers[header.dlqReasons]
  return raw ? (JSON.parse(raw) as DeadLetterReason[]) : []
}
