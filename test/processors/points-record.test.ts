import { describe, expect, test } from 'vitest'
import type { Point } from '../../core/store/store.js'
import { encodePointsRecord, encodePointsRecords, pointsRecord } from '../../processors/points-record.js'

const point: Point = { measurement: 'container_rollup', tags: { device: 'bin-1', interval: 'hour' }, fields: { fill_sum: 0.9, low_fill: true, fraction: 'paper' }, time: Date.parse('2026-11-02T08:00:00Z') }

describe('points records', () => {
  test('an encoded record should read back as the same points', () => {
    expect(pointsRecord.parse(JSON.parse(encodePointsRecord([point, { ...point, time: point.time + 1 }]).toString('utf8')))).toEqual({ schema: 'circular.points/v1', points: [point, { ...point, time: point.time + 1 }] })
  })

  test('times should be encoded as whole milliseconds, which the record requires', () => {
    const encoded = pointsRecord.parse(JSON.parse(encodePointsRecord([{ ...point, time: point.time + 0.6 }]).toString('utf8')))
    expect(encoded.points[0]!.time).toBe(point.time + 1)
  })

  test.each([
    ['another schema', { schema: 'circular.readings/v1', points: [point] }],
    ['a measurement that is no identifier', { schema: 'circular.points/v1', points: [{ ...point, measurement: 'Container Rollup' }] }],
    ['a time with a fraction', { schema: 'circular.points/v1', points: [{ ...point, time: 1.5 }] }],
    ['a tag that is not text', { schema: 'circular.points/v1', points: [{ ...point, tags: { device: 7 } }] }],
    ['a field that is an object', { schema: 'circular.points/v1', points: [{ ...point, fields: { fill_sum: { v: 1 } } }] }],
  ])('a record with %s should be refused', (_what, record) => {
    expect(pointsRecord.safeParse(record).success).toBe(false)
  })

  test('a field that is not finite should be refused: JSON has no infinity, and the store no place for it', () => {
    // What JSON.stringify makes of them: null, which is no field value either.
    expect(pointsRecord.safeParse(JSON.parse(encodePointsRecord([{ ...point, fields: { fill_sum: Number.NaN } }]).toString('utf8'))).success).toBe(false)
    expect(pointsRecord.safeParse({ schema: 'circular.points/v1', points: [{ ...point, fields: { fill_sum: Number.POSITIVE_INFINITY } }] }).success).toBe(false)
  })
})

describe('points records within a size', () => {
  const points = Array.from({ length: 500 }, (_, i): Point => ({ ...point, time: point.time + i * 3_600_000 }))
  const decode = (value: Buffer) => pointsRecord.parse(JSON.parse(value.toString('utf8'))).points

  test('points that fit should be one record, the same bytes as encodePointsRecord', () => {
    const records = encodePointsRecords(points, 1_000_000)
    expect(records).toHaveLength(1)
    expect(records[0]!.equals(encodePointsRecord(points))).toBe(true)
  })

  test('more points than fit should be split in order over records that each fit', () => {
    const whole = encodePointsRecord(points).length
    const records = encodePointsRecords(points, 10_000)
    expect(records.length).toBeGreaterThanOrEqual(Math.ceil(whole / 10_000))
    for (const r of records) expect(r.length).toBeLessThanOrEqual(10_000)
    expect(records.flatMap(decode)).toEqual(points)
  })

  test('a point larger than the size should travel alone, and no points should give no record', () => {
    const large = { ...point, fields: { ...point.fields, note: 'x'.repeat(5_000) } }
    const records = encodePointsRecords([point, large, point], 2_000)
    expect(records.map(decode)).toEqual([[point], [large], [point]])
    expect(encodePointsRecords([], 2_000)).toEqual([])
  })
})
