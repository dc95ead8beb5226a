/**
 * One attribute of an observation, ready for any wire format: the data model's attribute name,
 * the value in the model's default unit (so keyValues, IoT Agent JSON and Ultralight, which carry
 * no unit, mean the same), its UN/CEFACT code for NGSI-LD, and its SenML record.
 */
export interface Measure {
  readonly attribute: string
  readonly value: number | string
  /** UN/CEFACT Rec. 20 code of the value's unit; absent for text. */
  readonly unitCode?: string
  readonly senml: SenmlField
}

/** The value part of a SenML record (RFC 8428 §4.2): a value or a sum, in the record's unit. */
export interface SenmlField {
  /** Name when it differs from the attribute, e.g. `battery` for `batteryLevel`. */
  readonly n?: string
  readonly u?: string
  readonly v?: number
  readonly vs?: string
  readonly s?: number
}

/** Where and as what a device reports, besides its measures. */
export interface Envelope {
  readonly deviceId: string
  readonly apiKey: string
  readonly entityType: string
  readonly entityId: string
  /** Observation time, ms since the epoch, whole seconds. */
  readonly time: number
  /** Descriptive attributes for NGSI-LD payloads (location, category…), skipped by the platform. */
  readonly descriptive?: Readonly<Record<string, unknown>>
}

export interface WireMessage {
  readonly topic: string
  readonly payload: string
}

export const number = (attribute: string, value: number, unitCode: string, senml: SenmlField): Measure => ({ attribute, value, unitCode, senml })
export const text = (attribute: string, value: string): Measure => ({ attribute, value, senml: { vs: value } })
