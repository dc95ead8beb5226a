import { describe, expect, test } from 'vitest'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { header } from '../../core/bus/topics.js'
import { deadLetterReasons, deadLetterRecord } from '../../processors/dead-letter.js'

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
    const record = deadLetterRecord('telemetry.deadletter', 'normaliser', source, reasons)
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
    const record = deadLetterRecord('telemetry.deadletter', 'store-sink', source, [], point)
    expect(record.value).toBe(point)
    expect(record.headers[header.dlqCode]).toBe('RECORD_INVALID')
    expect(deadLetterReasons(record.headers)).toEqual([])
  })

  test('reasons of a record without the reasons header should be none', () => {
    expect(deadLetterReasons({ [header.dlqCode]: 'DEVICE_UNKNOWN' })).toEqual([])
  })
})
