import { afterEach, describe, expect, test } from 'vitest'
import type { SqliteDatabase } from '../../../../core/store/embedded/database.js'
import { encodeValue, tagSetOf } from '../../../../core/store/embedded/point-shape.js'
import { StoreReader } from '../../../../core/store/embedded/store-reader.js'
import { WriteCatalogue } from '../../../../core/store/embedded/write-catalogue.js'
import type { FieldValue } from '../../../../core/store/store.js'
import { storeFiles } from './store-file.js'

const files = storeFiles()
afterEach(() => files.cleanup())

/** Writes values the way the store does: series and field through the catalogue, one row per value. */
function writer(db: SqliteDatabase) {
  const catalogue = new WriteCatalogue(db)
  const insert = db.prepare('INSERT INTO value (series_id, field_id, time, value) VALUES (?, ?, ?, ?)')
  return (measurement: string, tags: Record<string, string>, field: string, value: FieldValue, time: number) => {
    const [fieldId] = catalogue.fieldIds({ measurement, tags, fields: { [field]: value }, time }) as number[]
    const seriesId = catalogue.seriesId(measurement, tagSetOf(tags))
    insert.run(seriesId, fieldId!, time, encodeValue(value))
    return { seriesId, fieldId: fieldId! }
  }
}

describe('StoreReader', () => {
  test('fields should list a measurement\'s fields by name with their types', () => {
    const db = files.open()
    const write = writer(db)
    write('waste_container', { device: 'bin-1' }, 'temperature_c', 20, 1)
    write('waste_container', { device: 'bin-1' }, 'lid_open', true, 1)
    write('waste_container', { device: 'bin-1' }, 'status', 'ok', 1)
    write('device_health', { device: 'bin-1' }, 'battery_level', 0.9, 1)
    expect(new StoreReader(db).fields('waste_container').map((f) => [f.name, f.type])).toEqual([
      ['lid_open', 'boolean'],
      ['status', 'string'],
      ['temperature_c', 'float'],
    ])
    expect(new StoreReader(db).fields('nothing')).toEqual([])
  })

  test('series should match every tag filter, an empty value asking for series without that tag', () => {
    const db = files.open()
    const write = writer(db)
    write('waste_container', { tenant: 'ghent', device: 'bin-1', fraction: 'paper' }, 'filling_level', 0.1, 1)
    write('waste_container', { tenant: 'ghent', device: 'bin-2' }, 'filling_level', 0.2, 1)
    write('waste_container', { tenant: 'antwerp', device: 'bin-1' }, 'filling_level', 0.3, 1)
    write('device_health', { tenant: 'ghent', device: 'bin-1' }, 'battery_level', 0.9, 1)
    const reader = new StoreReader(db)
    const tags = (filter: Record<string, string>) => reader.series('waste_container', filter).map((s) => JSON.parse(s.tagSet) as string[][])
    expect(tags({ tenant: 'ghent' })).toEqual([
      [['device', 'bin-1'], ['fraction', 'paper'], ['tenant', 'ghent']],
      [['device', 'bin-2'], ['tenant', 'ghent']],
    ])
    expect(tags({ device: 'bin-1', tenant: 'antwerp' })).toEqual([[['device', 'bin-1'], ['tenant', 'antwerp']]])
    expect(tags({ tenant: 'ghent', fraction: '' })).toEqual([[['device', 'bin-2'], ['tenant', 'ghent']]])
    expect(tags({})).toHaveLength(3)
    expect(tags({ tenant: 'bruges' })).toEqual([])
    // The same filter shape again reuses its statement and still binds the new values.
    expect(tags({ tenant: 'antwerp' })).toHaveLength(1)
  })

  test('range should give a field of a series in [from, to), oldest first, at most limit; newest its last value', () => {
    const db = files.open()
    const write = writer(db)
    let ids = { seriesId: 0, fieldId: 0 }
    for (const time of [300, 100, 200, 400]) ids = write('waste_container', { device: 'bin-1' }, 'lid_open', time === 400, time)
    const reader = new StoreReader(db)
    expect(reader.range(ids.seriesId, ids.fieldId, 100, 400, 10)).toEqual([
      [100, 0],
      [200, 0],
      [300, 0],
    ])
    expect(reader.range(ids.seriesId, ids.fieldId, 150, 1000, 2)).toEqual([
      [200, 0],
      [300, 0],
    ])
    expect(reader.range(ids.seriesId, ids.fieldId, 400, 400, 10)).toEqual([])
    expect(reader.newest(ids.seriesId, ids.fieldId)).toEqual([400, 1])
    expect(reader.newest(ids.seriesId, ids.fieldId + 100)).toBeUndefined()
  })
})
