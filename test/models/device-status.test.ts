import { describe, expect, test } from 'vitest'
import { connectionEventFields, decodeDeviceStatus, reportedStatus, type ConnectionEvent } from '../../models/device-status.js'
import { storedFields } from '../../models/catalogue.js'

const at = Date.parse('2026-12-07T10:00:00Z')
const event: ConnectionEvent = { schema: 'circular.device-status/v1', deviceId: 'bin-1', tenant: 'city', site: 'depot', at, connection: 'offline', reason: 'connection_lost', detail: 'keep alive timeout', session: 'b1:bin-1:1765100000000' }

describe('device status', () => {
  test("a broker's connection event should be stored as its connection, reason, detail and session, with the Last Will as the reported status", () => {
    expect(connectionEventFields({ ...event, lastWill: 'offline' })).toEqual({ connection: 'offline', connection_reason: 'connection_lost', connection_detail: 'keep alive timeout', session: 'b1:bin-1:1765100000000', reported_status: 'offline' })
    expect(connectionEventFields(event)).not.toHaveProperty('reported_status')
  })

  test('a device should speak only for what it reports: a connection event on its status topic is no status', () => {
    const forged = decodeDeviceStatus(Buffer.from(JSON.stringify(event)), at)
    expect(forged.readings).toEqual([])
    expect(forged.rejections.map((r) => r.code)).toEqual(['PAYLOAD_MALFORMED'])
    const reported = decodeDeviceStatus(Buffer.from(JSON.stringify({ status: 'online', connection: 'online' })), at)
    expect(reported.readings.map((r) => [r.measurement, r.field, r.value, r.time])).toEqual([['device_status', 'reported_status', 'online', at]])
  })

  test('text, a JSON string and an object with "status" should all be read as the status, trimmed', () => {
    expect(reportedStatus(' offline\n')).toBe('offline')
    expect(reportedStatus('"sleeping"')).toBe('sleeping')
    expect(reportedStatus('{"status":" low power "}')).toBe('low power')
  })

  test('an empty, too long, non-text or control-character status should be refused with its reason', () => {
    expect(reportedStatus('   ')).toEqual({ problem: 'the status is empty' })
    expect(reportedStatus('x'.repeat(257))).toEqual({ problem: 'the status is longer than 256 characters' })
    const notText = { problem: 'a status is text, a JSON string, or a JSON object with a "status" text' }
    expect(reportedStatus('42')).toEqual(notText)
    expect(reportedStatus('[1]')).toEqual(notText)
    expect(reportedStatus('off\u0007line')).toEqual({ problem: 'the status holds control characters' })
    expect(decodeDeviceStatus(Buffer.from([0xff, 0xfe]), at).rejections[0]).toMatchObject({ code: 'PAYLOAD_MALFORMED', message: 'the status is not valid UTF-8' })
  })

  test('status is no telemetry: it is not among the fields readings are stored in', () => {
    expect(storedFields.filter((f) => f.measurement === 'device_status')).toEqual([])
  })
})
