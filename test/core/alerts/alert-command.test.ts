import { describe, expect, test } from 'vitest'
import { alertCommand, alertCommandRecord, type AlertCommand } from '../../../core/alerts/alert-command.js'

const at = Date.parse('2026-11-02T08:00:00Z')

describe('alertCommandRecord', () => {
  test('should be keyed by the device, so the command is ordered with the device\'s readings, and parse back unchanged', () => {
    const commands: AlertCommand[] = [
      { schema: 'circular.alert-command/v1', command: 'ack', alertId: 'mh2x3k00-0123456789abcdef', rule: 'fire', deviceId: 'bin-1', by: 'key:0011223344556677', at },
      { schema: 'circular.alert-command/v1', command: 'check-silence', deviceId: 'meter-2', at },
      { schema: 'circular.alert-command/v1', command: 'check-lid', deviceId: 'bin-3', at },
    ]
    for (const command of commands) {
      const record = alertCommandRecord('alert-commands', command)
      expect(record).toMatchObject({ topic: 'alert-commands', key: command.deviceId, headers: {} })
      expect(alertCommand.parse(JSON.parse(record.value.toString('utf8')))).toEqual(command)
    }
  })
})

describe('alertCommand', () => {
  const ack = { schema: 'circular.alert-command/v1', command: 'resolve', alertId: 'x-1', rule: 'fill', deviceId: 'bin-1', by: 'open311:req-9', at }

  test('a decision should name the alert, its rule and who decided, in at most 200 characters', () => {
    expect(alertCommand.safeParse(ack).success).toBe(true)
    expect(alertCommand.safeParse({ ...ack, by: 'x'.repeat(200) }).success).toBe(true)
    expect(alertCommand.safeParse({ ...ack, by: 'x'.repeat(201) }).success).toBe(false)
    expect(alertCommand.safeParse({ ...ack, by: '' }).success).toBe(false)
    const { alertId: _alertId, ...withoutAlert } = ack
    expect(alertCommand.safeParse(withoutAlert).success).toBe(false)
    expect(alertCommand.safeParse({ ...ack, rule: 'overflow' }).success).toBe(false)
  })

  test('unknown commands, other schema versions and fractional times should be refused', () => {
    expect(alertCommand.safeParse({ ...ack, command: 'snooze' }).success).toBe(false)
    expect(alertCommand.safeParse({ ...ack, schema: 'circular.alert-command/v2' }).success).toBe(false)
    expect(alertCommand.safeParse({ schema: 'circular.alert-command/v1', command: 'check-lid', deviceId: 'bin-3', at: at + 0.5 }).success).toBe(false)
    expect(alertCommand.safeParse({ schema: 'circular.alert-command/v1', command: 'check-silence', deviceId: '', at }).success).toBe(false)
  })
})
