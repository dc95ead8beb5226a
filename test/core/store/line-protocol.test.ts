import { describe, expect, it } from 'vitest'
import { PlatformError } from '../../../models/errors.js'
import { encodePoint, encodePoints } from '../../../core/store/line-protocol.js'
import type { Point } from '../../../core/store/store.js'

function point(overrides: Partial<Point> = {}): Point {
  return { measurement: 'waste_container', tags: { device: 'bin-1' }, fields: { filling_level: 0.5 }, time: 1_700_000_000_123, ...overrides }
}

function refusal(p: Point): string {
  try {
    encodePoint(p)
  } catch (error) {
    if (PlatformError.is(error, 'POINT_REJECTED')) return error.message
    throw error
  }
  throw new Error('expected the point to be refused')
}

describe('encodePoint', () => {
  it('should write measurement, tags, fields and the time in ms', () => {
    expect(encodePoint(point())).toBe('waste_container,device=bin-1 filling_level=0.5 1700000000123')
  })

  it('should sort tags by key', () => {
    const line = encodePoint(point({ tags: { tenant: 't', device: 'd', site: 's', kind: 'k' } }))
    expect(line).toBe('waste_container,device=d,kind=k,site=s,tenant=t filling_level=0.5 1700000000123')
  })

  it('should skip tags with an empty value', () => {
    expect(encodePoint(point({ tags: { device: 'd', site: '' } }))).toBe('waste_container,device=d filling_level=0.5 1700000000123')
  })

  it('should write every number as a float, never with the integer suffix', () => {
    const line = encodePoint(point({ fields: { a: 1, b: -0, c: 1e21, d: 5e-7, e: -12.25 } }))
    expect(line).toBe('waste_container,device=bin-1 a=1,b=0,c=1e+21,d=5e-7,e=-12.25 1700000000123')
    expect(line).not.toMatch(/\di[ ,]/)
  })

  it('should write booleans and quote strings', () => {
    expect(encodePoint(point({ fields: { lid_open: true, emptied: false, status: 'ok' } }))).toBe(
      'waste_container,device=bin-1 lid_open=true,emptied=false,status="ok" 1700000000123',
    )
  })

  it('should escape commas and spaces in the measurement but leave equals signs', () => {
    expect(encodePoint(point({ measurement: 'my m,x=y', tags: {} }))).toBe('my\\ m\\,x=y filling_level=0.5 1700000000123')
  })

  it('should escape commas, spaces and equals signs in tag keys, tag values and field keys', () => {
    const line = encodePoint(point({ tags: { 'a key,=': 'v a,l=ue' }, fields: { 'f k,=': 1 } }))
    expect(line).toBe('waste_container,a\\ key\\,\\==v\\ a\\,l\\=ue f\\ k\\,\\==1 1700000000123')
  })

  it('should escape double quotes and backslashes in string fields', () => {
    const line = encodePoint(point({ fields: { note: 'say "hi" C:\\dir\\' } }))
    expect(line).toBe('waste_container,device=bin-1 note="say \\"hi\\" C:\\\\dir\\\\" 1700000000123')
  })

  it('should replace line breaks in string fields with a space', () => {
    expect(encodePoint(point({ fields: { note: 'a\nb\r\nc\rd' } }))).toBe('waste_container,device=bin-1 note="a b c d" 1700000000123')
  })

  it('should keep a lone backslash in a name as it is', () => {
    expect(encodePoint(point({ tags: { path: 'a\\b' } }))).toBe('waste_container,path=a\\b filling_level=0.5 1700000000123')
  })

  it('should keep unicode as it is', () => {
    expect(encodePoint(point({ tags: { site: 'Zürich-Ost' }, fields: { note: 'Müll ♻' } }))).toBe(
      'waste_container,site=Zürich-Ost note="Müll ♻" 1700000000123',
    )
  })

  it('should refuse names that line protocol cannot carry, saying why', () => {
    expect(refusal(point({ measurement: '' }))).toMatch(/measurement is empty/)
    expect(refusal(point({ measurement: '#comment' }))).toMatch(/starts with #/)
    expect(refusal(point({ tags: { device: 'a\nb' } }))).toMatch(/value of tag "device" .* line break/)
    expect(refusal(point({ tags: { 'de\rv': 'x' } }))).toMatch(/tag key .* line break/)
    expect(refusal(point({ fields: { 'a\nb': 1 } }))).toMatch(/field key .* line break/)
    expect(refusal(point({ tags: { device: 'ends\\' } }))).toMatch(/backslash/)
    expect(refusal(point({ tags: { device: 'a\\,b' } }))).toMatch(/backslash/)
    expect(refusal(point({ fields: { '': 1 } }))).toMatch(/field key is empty/)
    expect(refusal(point({ tags: { '': 'x' } }))).toMatch(/tag key is empty/)
  })

  it('should refuse values and times that cannot be stored', () => {
    expect(refusal(point({ fields: {} }))).toMatch(/no fields/)
    expect(refusal(point({ fields: { v: Number.NaN } }))).toMatch(/field "v" is NaN/)
    expect(refusal(point({ fields: { v: Number.POSITIVE_INFINITY } }))).toMatch(/Infinity/)
    expect(refusal(point({ fields: { v: null as unknown as number } }))).toMatch(/type null/)
    expect(refusal(point({ fields: { v: {} as unknown as number } }))).toMatch(/type object/)
    expect(refusal(point({ time: 1.5 }))).toMatch(/time 1.5/)
    expect(refusal(point({ time: 1e16 }))).toMatch(/range/)
  })
})

describe('encodePoints', () => {
  it('should keep encodable points in order and return the others with their reason', () => {
    const good1 = point({ time: 1 })
    const bad = point({ fields: { v: Number.NaN } })
    const good2 = point({ time: 2 })
    const { lines, points, refused } = encodePoints([good1, bad, good2])
    expect(lines).toEqual(['waste_container,device=bin-1 filling_level=0.5 1', 'waste_container,device=bin-1 filling_level=0.5 2'])
    expect(points).toEqual([good1, good2])
    expect(refused).toEqual([{ point: bad, reason: 'field "v" is NaN, which line protocol cannot store' }])
  })
})
