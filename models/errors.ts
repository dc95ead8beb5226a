/**
 * One catalogue of the platform's error codes. Every error that crosses a module boundary is a
 * `PlatformError` with a code from this table, so callers ask `canRetry` instead of parsing
 * messages, and the dead-letter topic and the API report the same codes.
 */
export const errorCatalogue = {
  CONFIG_INVALID: { canRetry: false, summary: 'configuration is invalid' },
  REGISTRY_INVALID: { canRetry: false, summary: 'the device registry file is invalid' },
  FILE_LOCKED: { canRetry: true, summary: 'a shared file (registry, keys, rules, tenants) is being changed by another process' },
  DEVICE_EXISTS: { canRetry: false, summary: 'a device with this id already exists' },
  DEVICE_UNKNOWN: { canRetry: false, summary: 'no device with this id is registered' },
  API_KEY_TAKEN: { canRetry: false, summary: "the IoT Agent API key is another tenant's or a protocol prefix of the topic scheme: every API key belongs to one tenant" },
  PAYLOAD_MALFORMED: { canRetry: false, summary: 'the payload cannot be parsed' },
  PAYLOAD_TOO_LARGE: { canRetry: false, summary: 'the payload exceeds the size limit' },
  FORMAT_UNKNOWN: { canRetry: false, summary: 'the payload format cannot be determined' },
  FORMAT_UNSUPPORTED: { canRetry: false, summary: 'the payload format is not supported' },
  ENTITY_TYPE_UNKNOWN: { canRetry: false, summary: 'the entity type is not a known data model' },
  ENTITY_INVALID: { canRetry: false, summary: 'the entity does not match its data model' },
  ATTRIBUTE_UNKNOWN: { canRetry: false, summary: 'the attribute is not part of the data model' },
  UNIT_UNKNOWN: { canRetry: false, summary: 'the unit code is not known' },
  UNIT_MISMATCH: { canRetry: false, summary: 'the unit measures another quantity than the attribute' },
  VALUE_OUT_OF_RANGE: { canRetry: false, summary: 'the value is outside the range of the attribute' },
  VALUE_INVALID: { canRetry: false, summary: 'the value has the wrong type or is not finite' },
  TIME_INVALID: { canRetry: false, summary: 'the timestamp is invalid or too far in the future' },
  SENML_INVALID: { canRetry: false, summary: 'the SenML pack breaks RFC 8428' },
  DEVICE_MISMATCH: { canRetry: false, summary: 'the payload names another device than the one that sent it' },
  DECODER_FAILED: { canRetry: false, summary: 'decoding failed unexpectedly' },
  RECORD_INVALID: { canRetry: false, summary: 'a pipeline record lacks required headers or structure' },
  RECORD_TOO_LARGE: { canRetry: false, summary: 'a record exceeds the largest record the bus takes' },
  READING_TOO_LATE: { canRetry: false, summary: 'the reading arrived after its rollup window closed' },
  POINT_REJECTED: { canRetry: false, summary: 'the store refused the point' },
  ALERT_RULES_INVALID: { canRetry: false, summary: 'the alert rules file is invalid' },
  ALERT_UNKNOWN: { canRetry: false, summary: 'no alert with this id exists' },
  DELIVERY_FAILED: { canRetry: false, summary: 'an alert could not be delivered within the retry budget' },
  DELIVERY_TARGET_REFUSED: { canRetry: false, summary: 'the delivery target is not allowed: not http(s), credentials in the URL, or an internal address' },
  ALERT_NOT_OPEN: { canRetry: false, summary: 'the alert is resolved and cannot be acknowledged' },
  KAFKA_UNAVAILABLE: { canRetry: true, summary: 'Kafka did not acknowledge in time' },
  BUS_LOCKED: { canRetry: false, summary: 'another live process holds the embedded bus file' },
  BUS_TOPIC_UNKNOWN: { canRetry: false, summary: 'the topic does not exist on the bus' },
  BUS_COMMIT_REFUSED: { canRetry: true, summary: "the bus did not commit a handled batch (its partition moved to another consumer, or Kafka refused): the batch's outputs were discarded and it comes again" },
  BUS_FENCED: { canRetry: true, summary: 'a newer writer for the same work was opened (its partition went to another instance): nothing was written, and the new owner carries the work on' },
  BUS_STORAGE_FAILED: { canRetry: true, summary: 'the embedded bus could not read or write its file' },
  STORE_UNAVAILABLE: { canRetry: true, summary: 'the time-series store is unreachable or failing' },
  STORE_QUERY_FAILED: { canRetry: false, summary: 'the time-series store refused the query' },
  STORE_AUTH_FAILED: { canRetry: false, summary: 'the time-series store refused the credentials' },
  STORE_REQUEST_REFUSED: { canRetry: false, summary: 'the time-series store refused the request' },
  INVALID_PARAMETER: { canRetry: false, summary: 'a request parameter is invalid' },
  REQUEST_INVALID: { canRetry: false, summary: 'the request is malformed' },
  ROUTE_UNKNOWN: { canRetry: false, summary: 'no such endpoint' },
  AUTH_REQUIRED: { canRetry: false, summary: 'this endpoint needs an API key or a bearer token' },
  AUTH_INVALID: { canRetry: false, summary: 'the credentials are invalid, expired or revoked' },
  ROLE_FORBIDDEN: { canRetry: false, summary: 'the role of these credentials does not allow this' },
  TENANT_FORBIDDEN: { canRetry: false, summary: 'these credentials do not give access to this tenant' },
  RATE_LIMITED: { canRetry: true, summary: 'too many requests; slow down' },
  KEY_UNKNOWN: { canRetry: false, summary: 'no API key with this id exists' },
  TENANT_LIMIT_REACHED: { canRetry: false, summary: 'the tenant has reached one of its limits' },
  TENANTS_INVALID: { canRetry: false, summary: 'the tenants file is invalid' },
  KEYS_INVALID: { canRetry: false, summary: 'the API keys file is invalid' },
  METRIC_NOT_PUBLIC: { canRetry: false, summary: 'the tenant does not publish this metric as open data' },
  INTERNAL: { canRetry: false, summary: 'an unexpected error occurred' },
  SHUTTING_DOWN: { canRetry: true, summary: 'the component is shutting down' },
} as const satisfies Record<string, { canRetry: boolean; summary: string }>

export type ErrorCode = keyof typeof errorCatalogue

export class PlatformError extends Error {
  readonly code: ErrorCode
  readonly canRetry: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PlatformError'
    this.code = code
    this.canRetry = errorCatalogue[code].canRetry
    this.details = Object.freeze({ ...details })
  }

  static is(error: unknown, code?: ErrorCode): error is PlatformError {
    return error instanceof PlatformError && (code === undefined || error.code === code)
  }
}

/** Whether an arbitrary thrown value is worth retrying; unknown errors count as transient. */
export function isRetryable(error: unknown): boolean {
  return error instanceof PlatformError ? error.canRetry : true
}
