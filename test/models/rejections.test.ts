import { describe, expect, test } from 'vitest'
import { describeValue, reject } from '../../models/rejections.js'

describe('reject', () => {
  test('should leave the attribute out, not undefined, when none is at fault', () => {
    const whole = reject('PAYLOAD_MALFORMED', 'the payload is empty')
    expect(Object.keys(whole)).toEqual(['code', 'message'])
    expect(reject('VALUE_INVALID', 'bad', 'fillingLevel')).toEqual({ code: 'VALUE_INVALID', message: 'bad', attribute: 'fillingLevel' })
  })
})

describe('describeValue', () => {
  test('should quote text, show JSON for objects and arrays, and plain text for other values', () => {
    expect(describeValue('ok')).toBe('"ok"')
    expect(describeValue('say "hi"')).toBe('"say \\"hi\\""')
    expect(describeValue({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(12.5)).toBe('12.5')
    expect(describeValue(10n)).toBe('10')
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)')
  })

  test('should fall back to the object tag when a value cannot be written as JSON', () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(describeValue(circular)).toBe('[object Object]')
    expect(describeValue([1n])).toBe('[object Array]')
  })

  test('should keep 80 characters and cut anything longer to 77 and an ellipsis', () => {
    const fits = 'a'.repeat(78)
    expect(describeValue(fits)).toBe(`"${fits}"`)
    const long = describeValue('b'.repeat(79))
    expect(long).toBe(`"${'b'.repeat(76)}...`)
    expect(long).toHaveLength(80)
  })
})
