import { describe, expect, test } from 'vitest'
import type { PendingCommand } from '../../core/commands/device-command.js'
import { answerTopics, commandMessage, commandOfMessage, parseCommandAnswer } from '../../ingest/commands.js'

const command: PendingCommand = { schema: 'circular.device-command/v1', phase: 'pending', commandId: 'k1-00112233aabbccdd', deviceId: 'bin-1', tenant: 'city', site: 'depot', name: 'reboot', value: { delaySeconds: 5 }, expiresAt: Date.parse('2026-12-08T01:00:00Z'), by: 'key:ops', at: 0 }
const device = (format: 'senml' | 'iota-json' | 'ultralight') => ({ id: 'bin-1', apiKey: 'city', format })

describe('device commands on MQTT', () => {
  test('a command should go to the command topic of the device\'s format, in that format', () => {
    expect(commandMessage(device('senml'), command)).toEqual({ topic: 'devices/bin-1/cmd', payload: Buffer.from('{"id":"k1-00112233aabbccdd","command":"reboot","value":{"delaySeconds":5},"expiresAt":"2026-12-08T01:00:00.000Z"}') })
    expect(commandMessage(device('iota-json'), command)).toEqual({ topic: '/json/city/bin-1/cmd', payload: Buffer.from('{"reboot":{"delaySeconds":5}}') })
    expect(commandMessage(device('ultralight'), { ...command, value: 'now' })).toEqual({ topic: '/ul/city/bin-1/cmd', payload: Buffer.from('bin-1@reboot|now') })
    expect(commandMessage(device('ultralight'), { ...command, value: null }).payload.toString()).toBe('bin-1@reboot|')
  })

  test('an acknowledged command message should name its command: by id on the platform\'s topic, by name on an IoT Agent\'s', () => {
    for (const format of ['senml', 'iota-json', 'ultralight'] as const) {
      const { topic, payload } = commandMessage(device(format), command)
      expect(commandOfMessage(topic, payload), format).toEqual(format === 'senml' ? { commandId: 'k1-00112233aabbccdd', name: 'reboot' } : { name: 'reboot' })
    }
    expect(commandOfMessage('devices/bin-1/senml', Buffer.from('[]'))).toBeUndefined()
  })

  test('answers should be read per format; an IoT Agent answer is done', () => {
    expect(parseCommandAnswer('devices/bin-1/cmdexe', Buffer.from('{"id":"k1-00112233aabbccdd","status":"error","result":{"code":7}}'))).toEqual({ kind: 'answer', commandId: 'k1-00112233aabbccdd', status: 'error', result: '{"code":7}' })
    expect(parseCommandAnswer('/json/city/bin-1/cmdexe', Buffer.from('{"reboot":"OK"}'))).toEqual({ kind: 'answer', name: 'reboot', status: 'ok', result: 'OK' })
    expect(parseCommandAnswer('/ul/city/bin-1/cmdexe', Buffer.from('bin-1@reboot|done in 5 s'))).toEqual({ kind: 'answer', name: 'reboot', status: 'ok', result: 'done in 5 s' })
    expect(parseCommandAnswer('/city/bin-1/cmdexe', Buffer.from('{"ping":"pong"}'))).toEqual({ kind: 'answer', name: 'ping', status: 'ok', result: 'pong' })
    expect(parseCommandAnswer('/city/bin-1/cmdexe', Buffer.from('bin-1@ping|pong'))).toEqual({ kind: 'answer', name: 'ping', status: 'ok', result: 'pong' })
    expect(answerTopics({ id: 'bin-1', apiKey: 'city' })).toEqual(['devices/bin-1/cmdexe', '/json/city/bin-1/cmdexe', '/ul/city/bin-1/cmdexe', '/city/bin-1/cmdexe'])
    // No legacy prefix for an API key spelled like a protocol prefix, as for subscriptions.
    expect(answerTopics({ id: 'bin-1', apiKey: 'json' })).toEqual(['devices/bin-1/cmdexe', '/json/json/bin-1/cmdexe', '/ul/json/bin-1/cmdexe'])
  })

  test('an answer that cannot be read should say why', () => {
    expect(parseCommandAnswer('devices/bin-1/cmdexe', Buffer.from('not json'))).toMatchObject({ kind: 'invalid' })
    expect(parseCommandAnswer('devices/bin-1/cmdexe', Buffer.from('{"id":"k1-00112233aabbccdd","status":"maybe"}'))).toEqual({ kind: 'invalid', problem: 'the answer\'s "status" must be "ok" or "error"' })
    expect(parseCommandAnswer('/json/city/bin-1/cmdexe', Buffer.from('{"a":1,"b":2}'))).toMatchObject({ kind: 'invalid' })
    expect(parseCommandAnswer('/ul/city/bin-1/cmdexe', Buffer.from('no separator'))).toMatchObject({ kind: 'invalid' })
    // Ids and names become stored tags: only the shapes the platform makes.
    expect(parseCommandAnswer('devices/bin-1/cmdexe', Buffer.from(JSON.stringify({ id: 'x'.repeat(5000), status: 'ok' })))).toMatchObject({ kind: 'invalid', problem: expect.stringMatching(/no command id/) as string })
    expect(parseCommandAnswer('/json/city/bin-1/cmdexe', Buffer.from('{"no such name!":1}'))).toMatchObject({ kind: 'invalid', problem: expect.stringMatching(/no command name/) as string })
    expect(parseCommandAnswer('/json/city/bin-1/cmdexe', Buffer.from('not json'))).toEqual({ kind: 'invalid', problem: 'an IoT Agent JSON answer is {"<command>": <result>}' })
  })
})
