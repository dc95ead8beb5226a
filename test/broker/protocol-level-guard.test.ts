import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { connectLevel } from '../../broker/protocol-level-guard.js'
import { isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { connectPacket, WireClient } from '../support/mqtt-wire.js'

describe('connectLevel', () => {
  const connect = connectPacket({ clientId: 'bin-1', username: 'bin-1', password: 'secret', level: 6 })

  test('should read the level of a whole CONNECT, and ask for more bytes until it is there', () => {
    expect(connectLevel(connect)).toBe(6)
    for (let n = 0; n < 9; n++) expect(connectLevel(connect.subarray(0, n)), `${n} bytes`).toBeUndefined()
    expect(connectLevel(connect.subarray(0, 9))).toBe(6)
    // Bridge mode (Mosquitto) sets the top bit.
    expect(connectLevel(Buffer.from([...connect.subarray(0, 8), 0x84]))).toBe(4)
  })

  test('should leave what is not a CONNECT to the MQTT parser', () => {
    expect(connectLevel(Buffer.from([0x30, 0x02, 0x00, 0x00]))).toBeNull()
    expect(connectLevel(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBeNull()
    expect(connectLevel(Buffer.from([0x10, 0x20, 0x00, 0x40]))).toBeNull()
  })
})

describe('MQTT broker: protocol levels it does not speak', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-levels' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const credentials = () => ({ clientId: bin.device.id, username: bin.device.id, password: bin.secret })
  const refusals = (): number => pipeline.platform.counters.find((c) => c.component === 'broker')!.get('protocol_refused')

  test('a CONNECT of level 6 should get CONNACK return code 1 and a closed connection, counted', async () => {
    const before = refusals()
    const wire = await WireClient.open(pipeline.mqttUrl)
    wire.write(connectPacket({ ...credentials(), level: 6 }))
    expect((await wire.next('connack')).id).toBe(1)
    await waitFor(() => wire.closed, 5000, 'the connection closed')
    expect(refusals()).toBe(before + 1)
  })

  test('an MQTT 5 client should get its own CONNACK with reason 0x84', async () => {
    const wire = await WireClient.open(pipeline.mqttUrl)
    wire.write(connectPacket({ ...credentials(), level: 5 }))
    expect((await wire.next('connack')).id).toBe(0x84)
    await waitFor(() => wire.closed, 5000, 'the connection closed')
    await expect(mqtt.connectAsync(pipeline.mqttUrl, { ...credentials(), protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toMatchObject({ code: 0x84 })
  })

  test('a 3.1.1 CONNECT arriving one byte at a time should still connect', async () => {
    const wire = await WireClient.open(pipeline.mqttUrl)
    for (const byte of connectPacket(credentials())) {
      wire.write(Buffer.from([byte]))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect((await wire.next('connack')).id).toBe(0)
    wire.close()
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { ...credentials(), protocolVersion: 4, reconnectPeriod: 0 })
    await client.endAsync()
  })
})
