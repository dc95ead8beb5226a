import type { Headers, IncomingRecord, OutgoingRecord } from '../core/bus/bus.js'
import { header } from '../core/bus/topics.js'
import type { ErrorCode } from '../models/errors.js'

export interface DeadLetterReason {
  readonly code: ErrorCode
  readonly message: string
  readonly attribute?: string
}

/**
 * A dead-letter record: the refused bytes exactly as they arrived, the source record's headers,
 * and why and where it was refused, in headers (the Kafka Connect convention), so the record can
 * be inspected, fixed and replayed onto its source topic.
 */
export function deadLetterRecord(deadLetterTopic: string, stage: string, source: IncomingRecord, reasons: readonly DeadLetterReason[], value: Buffer = source.value): OutgoingRecord {
  const headers: Record<string, string> = { ...source.headers }
  headers[header.dlqStage] = stage
  headers[header.dlqCode] = reasons[0]?.code ?? 'RECORD_INVALID'
  headers[header.dlqReasons] = JSON.stringify(reasons)
  headers[header.dlqSourceTopic] = source.topic
  headers[header.dlqSourcePartition] = String(source.partition)
  headers[header.dlqSourceOffset] = source.offset
  return { topic: deadLetterTopic, key: source.key, value, headers }
}

/** Reads the reasons back from a dead-letter record's headers. */
export function deadLetterReasons(headers: Headers): DeadLetterReason[] {
  const raw = headers[header.dlqReasons]
  return raw ? (JSON.parse(raw) as DeadLetterReason[]) : []
}
