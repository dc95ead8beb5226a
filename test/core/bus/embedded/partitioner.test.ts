import { compatibilityPartitioner } from '@platformatic/kafka'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { murmur2, partitionForKey } from '../../../../core/bus/embedded/partitioner.js'

// The Kafka bus's partitioner (Java-compatible murmur2, sign bit cleared), before the modulo.
const kafkaBusHash = (key: string) => compatibilityPartitioner({ topic: 't' }, Buffer.from(key, 'utf8'))

describe('embedded bus partitioner', () => {
  test('murmur2 should equal the Kafka bus partitioner\'s hash for any key, so a key has the same partition on both buses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => {
        expect(murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff).toBe(kafkaBusHash(key))
      }),
      { numRuns: 2000 },
    )
  })

  test('partitionForKey should keep keys in range and spread them over every partition', () => {
    const partitions = Array.from({ length: 300 }, (_, i) => partitionForKey(`device-${i}`, 6))
    expect(partitions.every((p) => Number.isInteger(p) && p >= 0 && p < 6)).toBe(true)
    expect(new Set(partitions).size).toBe(6)
    expect(partitionForKey('bin-0042', 1)).toBe(0)
    // And so the same partition of 3 as the Kafka bus gives them.
    expect(['bin-1', 'meter-7'].map((k) => kafkaBusHash(k) % 3)).toEqual(['bin-1', 'meter-7'].map((k) => partitionForKey(k, 3)))
  })
})
