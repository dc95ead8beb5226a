/**
 * Maps a record key to a partition exactly as Kafka's Java client and the Kafka bus's
 * partitioner do (murmur2 of the key's UTF-8 bytes, sign bit cleared, modulo the partition
 * count), so a key lands in the same partition on the embedded bus as on Kafka.
 */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions
}

const seed = 0x9747b28c
const m = 0x5bd1e995

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2) in 32-bit integer arithmetic. */
export function murmur2(data: Buffer): number {
  const length = data.length
  let h = (seed ^ length) | 0
  const whole = length - (length % 4)
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  // The last one to three bytes, as the reference's fall-through switch takes them.
  const rest = length % 4
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16
    if (rest >= 2) h ^= data[whole + 1]! << 8
    h ^= data[whole]!
    h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h | 0
}
