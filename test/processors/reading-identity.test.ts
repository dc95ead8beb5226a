import { describe, expect, test } from 'vitest'
import type { ReadingEnvelope } from '../../models/reading.js'
import { isRepeat, readingsIdentity, rememberedReadingsPerDevice } from '../../processors/reading-identity.js'

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

  test('isRepeat should recognise a remembered identity and forget the oldest beyond the limit', () => {
    const recent: string[] = []
    expect(isRepeat(recent, 'a')).toBe(false)
    expect(isRepeat(recent, 'a')).toBe(true)
    for (let i = 0; i < rememberedReadingsPerDevice; i++) isRepeat(recent, `x${i}`)
    expect(recent).toHaveLength(rememberedReadingsPerDevice)
    expect(isRepeat(recent, 'a')).toBe(false)
  })
})
