import { afterEach, describe, expect, test } from 'vitest'
import { tagSetOf } from '../../../../core/store/embedded/point-shape.js'
import { WriteCatalogue } from '../../../../core/store/embedded/write-catalogue.js'
import type { Point } from '../../../../core/store/store.js'
import { storeFiles } from './store-file.js'

const files = storeFiles()
afterEach(() => files.cleanup())

const point = (fields: Point['fields'], measurement = 'waste_container'): Point => ({ measurement, tags: { device: 'bin-1' }, fields, time: 0 })

describe('WriteCatalogue fields', () => {
  test('should register new fields with the type of their value and give their ids in the point\'s field order', () => {
    const db = files.open()
    const catalogue = new WriteCatalogue(db)
    const ids = catalogue.fieldIds(point({ filling_level: 0.5, status: 'ok', lid_open: false }))
    expect(ids).toHaveLength(3)
    const stored = db.prepare<[], { id: number; name: string; type: string }>('SELECT id, name, type FROM field').all()
    const byName = new Map(stored.map((f) => [f.name, f]))
    expect(ids).toEqual([byName.get('filling_level')?.id, byName.get('status')?.id, byName.get('lid_open')?.id])
    expect(stored.map((f) => [f.name, f.type]).sort()).toEqual([
      ['filling_level', 'float'],
      ['lid_open', 'boolean'],
      ['status', 'string'],
    ])
    // Known fields keep their ids; the same name in another measurement is another field.
    expect(catalogue.fieldIds(point({ lid_open: true, filling_level: 0.7 }))).toEqual([ids[2], ids[0]])
    expect(catalogue.fieldIds(point({ filling_level: 1 }, 'other'))[0]).not.toBe(ids[0])
  })

  test('a value of another type than the field\'s should be refused with InfluxDB\'s reason, registering none of the point\'s new fields', () => {
    const db = files.open()
    const catalogue = new WriteCatalogue(db)
    catalogue.fieldIds(point({ temperature_c: 21.5 }))
    expect(catalogue.fieldIds(point({ cargo_weight_kg: 12, temperature_c: 'hot' }))).toBe(
      'field type conflict: input field "temperature_c" on measurement "waste_container" is type string, already exists as type float',
    )
    expect(db.prepare('SELECT name FROM field').pluck().all()).toEqual(['temperature_c'])
  })

  test('a field another connection stored should be found in the file, with its type, rather than created again', () => {
    const db = files.open('shared.sqlite')
    const other = new WriteCatalogue(files.open('shared.sqlite', 5000))
    const [theirs] = other.fieldIds(point({ status: 'ok' })) as number[]
    const mine = new WriteCatalogue(db)
    expect(mine.fieldIds(point({ status: 'full' }))).toEqual([theirs])
    expect(mine.fieldIds(point({ status: true }))).toMatch(/already exists as type string$/)
  })
})

describe('WriteCatalogue series', () => {
  test('should create a series once, with a row per tag, and find one another connection created', () => {
    const db = files.open('shared.sqlite')
    const catalogue = new WriteCatalogue(db)
    const tagSet = tagSetOf({ device: 'bin-1', site: 'depot' })
    const id = catalogue.seriesId('waste_container', tagSet)
    expect(catalogue.seriesId('waste_container', tagSet)).toBe(id)
    expect(catalogue.seriesId('device_health', tagSet)).not.toBe(id)
    expect(db.prepare('SELECT key, value FROM series_tag WHERE series_id = ? ORDER BY key').all(id)).toEqual([
      { key: 'device', value: 'bin-1' },
      { key: 'site', value: 'depot' },
    ])
    const other = new WriteCatalogue(files.open('shared.sqlite', 5000))
    expect(other.seriesId('waste_container', tagSet)).toBe(id)
    expect(db.prepare('SELECT count(*) FROM series').pluck().get()).toBe(2)
  })

  test('forget should drop entries a rolled-back transaction undid, so the next write creates them again', () => {
    const db = files.open()
    const catalogue = new WriteCatalogue(db)
    const tagSet = tagSetOf({ device: 'bin-9' })
    let undone = 0
    try {
      db.transaction(() => {
        undone = catalogue.seriesId('waste_container', tagSet)
        catalogue.fieldIds(point({ filling_level: 0.1 }))
        throw new Error('the write failed')
      })()
    } catch {
      catalogue.forget()
    }
    expect(db.prepare('SELECT count(*) FROM series').pluck().get()).toBe(0)
    const id = catalogue.seriesId('waste_container', tagSet)
    expect(db.prepare('SELECT id FROM series WHERE tag_set = ?').pluck().get(tagSet)).toBe(id)
    expect(undone).toBeGreaterThan(0)
    const [field] = catalogue.fieldIds(point({ filling_level: 0.2 })) as number[]
    expect(db.prepare('SELECT id FROM field WHERE name = ?').pluck().get('filling_level')).toBe(field)
  })
})
