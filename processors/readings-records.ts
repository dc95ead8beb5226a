import type { CanonicalReading, ReadingEnvelope } from '../models/reading.js'

/**
 * An envelope as the values of readings records no larger than `maxValueBytes`: one record when
 * it fits, else its readings split in order over as few envelopes as hold them, each with the
 * same device, source and enrichment. A large pack (a gateway's SenML of thousands of readings)
 * then reaches the bus whole, and a device resending it makes the same records again, so the
 * repeat is recognised. A reading too large for an envelope of its own is returned apart.
 */
export function readingsRecordValues(envelope: ReadingEnvelope, maxValueBytes: number): { values: Buffer[]; tooLarge: CanonicalReading[] } {
  const whole = Buffer.from(JSON.stringify(envelope))
  if (whole.length <= maxValueBytes) return { values: [whole], tooLarge: [] }
  const { readings, ...rest } = envelope
  const emptyBytes = Buffer.byteLength(JSON.stringify({ ...rest, readings: [] }))
  const values: Buffer[] = []
  const tooLarge: CanonicalReading[] = []
  let chunk: CanonicalReading[] = []
  let bytes = emptyBytes
  const flush = (): void => {
    if (chunk.length > 0) values.push(Buffer.from(JSON.stringify({ ...rest, readings: chunk })))
    chunk = []
    bytes = emptyBytes
  }
  for (const reading of readings) {
    const size = Buffer.byteLength(JSON.stringify(reading)) + 1
    if (emptyBytes + size > maxValueBytes) {
      tooLarge.push(reading)
      continue
    }
    if (bytes + size > maxValueBytes) flush()
    chunk.push(reading)
    bytes += size
  }
  flush()
  return { values, tooLarge }
}
