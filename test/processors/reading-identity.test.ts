import { describe, expect, test } from 'vitest'
import type { ReadingEnvelope } from '../../models/reading.js'
import { forgetBefore, newestObservation, readingsIdentity, recordMessage, seenMessagesOf, type SeenMessages } from '../../processors/reading-identity.js'

const envelope = (readings: { attribute: string; field: string; value: number; time: number }[], receivedAt = 1): ReadingEnvelope => ({
  schema: 'circular.readings/v1',
  tenant: 'city',
  site: 'depot',
  deviceId: 'bin-1',
  kind: 'waste_container',
  format: 'senml',
  receivedAt,
  source: { topic: 'raw', partition: 0, offset: String(receivedAt) },
  readings: readings.map((r) => ({ ...r, measurement: 'waste_container', unit: 'ratio' })),
})

describe('readings identity', () => {
  const fill = { attribute: 'fillingLevel', field: 'filling_level', value: 0.5, time: 1000 }
  const temperature = { attribute: 'temperature', field: 'temperature_c', value: 21, time: 1000 }

  test('the same content should have the same identity however it travelled and in whatever order it lists its readings', () => {
    expect(readingsIdentity(envelope([fill, temperature], 1))).toBe(readingsIdentity(envelope([temperature, fill], 2)))
  })

  test('another value or another observation time should be another message', () => {
    const base = readingsIdentity(envelope([fill]))
    expect(readingsIdentity(envelope([{ ...fill, value: 0.51 }]))).not.toBe(base)
    expect(readingsIdentity(envelope([{ ...fill, time: 1001 }]))).not.toBe(base)
  })

  test('newestObservation should be the latest reading time of the message', () => {
    expect(newestObservation(envelope([fill, { ...temperature, time: 4000 }, { ...fill, time: 3000 }]))).toBe(4000)
  })

  test('a repeat should be recognised however many messages came in between, as long as it is within the horizon', () => {
    const seen: SeenMessages = { entries: [] }
    expect(recordMessage(seen, 'original', 1000)).toBe('new')
    // Far more messages than the old fixed window of 128, at later and earlier times.
    for (let i = 0; i < 3000; i++) expect(recordMessage(seen, `m${i}`, 2000 + (i % 2 === 0 ? i : -i))).toBe('new')
    expect(recordMessage(seen, 'original', 1000)).toBe('repeat')
    // Same time, other content: another message.
    expect(recordMessage(seen, 'other', 1000)).toBe('new')
    expect(seen.entries.map(([, t]) => t)).toEqual([...seen.entries.map(([, t]) => t)].sort((a, b) => a - b))
  })

  test('messages before the horizon should be forgotten, and memory should stay within the limit without ever taking a repeat for new', () => {
    const seen: SeenMessages = { entries: [] }
    for (let t = 0; t < 100; t++) recordMessage(seen, `m${t}`, t)
    forgetBefore(seen, 50)
    expect(seen.entries).toHaveLength(50)
    expect(seen.entries[0]![1]).toBe(50)
    // One still kept is recognised; one forgotten is before the horizon, where the caller counts nothing.
    expect(recordMessage(seen, 'm70', 70)).toBe('repeat')

    const small: SeenMessages = { entries: [] }
    for (let t = 0; t < 20; t++) recordMessage(small, `m${t}`, t, 10)
    expect(small.entries).toHaveLength(10)
    expect(small.forgottenUpTo).toBe(9)
    // Dropped for room: at or before the newest dropped time nothing can be told from a repeat.
    expect(recordMessage(small, 'm5', 5, 10)).toBe('unknowable')
    expect(recordMessage(small, 'late-but-new', 9, 10)).toBe('unknowable')
    expect(recordMessage(small, 'm15', 15, 10)).toBe('repeat')
    expect(recordMessage(small, 'new', 25, 10)).toBe('new')
    forgetBefore(small, 12)
    expect(small.forgottenUpTo).toBeUndefined()
  })

  test('identities kept before they had times should still catch a repeat until the horizon passes them', () => {
    const state: { seenMessages?: SeenMessages; recentReadings?: string[] } = { recentReadings: ['old-1', 'old-2'] }
    const seen = seenMessagesOf(state, 5000)
    expect(state.recentReadings).toBeUndefined()
    expect(recordMessage(seen, 'old-2', 4000)).toBe('repeat')
    forgetBefore(seen, 5001)
    expect(recordMessage(seen, 'old-2', 4000)).toBe('new')
  })
})
