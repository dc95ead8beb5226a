import type { Config } from '../config.js'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../logger.js'
import { InfluxHttp } from './influx-http.js'
import { statementSeries } from './influx-results.js'
import { quoteIdentifier, tagConditions, timeRange, whereClause } from './influxql.js'
import { encodePoints } from './line-protocol.js'
import type { FieldValue, Point, PointsQuery, ReadingsQuery, RejectedPoint, SeriesSelector, Store, StoredValue, WriteOutcome } from './store.js'

/** Lines per write request; InfluxDB's guidance is batches of about 5000 points. */
const linesPerRequest = 5000

/** One field of one measurement: the unit every query statement reads. */
interface FieldRef {
  readonly measurement: string
  readonly field: string
}

/**
 * The store on InfluxDB through the v1 HTTP API (`/write` with line protocol, `/query` with
 * InfluxQL). Each query statement reads one field of one measurement, so every value comes with
 * its own time, `limit` counts per field, and tag columns never mix with field values.
 */
export class InfluxStore implements Store {
  private readonly http: InfluxHttp
  private closed = false

  constructor(
    private readonly config: Config['influx'],
    private readonly logger: Logger,
  ) {
    this.http = new InfluxHttp(config)
  }

  async ensureReady(): Promise<void> {
    this.assertOpen()
    try {
      statementSeries(await this.http.query(`CREATE DATABASE ${quoteIdentifier(this.config.database)}`), 1)
    } catch (error) {
      if (!PlatformError.is(error, 'STORE_QUERY_FAILED')) throw error
      // 2.x and 3.x refuse CREATE DATABASE, as does 1.x for a user without admin rights:
      // there the database (bucket) must exist beforehand, and writes will say if it does not.
      this.logger.warn({ err: error, database: this.config.database }, 'could not create the InfluxDB database; it must exist already')
    }
  }

  async write(points: readonly Point[]): Promise<WriteOutcome> {
    this.assertOpen()
    const { lines, points: encoded, refused } = encodePoints(points)
    const rejected: RejectedPoint[] = [...refused]
    for (let start = 0; start < lines.length; start += linesPerRequest) {
      await this.writeRange(lines, encoded, start, Math.min(start + linesPerRequest, lines.length), rejected)
    }
    if (rejected.length > 0) {
      this.logger.warn({ rejected: rejected.length, of: points.length, firstReason: rejected[0]?.reason }, 'InfluxDB refused points')
    }
    return { written: points.length - rejected.length, rejected }
  }

  /**
   * Writes lines [start, end). When InfluxDB refuses some of them it does not say which, so the
   * range is halved until each refused line stands alone. Writing a good line again is harmless:
   * the same series and time overwrite.
   */
  private async writeRange(lines: readonly string[], points: readonly Point[], start: number, end: number, rejected: RejectedPoint[]): Promise<void> {
    const response = await this.writeCreatingDatabase(lines.slice(start, end).join('\n'))
    if (response.kind === 'written') return
    if (end - start === 1) {
      rejected.push({ point: points[start] as Point, reason: refusalReason(response.reason) })
      return
    }
    const middle = (start + end) >>> 1
    await this.writeRange(lines, points, start, middle, rejected)
    await this.writeRange(lines, points, middle, end, rejected)
  }

  private async writeCreatingDatabase(body: string): Promise<{ kind: 'written' } | { kind: 'refused'; reason: string }> {
    let response = await this.http.write(body)
    if (response.kind === 'database-missing') {
      this.logger.info({ database: this.config.database }, 'InfluxDB database missing; creating it')
      await this.ensureReady()
      response = await this.http.write(body)
    }
    if (response.kind === 'database-missing') {
      throw new PlatformError('STORE_REQUEST_REFUSED', `InfluxDB database "${this.config.database}" does not exist and could not be created`, { database: this.config.database })
    }
    return response
  }

  async readings(query: ReadingsQuery): Promise<StoredValue[]> {
    this.assertOpen()
    if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new RangeError(`limit must be a positive integer, got ${query.limit}`)
    if (query.to <= query.from) return []
    const refs = await this.fieldRefs(query.measurements, query.fields)
    const where = whereClause([...tagConditions(query.tags), ...timeRange(query.from, query.to)])
    const statements = refs.map(
      ({ measurement, field }) => `SELECT ${quoteIdentifier(field)}::field FROM ${quoteIdentifier(measurement)}${where} ORDER BY time ASC LIMIT ${query.limit}`,
    )
    const values = await this.runPerField(refs, statements)
    return values.sort((a, b) => a.time - b.time || compareText(a.measurement, b.measurement) || compareText(a.field, b.field))
  }

