import { describe, expect, test } from 'vitest'
import { maySubscribe, parseTelemetryTopic, publishRefusal, subscribableTopics } from '../../ingest/topic-scheme.js'

describe('topic scheme', () => {
  test.each([
    ['devices/bin-1/ngsi-ld', { deviceId: 'bin-1', format: 'ngsi-ld' }],
    ['devices/bin-1/senml', { deviceId: 'bin-1', format: 'senml' }],
    ['devices/bin-1/attrs', { deviceId: 'bin-1', format: 'auto' }],
    ['devices/bin-1/status', { deviceId: 'bin-1', format: 'device-status' }],
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

  test('maySubscribe should allow exactly the device’s own command and configuration topics, and no wildcard', () => {
    const device = { id: 'bin-1', apiKey: 'city' }
    for (const topic of ['devices/bin-1/cmd', 'devices/bin-1/config', '/city/bin-1/cmd', '/json/city/bin-1/cmd', '/ul/city/bin-1/cmd', '/json/city/bin-1/configuration/values']) expect(maySubscribe(topic, device), topic).toBe(true)
    for (const filter of ['devices/bin-1/#', 'devices/bin-1/+', 'devices/bin-1/senml', 'devices/bin-1/status', 'devices/bin-2/cmd', 'devices/bin-10/cmd', 'devices/+/cmd', 'devices/bin-1/', '#', '/other/bin-1/cmd', '/json/city/#', '/json/city/bin-1/#', '/json/city/+/cmd'])
      expect(maySubscribe(filter, device), filter).toBe(false)
  })

  test('publishRefusal should let a device publish on its own telemetry topics only', () => {
    const device = { id: 'bin-1', apiKey: 'city' }
    for (const topic of telemetryTopics(device)) expect(publishRefusal(topic, device), topic).toBeUndefined()
    expect(publishRefusal('/json/other/bin-1/attrs', device)).toMatch(/API key/)
    expect(publishRefusal('devices/bin-2/senml', device)).toMatch(/may not publish for "bin-2"/)
    expect(publishRefusal('devices/bin-1/cmd', device)).toMatch(/not a telemetry topic/)
  })

  // Tenant B's device, and registrations another tenant could choose to reach into B's namespaces:
  // its id or API key spelled like B's API key, a protocol prefix, a topic level or B's device id
  // (device ids are unique across tenants, so B's own id is not among them).
  const victim = { id: 'bin-b', apiKey: 'tenant-b' }
  const hostile = [
    { id: 'tenant-b', apiKey: 'json' },
    { id: 'tenant-b', apiKey: 'ul' },
    { id: 'tenant-b', apiKey: 'devices' },
    { id: 'json', apiKey: 'tenant-b' },
    { id: 'bin-a', apiKey: 'tenant-b' },
    { id: 'bin-b-x', apiKey: 'tenant-b' },
    { id: 'attrs', apiKey: 'json' },
    { id: 'devices', apiKey: 'bin-b' },
  ]
  // Every topic of B's device, and filters that would reach them.
  const victimTopics = [...telemetryTopics(victim), ...subscribableTopics(victim)]
  const victimFilters = [...victimTopics, '#', 'devices/bin-b/#', 'devices/+/cmd', '/json/tenant-b/#', '/json/tenant-b/+/cmd', '/json/tenant-b/bin-b/#', '/ul/tenant-b/#', '/tenant-b/#', '/tenant-b/bin-b/#', '/+/+/+/cmd', '/json/+/bin-b/cmd']

  test.each(hostile)('a device registered as %o should not subscribe to any filter that reaches a topic of tenant B’s device', (attacker) => {
    for (const filter of victimFilters) expect(maySubscribe(filter, attacker), filter).toBe(false)
    // Nor may anything it is allowed reach one of them.
    for (const allowed of subscribableTopics(attacker)) for (const topic of victimTopics) expect(matches(allowed, topic), `${allowed} ~ ${topic}`).toBe(false)
  })

  test.each(hostile)('a device registered as %o should not publish on any topic of tenant B’s device', (attacker) => {
    for (const topic of victimTopics) expect(publishRefusal(topic, attacker), topic).toBeDefined()
  })

  test('a device whose API key is a protocol prefix (registered before such keys were refused) should keep only the prefixed topics', () => {
    expect(subscribableTopics({ id: 'tenant-b', apiKey: 'json' })).not.toContain('/json/tenant-b/cmd')
    expect(subscribableTopics({ id: 'tenant-b', apiKey: 'json' })).toContain('/json/json/tenant-b/cmd')
  })
})

/** Every telemetry topic of a device. */
function telemetryTopics(d: { id: string; apiKey: string }): string[] {
  const iotAgent = [`/json/${d.apiKey}/${d.id}/attrs`, `/ul/${d.apiKey}/${d.id}/attrs`, `/${d.apiKey}/${d.id}/attrs`]
  return [`devices/${d.id}/ngsi-ld`, `devices/${d.id}/senml`, `devices/${d.id}/attrs`, `devices/${d.id}/status`, ...iotAgent, ...iotAgent.map((t) => `${t}/temperature`)]
}

/** Whether an MQTT topic filter matches a topic (MQTT 3.1.1 §4.7: `+` one level, `#` the rest). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}
