import { describe, expect, test } from 'vitest'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { header } from '../../core/bus/topics.js'
import { defaultMaxRecordBytes, recordBytes } from '../../core/bus/record-size.js'
import { deadLetterReasons, deadLetterRecord, maxReasonsBytes } from '../../processors/dead-letter.js'

const source: IncomingRecord = {
  topic: 'telemetry.raw',
  partition: 2,
  offset: '41',
  key: 'bin-1',
  value: Buffer.from('{"fillingLevel": 1.7}'),
  headers: { [header.device]: 'bin-1', [header.tenant]: 'city' },
  timestamp: 0,
}

describe('dead-letter records', () => {
  test('should keep the refused bytes, key and headers, and say where and why it was refused', () => {
    const reasons = [
      { code: 'VALUE_OUT_OF_RANGE' as const, message: 'fillingLevel 1.7 is above 1', attribute: 'fillingLevel' },
      { code: 'UNIT_UNKNOWN' as const, message: 'unit furlong is not known', attribute: 'cargoWeight' },
    ]
    const record = deadLetterRecord('telemetry.deadletter', 'normaliser', source, reasons, defaultMaxRecordBytes)
    expect(record).toEqual({
      topic: 'telemetry.deadletter',
      key: 'bin-1',
      value: source.value,
      headers: {
        [header.device]: 'bin-1',
        [header.tenant]: 'city',
        [header.dlqStage]: 'normaliser',
        // The first reason's code is the record's: what the tally and dashboards group by.
        [header.dlqCode]: 'VALUE_OUT_OF_RANGE',
        [header.dlqReasons]: JSON.stringify(reasons),
        [header.dlqSourceTopic]: 'telemetry.raw',
        [header.dlqSourcePartition]: '2',
        [header.dlqSourceOffset]: '41',
      },
    })
    expect(deadLetterReasons(record.headers)).toEqual(reasons)
    // The source record is left as it was.
    expect(source.headers).toEqual({ [header.device]: 'bin-1', [header.tenant]: 'city' })
  })

  test('should carry another value when given one, and RECORD_INVALID when given no reason', () => {
    const point = Buffer.from('{"measurement":"waste_container"}')
    const record = deadLetterRecord('telemetry.deadletter', 'store-sink', source, [], defaultMaxRecordBytes, point)
    expect(record.value).toBe(point)
    expect(record.headers[header.dlqCode]).toBe('RECORD_INVALID')
    expect(deadLetterReasons(record.headers)).toEqual([])
  })

  test('reasons of a record without the reasons header should be none', () => {
    expect(deadLetterReasons({ [header.dlqCode]: 'DEVICE_UNKNOWN' })).toEqual([])
  })

  test('should end the reasons with a count of those left out beyond the bound', () => {
    const reasons = Array.from({ length: 5000 }, (_, i) => ({ code: 'VALUE_OUT_OF_RANGE' as const, message: `reading ${i} of the pack is out of range`, attribute: 'temperature' }))
    const record = deadLetterRecord('telemetry.deadletter', 'normaliser', source, reasons, defaultMaxRecordBytes)
    expect(Buffer.byteLength(record.headers[header.dlqReasons]!)).toBeLessThanOrEqual(maxReasonsBytes)
    const kept = deadLetterReasons(record.headers)
    const left = reasons.length - (kept.length - 1)
    expect(kept.slice(0, -1)).toEqual(reasons.slice(0, kept.length - 1))
    expect(kept.at(-1)).toEqual({ code: 'VALUE_OUT_OF_RANGE', message: `… and ${left} more reasons, left out to keep the dead letter within its size` })
    expect(kept.length).toBeGreaterThan(100)
  })

  test('should cut a value too large to travel with its reasons, and say how long it was', () => {
    const large = { ...source, value: Buffer.alloc(10_000, 7) }
    const whole = deadLetterRecord('telemetry.deadletter', 'footprint', large, [{ code: 'READING_TOO_LATE', message: 'late' }], 20_000)
    expect(whole.value).toBe(large.value)
    expect(whole.headers[header.dlqValueBytes]).toBeUndefined()
    const cut = deadLetterRecord('telemetry.deadletter', 'footprint', large, [{ code: 'READING_TOO_LATE', message: 'late' }], 5_000)
    expect(recordBytes(cut)).toBeLessThanOrEqual(5_000)
    expect(cut.headers[header.dlqValueBytes]).toBe('10000')
    expect(cut.value.length).toBeGreaterThan(4_000)
    expect(large.value.subarray(0, cut.value.length).equals(cut.value)).toBe(true)
  })
})
