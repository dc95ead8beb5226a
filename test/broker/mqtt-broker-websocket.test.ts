import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { collectTopic, isolatedConfig, registerDevice, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { createTestCa } from '../support/test-ca.js'

describe('MQTT broker: MQTT over WebSocket', () => {
  const { config, cleanup } = isolatedConfig({ MQTT_WS_PORT: '0' })
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let other: TestDevice
  let wsUrl: string

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'ws-bin', format: 'senml' })
    other = await registerDevice(config, { id: 'ws-other', format: 'senml' })
    pipeline = await startInProcess(config, ['broker'])
    const note = pipeline.started.find((s) => s.name === 'broker')?.note ?? ''
    wsUrl = /ws:\/\/\S+\/mqtt/.exec(note)?.[0] ?? ''
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const connect = (d: TestDevice, password = d.secret) => mqtt.connectAsync(wsUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, clientId: d.device.id, username: d.device.id, password })

  test('mqtt.js over ws:// publishes QoS 1 and the record reaches the bus, with the same topic checks', async () => {
    expect(wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    const client = await connect(bin)
    const marker = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 17 }])
    await client.publishAsync(`devices/${bin.device.id}/senml`, marker, { qos: 1 })
    const refused = (await client.subscribeAsync([`devices/${other.device.id}/cmd`, `devices/${bin.device.id}/cmd`], { qos: 1 }).catch((e: unknown) => e)) as { packet?: { granted: number[] } }
    expect(refused.packet?.granted).toEqual([128, 1])
    await client.endAsync()
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === marker))
    expect(raw.filter((r) => r.key === bin.device.id).map((r) => r.value.toString())).toEqual([marker])
  })

  test('wrong credentials over WebSocket get CONNACK 4', async () => {
    expect(wsUrl).not.toBe('')
    await expect(connect(bin, 'not-the-secret')).rejects.toMatchObject({ code: 4 })
  })
})

describe('MQTT broker: MQTT over secure WebSocket', () => {
  const ca = createTestCa()
  const { config, cleanup } = isolatedConfig({ MQTT_WSS_PORT: '0', MQTT_TLS_PORT: '0', MQTT_TLS_CERT_FILE: ca.server.certFile, MQTT_TLS_KEY_FILE: ca.server.keyFile })
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'wss-bin', format: 'senml' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  test('mqtt.js over wss:// with the broker certificate connects and publishes', async () => {
    const note = pipeline.started.find((s) => s.name === 'broker')?.note ?? ''
    const wssUrl = /wss:\/\/\S+\/mqtt/.exec(note)?.[0]
    expect(wssUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    const client = await mqtt.connectAsync(wssUrl!, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, clientId: bin.device.id, username: bin.device.id, password: bin.secret, ca: ca.caPem, servername: 'localhost' })
    await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 18 }]), { qos: 1 })
    await client.endAsync()
  })
})
