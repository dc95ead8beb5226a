import type { Statement } from 'better-sqlite3'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../logger.js'
import { openStoreDatabase, type SqliteDatabase, type SyncLevel } from './embedded/database.js'
import { decodeValue, encodeValue, pointProblem, tagSetOf, tagsOf } from './embedded/point-shape.js'
import { storeFailure } from './embedded/sqlite-errors.js'
import { StoreReader, type FieldRow, type TimedRow } from './embedded/store-reader.js'
import { WriteCatalogue } from './embedded/write-catalogue.js'
import type { FieldValue, Point, PointsQuery, ReadingsQuery, RejectedPoint, SeriesSelector, Store, StoredValue, WriteOutcome } from './store.js'

export interface SqliteStoreOptions {
  /** The database file; its directory is created when missing. */
  readonly path: string
  /** See `SyncLevel`; `full` unless a lost last commit on power failure is acceptable. */
  readonly synchronous?: SyncLevel
  /** How long to wait for another connection's write lock before failing retryably. */
  readonly busyTimeoutMs?: number
}

interface OpenStore {
  readonly db: SqliteDatabase
  readonly catalogue: WriteCatalogue
  readonly reader: StoreReader
  readonly upsertValue: Statement<[number, number, number, number | string]>
}

/**
 * The store in one SQLite file (better-sqlite3, WAL), for a platform without InfluxDB. It keeps
 * InfluxDB's rules as callers see them: a series is a measurement and its tag set; a point
 * written again at the same series and time overwrites the fields it carries and keeps the
 * others; a field keeps the type it was first stored with, and a point that disagrees is refused
 * alone. Calls run synchronously on the caller's thread; `write` resolves after the commit.
 */
export class SqliteStore implements Store {
  private open: OpenStore | undefined
  private closed = false

  constructor(
    private readonly options: SqliteStoreOptions,
    private readonly logger: Logger,
  ) {}

  async ensureReady(): Promise<void> {
    this.store()
  }

  async write(points: readonly Point[]): Promise<WriteOutcome> {
    const store = this.store()
    const rejected: RejectedPoint[] = []
    const writeAll = store.db.transaction(() => {
      for (const point of points) {
        const reason = writePoint(store, point)
        if (reason !== undefined) rejected.push({ point, reason })
      }
    })
    try {
      writeAll.immediate()
    } catch (error) {
      store.catalogue.forget()
      throw storeFailure(error, 'write')
    }
    if (rejected.length > 0) {
      this.logger.warn({ rejected: rejected.length, of: points.length, firstReason: rejected[0]?.reason }, 'the embedded store refused points')
    }
    return { written: points.length - rejected.length, rejected }
  }

  async readings(query: ReadingsQuery): Promise<StoredValue[]> {
    const { reader } = this.store()
    assertLimit(query.limit)
    if (query.to <= query.from) return []
    const wanted = query.fields.length === 0 ? undefined : new Set(query.fields)
    const values: StoredValue[] = []
    this.reading(() => {
      for (const measurement of new Set(query.measurements)) {
        const fields = reader.fields(measurement).filter((f) => wanted === undefined || wanted.has(f.name))
        if (fields.length === 0) continue
        const series = reader.series(measurement, query.tags)
        for (const field of fields) {
          // `limit` counts per field across all selected series, as one InfluxQL statement does.
          const rows = series.flatMap((s) => reader.range(s.id, field.id, query.from, query.to, query.limit))
          if (series.length > 1) rows.sort(byTime)
          for (const [time, value] of rows.slice(0, query.limit)) values.push({ measurement, field: field.name, value: decodeValue(value, field.type), time })
        }
      }
    })
    return values.sort((a, b) => a.time - b.time || compareText(a.measurement, b.measurement) || compareText(a.field, b.field))
  }

