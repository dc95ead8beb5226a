import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { murmur2, partitionForKey } from '../../../../core/bus/embedded/partitioner.js'

// kafkajs's own murmur2, the one its default partitioner uses with Kafka.
const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string) => number

describe('embedded bus partitioner', () => {
  test('murmur2 should equal the kafkajs hash for any key, so a key has the same partition on both buses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => {
        expect(murmur2(Buffer.from(key, 'utf8'))).toBe(kafkajsMurmur2(key))
      }),
      { numRuns: 2000 },
    )
  })

  test('partitionForKey should keep keys in range and spread them over every partition', () => {
    const partitions = Array.from({ length: 300 }, (_, i) => partitionForKey(`device-${i}`, 6))
    expect(partitions.every((p) => Number.isInteger(p) && p >= 0 && p < 6)).toBe(true)
    expect(new Set(partitions).size).toBe(6)
    expect(partitionForKey('bin-0042', 1)).toBe(0)
  })
})
