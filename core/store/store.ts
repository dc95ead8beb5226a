/**
 * The time-series store as the processors and the API see it. The InfluxDB implementation speaks
 * the v1 HTTP API; an embedded implementation can stand in without changing any caller.
 */

export type FieldValue = number | string | boolean

/** One point: a series (measurement + tags) with field values at one instant. */
export interface Point {
  readonly measurement: string
  readonly tags: Readonly<Record<string, string>>
  readonly fields: Readonly<Record<string, FieldValue>>
  /** Milliseconds since the Unix epoch. Same series and time overwrite, so replays are idempotent. */
  readonly time: number
}

/** A point the store refused for a reason that retrying will not fix (e.g. a field type conflict). */
export interface RejectedPoint {
  readonly point: Point
  readonly reason: string
}

export interface WriteOutcome {
  readonly written: number
  readonly rejected: readonly RejectedPoint[]
}

/** Which series a query reads. Every value is a literal: implementations escape or bind it. */
export interface SeriesSelector {
  readonly measurements: readonly string[]
  /** Tag equality filters, e.g. `{ device: 'bin-1' }`; all must match. */
  readonly tags: Readonly<Record<string, string>>
}

export interface ReadingsQuery extends SeriesSelector {
  /** Inclusive lower bound, ms since epoch. */
  readonly from: number
  /** Exclusive upper bound, ms since epoch. */
  readonly to: number
  /** Only these fields; empty means all. */
  readonly fields: readonly string[]
  readonly limit: number
}

/** One stored value of one field. */
export interface StoredValue {
  readonly measurement: string
  readonly field: string
  readonly value: FieldValue
  readonly time: number
}

/** Whole points of one measurement in a time range, with their tags: how rollups are read back. */
export interface PointsQuery {
  readonly measurement: string
  /** Tag equality filters; all must match. */
  readonly tags: Readonly<Record<string, string>>
  readonly from: number
  readonly to: number
  /** At most this many points per series. */
  readonly limit: number
}

export interface Store {
  /** Creates the database if needed; safe to call repeatedly. */
  ensureReady(): Promise<void>
  /**
   * Writes points durably. Resolves once the store has accepted them; points it refuses for good
   * are returned, not thrown. Throws a retryable error when the store is unreachable or failing.
   */
  write(points: readonly Point[]): Promise<WriteOutcome>
  /** Values in a time range, oldest first, at most `limit` per field. */
  readings(query: ReadingsQuery): Promise<StoredValue[]>
  /** Points with all their tags and fields, oldest first within each series. */
  points(query: PointsQuery): Promise<Point[]>
  /** The newest value of every field of the selected series. */
  latest(selector: SeriesSelector): Promise<StoredValue[]>
  /** Whether the store answers right now. */
  ping(): Promise<boolean>
  close(): Promise<void>
}
