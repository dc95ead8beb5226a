import { describe, expect, test } from 'vitest'
import { maxItemsPerPayload, tooManyItems } from '../../models/limits.js'

describe('tooManyItems', () => {
  test('should accept up to the maximum and refuse one more as PAYLOAD_TOO_LARGE, naming the items', () => {
    expect(maxItemsPerPayload).toBe(10_000)
    expect(tooManyItems(0, 'records')).toBeUndefined()
    expect(tooManyItems(10_000, 'records')).toBeUndefined()
    expect(tooManyItems(10_001, 'SenML records')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'the payload holds 10001 SenML records; at most 10000 are accepted per message' })
  })
})
