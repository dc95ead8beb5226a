import { describe, expect, test } from 'vitest'
import { maySubscribe, parseTelemetryTopic } from '../../ingest/topic-scheme.js'

describe('topic scheme', () => {
  test.each([
    ['devices/bin-1/ngsi-ld', { deviceId: 'bin-1', format: 'ngsi-ld' }],
    ['devices/bin-1/senml', { deviceId: 'bin-1', format: 'senml' }],
    ['devices/bin-1/attrs', { deviceId: 'bin-1', format: 'auto' }],
    ['/json/key1/bin-1/attrs', { deviceId: 'bin-1', apiKey: 'key1', format: 'iota-json' }],
    ['/json/key1/bin-1/attrs/temperature', { deviceId: 'bin-1', apiKey: 'key1', format: 'iota-json', attribute: 'temperature' }],
    ['/ul/key1/bin-1/attrs', { deviceId: 'bin-1', apiKey: 'key1', format: 'ultralight' }],
    ['/key1/bin-1/attrs', { deviceId: 'bin-1', apiKey: 'key1', format: 'auto' }],
  ])('parseTelemetryTopic should read %s', (topic, expected) => {
    expect(parseTelemetryTopic(topic)).toEqual(expected)
  })

  test.each(['devices/bin-1', 'devices/bin-1/other', 'devices/../senml', 'devices//senml', '/json/key1/bin-1/cmd', '/json/key1/bin-1/attrs/a/b', 'other/bin-1/senml', '$SYS/x', ''])(
    'parseTelemetryTopic should refuse %s',
    (topic) => {
      expect(parseTelemetryTopic(topic)).toBeUndefined()
    },
  )

  test('maySubscribe should allow only filters inside the device’s own namespaces', () => {
    const device = { id: 'bin-1', apiKey: 'city' }
    expect(maySubscribe('devices/bin-1/cmd', device)).toBe(true)
    expect(maySubscribe('devices/bin-1/#', device)).toBe(true)
    expect(maySubscribe('/city/bin-1/cmd', device)).toBe(true)
    expect(maySubscribe('devices/bin-2/cmd', device)).toBe(false)
    expect(maySubscribe('devices/bin-10/cmd', device)).toBe(false)
    expect(maySubscribe('devices/+/cmd', device)).toBe(false)
    expect(maySubscribe('devices/bin-1/', device)).toBe(false)
    expect(maySubscribe('#', device)).toBe(false)
    expect(maySubscribe('/other/bin-1/cmd', device)).toBe(false)
  })
})
