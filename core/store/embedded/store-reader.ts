import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from './database.js'
import type { FieldType } from './point-shape.js'

export interface SeriesRow {
  readonly id: number
  readonly tagSet: string
}

export interface FieldRow {
  readonly id: number
  readonly name: string
  readonly type: FieldType
}

/** A stored value as SQLite returns it: `[time, value]`, the value still encoded. */
export type TimedRow = [time: number, value: unknown]

/**
 * The few statements every query is made of, each answered from an index: the fields of a
 * measurement, the series matching tag filters, and one field of one series over a time range
 * or at its newest. Every name and value is a bound parameter.
 */
export class StoreReader {
  private readonly fieldsOf: Statement<[string], FieldRow>
  private readonly rangeOf: Statement<[number, number, number, number, number], TimedRow>
  private readonly newestOf: Statement<[number, number], TimedRow>
  /** Series statements by filter shape (how many tags must equal, how many must be absent). */
  private readonly seriesStatements = new Map<string, Statement<(string | number)[], SeriesRow>>()

  constructor(private readonly db: SqliteDatabase) {
    this.fieldsOf = db.prepare('SELECT id, name, type FROM field WHERE measurement = ? ORDER BY name')
    this.rangeOf = db
      .prepare<[number, number, number, number, number], TimedRow>('SELECT time, value FROM value WHERE series_id = ? AND field_id = ? AND time >= ? AND time < ? ORDER BY time LIMIT ?')
      .raw(true)
    this.newestOf = db.prepare<[number, number], TimedRow>('SELECT time, value FROM value WHERE series_id = ? AND field_id = ? ORDER BY time DESC LIMIT 1').raw(true)
  }

  fields(measurement: string): FieldRow[] {
    return this.fieldsOf.all(measurement)
  }

  /**
   * Series of the measurement whose tags equal every filter, in tag-set order. A filter with an
   * empty value asks for series without that tag, which is what InfluxDB's `tag = ''` matches.
   */
  series(measurement: string, tags: Readonly<Record<string, string>>): SeriesRow[] {
    const equal: string[] = []
    const absent: string[] = []
    for (const key of Object.keys(tags).sort()) {
      const value = tags[key] ?? ''
      if (value === '') absent.push(key)
      else equal.push(key, value)
    }
    return this.seriesStatement(equal.length / 2, absent.length).all(measurement, ...equal, ...absent)
  }

  /** Values of one field of one series in [from, to), oldest first, at most `limit`. */
  range(seriesId: number, fieldId: number, from: number, to: number, limit: number): TimedRow[] {
    return this.rangeOf.all(seriesId, fieldId, from, to, limit)
  }

  newest(seriesId: number, fieldId: number): TimedRow | undefined {
    return this.newestOf.get(seriesId, fieldId)
  }

  private seriesStatement(equalCount: number, absentCount: number): Statement<(string | number)[], SeriesRow> {
    const shape = `${equalCount}/${absentCount}`
    let statement = this.seriesStatements.get(shape)
    if (statement === undefined) {
      const conditions = ['s.measurement = ?']
      for (let i = 0; i < equalCount; i++) conditions.push('s.id IN (SELECT series_id FROM series_tag WHERE key = ? AND value = ?)')
      for (let i = 0; i < absentCount; i++) conditions.push('NOT EXISTS (SELECT 1 FROM series_tag t WHERE t.series_id = s.id AND t.key = ?)')
      statement = this.db.prepare(`SELECT s.id AS id, s.tag_set AS tagSet FROM series s WHERE ${conditions.join(' AND ')} ORDER BY s.tag_set`)
      this.seriesStatements.set(shape, statement)
    }
    return statement
  }
}
