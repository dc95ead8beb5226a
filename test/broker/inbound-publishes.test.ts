import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { connectPacket, publishPacket, pubrelPacket, WireClient } from '../support/mqtt-wire.js'

describe('MQTT broker: a packet id in flight is handed to the bus once', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-repeats', format: 'senml' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const reading = (v: number): string => JSON.stringify([{ n: 'temperature', u: 'Cel', v }])

  test('QoS 2 copies before PUBREL and QoS 1 DUP copies before PUBACK become one bus record each; a packet id used again after PUBREL is a new message', async () => {
    const wire = await WireClient.open(pipeline.mqttUrl)
    wire.write(connectPacket({ clientId: bin.device.id, username: bin.device.id, password: bin.secret }))
    expect((await wire.next('connack')).id).toBe(0)
    const topic = `devices/${bin.device.id}/senml`

    // A QoS 2 message and its DUP in one chunk (the second arrives while the first is being handed over), then another DUP after PUBREC.
    wire.write(publishPacket({ topic, payload: reading(1), qos: 2, id: 7 }), publishPacket({ topic, payload: reading(1), qos: 2, id: 7, dup: true }))
    await wire.next('pubrec', 7)
    wire.write(publishPacket({ topic, payload: reading(1), qos: 2, id: 7, dup: true }))
    await waitForCount(wire, 'pubrec', 7, 3)
    wire.write(pubrelPacket(7))
    await wire.next('pubcomp', 7)
    // Released: the same id now names a new message.
    wire.write(publishPacket({ topic, payload: reading(2), qos: 2, id: 7 }))
    await waitForCount(wire, 'pubrec', 7, 4)
    wire.write(pubrelPacket(7))
    await waitForCount(wire, 'pubcomp', 7, 2)

    // A QoS 1 message re-sent with DUP before its PUBACK, in the same chunk.
    wire.write(publishPacket({ topic, payload: reading(3), qos: 1, id: 9 }), publishPacket({ topic, payload: reading(3), qos: 1, id: 9, dup: true }))
    await wire.next('puback', 9)
    wire.write(publishPacket({ topic, payload: reading(4), qos: 1, id: 10 }))
    await wire.next('puback', 10)
    expect(wire.closed).toBe(false)
    wire.close()

    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === reading(4)))
    const counts = Object.fromEntries([1, 2, 3, 4].map((v) => [v, raw.filter((r) => r.value.toString() === reading(v)).length]))
    expect(counts).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 })
  })
})

async function waitForCount(wire: WireClient, type: string, id: number, count: number): Promise<void> {
  await waitFor(() => wire.count(type, id) >= count, 10_000, `${count} × ${type} ${id}`)
}
