import { describe, expect, test } from 'vitest'
import { parseJsonOrUndefined } from '../../core/json.js'

describe('parseJsonOrUndefined', () => {
  test('should parse JSON from bytes and from text', () => {
    expect(parseJsonOrUndefined(Buffer.from('{"a":[1,"x"]}'))).toEqual({ a: [1, 'x'] })
    expect(parseJsonOrUndefined('null')).toBeNull()
    expect(parseJsonOrUndefined(Buffer.from('"é"'))).toBe('é')
  })

  test('should answer undefined for what is not JSON', () => {
    for (const text of ['', '{', '{"a":1', 'undefined', '\u0000', "{'a':1}"]) expect(parseJsonOrUndefined(text)).toBeUndefined()
    expect(parseJsonOrUndefined(Buffer.from([0xff, 0xfe]))).toBeUndefined()
  })
})