  async points(query: PointsQuery): Promise<Point[]> {
    const { reader } = this.store()
    assertLimit(query.limit)
    if (query.to <= query.from) return []
    const points: Point[] = []
    this.reading(() => {
      const fields = reader.fields(query.measurement)
      for (const series of reader.series(query.measurement, query.tags)) {
        const tags = tagsOf(series.tagSet)
        for (const [time, values] of seriesPoints(reader, series.id, fields, query)) points.push({ measurement: query.measurement, tags, fields: values, time })
      }
    })
    return points
  }

  async latest(selector: SeriesSelector): Promise<StoredValue[]> {
    const { reader } = this.store()
    const values: StoredValue[] = []
    this.reading(() => {
      for (const measurement of new Set(selector.measurements)) {
        const fields = reader.fields(measurement)
        if (fields.length === 0) continue
        const series = reader.series(measurement, selector.tags)
        for (const field of fields) {
          let newest: TimedRow | undefined
          for (const s of series) {
            const row = reader.newest(s.id, field.id)
            if (row !== undefined && (newest === undefined || row[0] > newest[0])) newest = row
          }
          if (newest !== undefined) values.push({ measurement, field: field.name, value: decodeValue(newest[1], field.type), time: newest[0] })
        }
      }
    })
    return values.sort((a, b) => compareText(a.measurement, b.measurement) || compareText(a.field, b.field))
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false
    try {
      this.store().db.prepare('SELECT 1').get()
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const open = this.open
    this.open = undefined
    open?.db.close()
  }

  /** The open database, opened and given its tables on first use. */
  private store(): OpenStore {
    if (this.closed) throw new PlatformError('SHUTTING_DOWN', 'the store is closed')
    if (this.open !== undefined) return this.open
    let db: SqliteDatabase
    try {
      db = openStoreDatabase(this.options.path, this.options.synchronous ?? 'full', this.options.busyTimeoutMs ?? 5000)
    } catch (error) {
      throw storeFailure(error, 'open')
    }
    this.open = {
      db,
      catalogue: new WriteCatalogue(db),
      reader: new StoreReader(db),
      upsertValue: db.prepare('INSERT INTO value (series_id, field_id, time, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
    }
    this.logger.debug({ path: this.options.path }, 'embedded store open')
    return this.open
  }

  /** Runs the statements of one query in one read transaction, so they see one snapshot. */
  private reading(work: () => void): void {
    const { db } = this.store()
    try {
      db.transaction(work).deferred()
    } catch (error) {
      throw storeFailure(error, 'query')
    }
  }
}

/** Stores one point inside the write transaction, or says why it cannot. */
function writePoint(store: OpenStore, point: Point): string | undefined {
  const problem = pointProblem(point)
  if (problem !== undefined) return problem
  const fieldIds = store.catalogue.fieldIds(point)
  if (typeof fieldIds === 'string') return fieldIds
  const seriesId = store.catalogue.seriesId(point.measurement, tagSetOf(point.tags))
  let index = 0
  for (const name in point.fields) {
    store.upsertValue.run(seriesId, fieldIds[index++] as number, point.time, encodeValue(point.fields[name] as FieldValue))
  }
  return undefined
}

/**
 * The series' first `limit` points in the range, oldest first, fields merged by time. Any of
 * those points' values lies within the first `limit` values of its field, so reading that many
 * per field is enough.
 */
function seriesPoints(reader: StoreReader, seriesId: number, fields: readonly FieldRow[], query: PointsQuery): [number, Record<string, FieldValue>][] {
  const byTime = new Map<number, Record<string, FieldValue>>()
  for (const field of fields) {
    for (const [time, value] of reader.range(seriesId, field.id, query.from, query.to, query.limit)) {
      let values = byTime.get(time)
      if (values === undefined) byTime.set(time, (values = {}))
      values[field.name] = decodeValue(value, field.type)
    }
  }
  return [...byTime].sort((a, b) => a[0] - b[0]).slice(0, query.limit)
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`)
}

function byTime(a: TimedRow, b: TimedRow): number {
  return a[0] - b[0]
}

/** Code-unit order, the same in every locale (and the same as the InfluxDB store's). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
