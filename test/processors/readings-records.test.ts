import { describe, expect, test } from 'vitest'
import { readingEnvelope, type CanonicalReading, type ReadingEnvelope } from '../../models/reading.js'
import { readingsIdentity } from '../../processors/reading-identity.js'
import { readingsRecordValues } from '../../processors/readings-records.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')
const reading = (i: number): CanonicalReading => ({ attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 20 + i / 10, unit: 'CEL', time: t0 + i * 1000 })
const envelope = (count: number): ReadingEnvelope =>
  readingEnvelope.parse({
    schema: 'circular.readings/v1',
    tenant: 'city',
    site: 'depot',
    deviceId: 'gw-1',
    kind: 'waste_container',
    format: 'senml',
    receivedAt: t0,
    source: { topic: 'telemetry.raw', partition: 1, offset: '17' },
    readings: Array.from({ length: count }, (_, i) => reading(i)),
    location: { type: 'Point', coordinates: [4.35, 50.85] },
  })
const decode = (value: Buffer): ReadingEnvelope => readingEnvelope.parse(JSON.parse(value.toString('utf8')))

describe('readingsRecordValues', () => {
  test('an envelope that fits should be one value, its JSON', () => {
    const e = envelope(3)
    expect(readingsRecordValues(e, 100_000)).toEqual({ values: [Buffer.from(JSON.stringify(e))], tooLarge: [] })
  })

  test('a larger one should be split in order over envelopes that each fit and say the same about the device', () => {
    const e = envelope(1000)
    const { values, tooLarge } = readingsRecordValues(e, 20_000)
    expect(tooLarge).toEqual([])
    expect(values.length).toBeGreaterThan(Math.floor(Buffer.byteLength(JSON.stringify(e)) / 20_000))
    for (const v of values) expect(v.length).toBeLessThanOrEqual(20_000)
    const parts = values.map(decode)
    expect(parts.flatMap((p) => p.readings)).toEqual(e.readings)
    const { readings: _readings, ...rest } = e
    for (const p of parts) expect(p).toEqual({ ...rest, readings: p.readings })
    // Split the same way every time, so a resent pack gives the same identities.
    expect(readingsRecordValues(e, 20_000).values.map((v) => readingsIdentity(decode(v)))).toEqual(parts.map(readingsIdentity))
  })

  test('a reading too large for an envelope of its own should be returned apart, the rest kept', () => {
    const e = envelope(4)
    const huge = { ...reading(9), attribute: 'status', field: 'status', value: 'x'.repeat(5_000), unit: '' }
    const { values, tooLarge } = readingsRecordValues({ ...e, readings: [...e.readings, huge] }, 2_000)
    expect(tooLarge).toEqual([huge])
    expect(values.map(decode).flatMap((p) => p.readings)).toEqual(e.readings)
  })
})