  async points(query: PointsQuery): Promise<Point[]> {
    this.assertOpen()
    if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new RangeError(`limit must be a positive integer, got ${query.limit}`)
    if (query.to <= query.from) return []
    const where = whereClause([...tagConditions(query.tags), ...timeRange(query.from, query.to)])
    // GROUP BY * returns each series with its tags apart from the field columns.
    const statement = `SELECT * FROM ${quoteIdentifier(query.measurement)}${where} GROUP BY * ORDER BY time ASC LIMIT ${query.limit}`
    const [series = []] = statementSeries(await this.http.query(statement, this.config.database), 1)
    const points: Point[] = []
    for (const s of series) {
      for (const row of s.values) {
        const fields: Record<string, FieldValue> = {}
        s.columns.forEach((column, i) => {
          if (i > 0 && isFieldValue(row[i])) fields[column] = row[i]
        })
        if (typeof row[0] === 'number' && Object.keys(fields).length > 0) points.push({ measurement: query.measurement, tags: s.tags ?? {}, fields, time: row[0] })
      }
    }
    return points
  }

  async latest(selector: SeriesSelector): Promise<StoredValue[]> {
    this.assertOpen()
    const refs = await this.fieldRefs(selector.measurements, [])
    const where = whereClause(tagConditions(selector.tags))
    // One last() per statement: with several selectors in one statement InfluxDB reports time 0.
    const statements = refs.map(({ measurement, field }) => `SELECT last(${quoteIdentifier(field)}::field) FROM ${quoteIdentifier(measurement)}${where}`)
    const values = await this.runPerField(refs, statements)
    return values.sort((a, b) => compareText(a.measurement, b.measurement) || compareText(a.field, b.field))
  }

  async ping(): Promise<boolean> {
    return !this.closed && this.http.ping()
  }

  async close(): Promise<void> {
    this.closed = true
  }

  /** The fields each measurement has (all, or those of `wanted` that exist), from the schema. */
  private async fieldRefs(measurements: readonly string[], wanted: readonly string[]): Promise<FieldRef[]> {
    if (measurements.length === 0) return []
    const statement = `SHOW FIELD KEYS FROM ${measurements.map(quoteIdentifier).join(', ')}`
    const [series = []] = statementSeries(await this.http.query(statement, this.config.database), 1)
    const wantedSet = wanted.length === 0 ? undefined : new Set(wanted)
    const refs: FieldRef[] = []
    const seen = new Set<string>()
    for (const { name, values } of series) {
      for (const [field] of values) {
        if (typeof field !== 'string' || (wantedSet !== undefined && !wantedSet.has(field))) continue
        // A field stored with different types in different shards is listed once per type.
        const key = `${name}\u0000${field}`
        if (seen.has(key)) continue
        seen.add(key)
        refs.push({ measurement: name, field })
      }
    }
    return refs
  }

  /** Runs statement i for refs[i] in one request and collects the non-null values. */
  private async runPerField(refs: readonly FieldRef[], statements: readonly string[]): Promise<StoredValue[]> {
    if (statements.length === 0) return []
    const body = await this.http.query(statements.join(';\n'), this.config.database)
    const values: StoredValue[] = []
    statementSeries(body, statements.length).forEach((seriesList, index) => {
      const { measurement, field } = refs[index] as FieldRef
      for (const series of seriesList) {
        for (const [time, value] of series.values) {
          if (typeof time !== 'number' || !isFieldValue(value)) continue
          values.push({ measurement, field, value, time })
        }
      }
    })
    return values
  }

  private assertOpen(): void {
    if (this.closed) throw new PlatformError('SHUTTING_DOWN', 'the store is closed')
  }
}

function isFieldValue(value: unknown): value is FieldValue {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
}

/** Code-unit order, the same in every locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** `partial write: <reason> dropped=1` → `<reason>`: the reason of the one point that is left. */
function refusalReason(reason: string): string {
  return reason.replace(/^partial write:\s*/, '').replace(/\s+dropped=\d+$/, '')
}
