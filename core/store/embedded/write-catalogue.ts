import type { Statement } from 'better-sqlite3'
import type { Point } from '../store.js'
import type { SqliteDatabase } from './database.js'
import { fieldType, type FieldType } from './point-shape.js'

interface FieldRef {
  readonly id: number
  readonly type: FieldType
}

/** Entries kept in memory before the caches start over; a city has far fewer series than this. */
const maxCachedSeries = 1_000_000

/**
 * Series ids and field types for writes, remembered in memory because every point needs them.
 * Neither ever changes once stored, so a cached entry stays true even when another connection
 * writes to the same file; a miss asks the database before creating anything. Call only inside
 * a write transaction, and `forget` after a rollback, which may have undone new entries.
 */
export class WriteCatalogue {
  private readonly fields = new Map<string, Map<string, FieldRef>>()
  private readonly series = new Map<string, Map<string, number>>()
  private cachedSeries = 0
  private readonly findField: Statement<[string, string], { id: number; type: FieldType }>
  private readonly insertField: Statement<[string, string, FieldType]>
  private readonly findSeries: Statement<[string, string], { id: number }>
  private readonly insertSeries: Statement<[string, string]>
  private readonly insertTag: Statement<[number, string, string]>

  constructor(db: SqliteDatabase) {
    this.findField = db.prepare('SELECT id, type FROM field WHERE measurement = ? AND name = ?')
    this.insertField = db.prepare('INSERT INTO field (measurement, name, type) VALUES (?, ?, ?)')
    this.findSeries = db.prepare('SELECT id FROM series WHERE measurement = ? AND tag_set = ?')
    this.insertSeries = db.prepare('INSERT INTO series (measurement, tag_set) VALUES (?, ?)')
    this.insertTag = db.prepare('INSERT INTO series_tag (series_id, key, value) VALUES (?, ?, ?)')
  }

  /**
   * The field ids of the point's fields in their iteration order, registering new fields with the
   * type of their value; or, when a value's type differs from the field's stored type, InfluxDB's
   * reason. A refused point registers nothing, as InfluxDB drops the whole point.
   */
  fieldIds(point: Point): number[] | string {
    let byName = this.fields.get(point.measurement)
    if (byName === undefined) this.fields.set(point.measurement, (byName = new Map<string, FieldRef>()))
    const ids: number[] = []
    let missing: number[] | undefined
    for (const name in point.fields) {
      const type = fieldType(point.fields[name]) as FieldType
      let ref = byName.get(name)
      if (ref === undefined) {
        ref = this.findField.get(point.measurement, name)
        if (ref !== undefined) byName.set(name, ref)
      }
      if (ref === undefined) {
        ;(missing ??= []).push(ids.length)
        ids.push(-1)
        continue
      }
      if (ref.type !== type) {
        return `field type conflict: input field "${name}" on measurement "${point.measurement}" is type ${type}, already exists as type ${ref.type}`
      }
      ids.push(ref.id)
    }
    if (missing !== undefined) this.register(point, byName, ids, missing)
    return ids
  }

  private register(point: Point, byName: Map<string, FieldRef>, ids: number[], missing: readonly number[]): void {
    const names = Object.keys(point.fields)
    for (const index of missing) {
      const name = names[index] as string
      const type = fieldType(point.fields[name]) as FieldType
      const id = Number(this.insertField.run(point.measurement, name, type).lastInsertRowid)
      byName.set(name, { id, type })
      ids[index] = id
    }
  }

  /** The id of the series, creating it (with its tag rows) when it is new. */
  seriesId(measurement: string, tagSet: string): number {
    if (this.cachedSeries >= maxCachedSeries) this.forget()
    let byTags = this.series.get(measurement)
    if (byTags === undefined) this.series.set(measurement, (byTags = new Map<string, number>()))
    let id = byTags.get(tagSet)
    if (id !== undefined) return id
    id = this.findSeries.get(measurement, tagSet)?.id
    if (id === undefined) {
      id = Number(this.insertSeries.run(measurement, tagSet).lastInsertRowid)
      for (const [key, value] of JSON.parse(tagSet) as [string, string][]) this.insertTag.run(id, key, value)
    }
    byTags.set(tagSet, id)
    this.cachedSeries++
    return id
  }

  forget(): void {
    this.fields.clear()
    this.series.clear()
    this.cachedSeries = 0
  }
}
