import type { ErrorCode } from './errors.js'
import type { CanonicalReading, DeviceKind, PayloadFormat, RecordFormat } from './reading.js'
import type { MeterType } from './vocabulary.js'

/** What the decoder knows about the message besides its bytes. */
export interface DecodeContext {
  readonly deviceId: string
  readonly kind: DeviceKind
  /** Format the MQTT topic names; `auto` where it names none: then the content decides. */
  readonly format: PayloadFormat
  /** The device's registered format: the last resort when neither topic nor content tells. */
  readonly registeredFormat?: PayloadFormat
  /** What the device meters (registered, else implied by its kind): the unit of a bare register. */
  readonly meterType?: MeterType
  readonly topic: string
  /** Broker receive time, ms since epoch: the base for SenML relative times and the fallback timestamp. */
  readonly receivedAt: number
  /** How far in the future (ms) a timestamp may lie before it is rejected as clock skew. */
  readonly maxFutureSkewMs: number
}

/** Why (part of) a payload was refused; `attribute` names the attribute when one is at fault. */
export interface Rejection {
  readonly code: ErrorCode
  readonly message: string
  readonly attribute?: string
}

/**
 * The outcome of decoding one payload. Valid attributes are kept even when others in the same
 * payload are rejected, so one faulty sensor channel does not hide the others; every rejected
 * attribute is listed with its reason and goes to the dead-letter topic.
 */
export interface DecodeResult {
  readonly format: Exclude<RecordFormat, 'auto'> | 'unknown'
  readonly entityType?: string
  readonly entityId?: string
  readonly readings: CanonicalReading[]
  readonly rejections: Rejection[]
}
