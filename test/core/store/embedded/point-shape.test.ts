import { describe, expect, test } from 'vitest'
import { decodeValue, encodeValue, fieldType, pointProblem, tagSetOf, tagsOf } from '../../../../core/store/embedded/point-shape.js'
import type { Point } from '../../../../core/store/store.js'

const point = (overrides: Partial<Point> = {}): Point => ({ measurement: 'waste_container', tags: { device: 'bin-1' }, fields: { filling_level: 0.5 }, time: 1_741_080_000_000, ...overrides })

describe('pointProblem', () => {
  test('should accept any text as names and values, and times before 1970', () => {
    expect(pointProblem(point())).toBeUndefined()
    expect(pointProblem(point({ measurement: 'a "b", c=d\n', tags: { 'k e y': ' \u0000' }, fields: { 'f\\': 'x' } }))).toBeUndefined()
    expect(pointProblem(point({ tags: {}, time: -86_400_000 }))).toBeUndefined()
  })

  test('should say what makes a point meaningless, in the order measurement, tags, fields, time', () => {
    expect(pointProblem(point({ measurement: '', fields: {} }))).toBe('measurement is empty')
    expect(pointProblem(point({ tags: { '': 'x' }, fields: {} }))).toBe('tag key is empty')
    expect(pointProblem(point({ tags: { site: 7 as unknown as string } }))).toBe('value of tag "site" is not a string')
    expect(pointProblem(point({ fields: { '': 1 } }))).toBe('field key is empty')
    expect(pointProblem(point({ fields: { v: Number.NaN } }))).toBe('field "v" has a value that is not a finite number, a string or a boolean')
    expect(pointProblem(point({ fields: { v: Number.POSITIVE_INFINITY } }))).toBe('field "v" has a value that is not a finite number, a string or a boolean')
    expect(pointProblem(point({ fields: { v: null as unknown as number } }))).toBe('field "v" has a value that is not a finite number, a string or a boolean')
    expect(pointProblem(point({ fields: {}, time: 0.5 }))).toBe('the point has no fields')
    expect(pointProblem(point({ time: 1.5 }))).toBe('time 1.5 is not an integer number of milliseconds')
    expect(pointProblem(point({ time: 2 ** 53 }))).toBe('time 9007199254740992 is not an integer number of milliseconds')
  })
})

describe('fieldType', () => {
  test('should name the stored type as InfluxDB does', () => {
    expect([0.5, -3, 'x', '', true, false].map((v) => fieldType(v))).toEqual(['float', 'float', 'string', 'string', 'boolean', 'boolean'])
    expect(fieldType(undefined)).toBeUndefined()
    expect(fieldType(Number.NaN)).toBeUndefined()
  })
})

describe('tag sets', () => {
  test('a tag set should not depend on the tag order and leave empty values out', () => {
    const a = tagSetOf({ site: 'depot', device: 'bin-1', tenant: 'ghent' })
    expect(a).toBe(tagSetOf({ tenant: 'ghent', device: 'bin-1', site: 'depot' }))
    expect(a).toBe(JSON.stringify([['device', 'bin-1'], ['site', 'depot'], ['tenant', 'ghent']]))
    expect(tagSetOf({ device: 'bin-1', fraction: '' })).toBe(tagSetOf({ device: 'bin-1' }))
    expect(tagSetOf({})).toBe('[]')
  })

  test('tagsOf should give back the tags of a tag set, without the empty ones', () => {
    expect(tagsOf(tagSetOf({ site: 'depot', device: 'bin "1"', fraction: '' }))).toEqual({ device: 'bin "1"', site: 'depot' })
    expect(tagsOf('[]')).toEqual({})
  })
})

describe('stored values', () => {
  test('booleans should be stored as 1 and 0 and read back by the field type', () => {
    expect([true, false, 2.5, 'on'].map(encodeValue)).toEqual([1, 0, 2.5, 'on'])
    expect(decodeValue(1, 'boolean')).toBe(true)
    expect(decodeValue(0, 'boolean')).toBe(false)
    expect(decodeValue(2.5, 'float')).toBe(2.5)
    // A whole float comes back from SQLite as an integer; it is still a number.
    expect(decodeValue(3, 'float')).toBe(3)
    expect(decodeValue('1.50', 'string')).toBe('1.50')
  })
})
