import { describe, expect, it } from 'vitest'
import { quoteIdentifier, quoteString, tagConditions, timeLiteral, timeRange, whereClause } from '../../../core/store/influxql.js'

describe('quoteIdentifier', () => {
  it('should double-quote names and escape double quotes, backslashes and newlines', () => {
    expect(quoteIdentifier('waste_container')).toBe('"waste_container"')
    expect(quoteIdentifier('"; DROP DATABASE x')).toBe('"\\"; DROP DATABASE x"')
    expect(quoteIdentifier('a\\b')).toBe('"a\\\\b"')
    expect(quoteIdentifier('a\nb')).toBe('"a\\nb"')
    expect(quoteIdentifier("it's")).toBe('"it\'s"')
  })

  it('should leave regex characters literal inside the quotes', () => {
    expect(quoteIdentifier('/.*/')).toBe('"/.*/"')
  })
})

describe('quoteString', () => {
  it('should single-quote values and escape single quotes, backslashes and newlines', () => {
    expect(quoteString('bin-1')).toBe("'bin-1'")
    expect(quoteString("x' OR 1=1 --")).toBe("'x\\' OR 1=1 --'")
    expect(quoteString("\\'")).toBe("'\\\\\\''")
    expect(quoteString('a\nb')).toBe("'a\\nb'")
    expect(quoteString('"quoted"')).toBe('\'"quoted"\'')
  })

  it('should never leave an unescaped closing quote inside the literal', () => {
    for (const hostile of ["'", "\\'", "\\\\'", "a'b'c", "x' OR 1=1 --", "\\"]) {
      const quoted = quoteString(hostile)
      const inner = quoted.slice(1, -1)
      // Every quote inside is preceded by an odd number of backslashes, i.e. escaped.
      for (const match of inner.matchAll(/(\\*)'/g)) expect((match[1] ?? '').length % 2).toBe(1)
    }
  })
})

describe('time literals', () => {
  it('should write integer milliseconds with the ms unit', () => {
    expect(timeLiteral(1_700_000_000_123)).toBe('1700000000123ms')
    expect(timeLiteral(-5)).toBe('-5ms')
    expect(timeRange(1, 2)).toEqual(['time >= 1ms', 'time < 2ms'])
  })

  it('should refuse anything but a safe integer', () => {
    expect(() => timeLiteral(1.5)).toThrow(RangeError)
    expect(() => timeLiteral(Number.NaN)).toThrow(RangeError)
    expect(() => timeLiteral('1 OR 1=1' as unknown as number)).toThrow(RangeError)
  })
})

describe('conditions', () => {
  it('should compare tags in key order with ::tag and quoted values', () => {
    expect(tagConditions({ tenant: "t'", device: 'd' })).toEqual(['"device"::tag = \'d\'', '"tenant"::tag = \'t\\\'\''])
  })

  it('should join conditions into a WHERE clause, or nothing', () => {
    expect(whereClause(['a', 'b'])).toBe(' WHERE a AND b')
    expect(whereClause([])).toBe('')
  })
})
