import { describe, expect, test } from 'vitest'
import { normaliseWasteCode } from '../../models/vocabulary.js'

describe('normaliseWasteCode', () => {
  test('should print a List of Waste code as three pairs, keeping the hazardous asterisk', () => {
    expect(normaliseWasteCode('200139')).toBe('20 01 39')
    expect(normaliseWasteCode('20 01 39')).toBe('20 01 39')
    expect(normaliseWasteCode('20 0139')).toBe('20 01 39')
    expect(normaliseWasteCode(' 200133* ')).toBe('20 01 33*')
  })

  test('should refuse anything else', () => {
    for (const text of ['', '20-01-39', '2001390', '20013', '20 01 39 *', '20  01 39', '20 01 39**', 'AB0139', '٢٠٠١٣٩']) {
      expect(normaliseWasteCode(text), text).toBeUndefined()
    }
  })
})
