import { connect as connectTcp, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RefusalCounters } from '../../ingest/refusal-counters.js'
import { PacketFraming } from '../../broker/packet-size-guard.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, isolatedConfig, registerDevice, type TestDevice } from '../support/pipeline.js'
import { header } from '../../core/bus/topics.js'

/** MQTT's remaining length: 7 bits a byte, low bits first (MQTT 3.1.1 §2.2.3). */
function remainingLength(value: number): Buffer {
  const bytes: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    bytes.push(byte)
  } while (value > 0)
  return Buffer.from(bytes)
}

function mqttString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body])
}

/** A CONNECT packet of MQTT 3.1.1 with user name and password, clean session. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60])])
  const payload = Buffer.concat([mqttString(clientId), mqttString(username), mqttString(password)])
  const rest = Buffer.concat([variable, payload])
  return Buffer.concat([Buffer.from([0x10]), remainingLength(rest.length), rest])
}

describe('PacketFraming: follows packet boundaries without parsing', () => {
  test('finds a packet announcing more than the cap, wherever the chunks split its header', () => {
    const small = Buffer.concat([Buffer.from([0x30]), remainingLength(3), Buffer.from('abc')])
    const big = Buffer.concat([Buffer.from([0x32]), remainingLength(2_000_000)])
    const stream = Buffer.concat([small, small, big])
    for (let split = 0; split <= stream.length; split++) {
      const framing = new PacketFraming(1_000_000)
      const first = framing.oversized(stream.subarray(0, split))
      const second = framing.oversized(stream.subarray(split))
      expect(first ?? second, `split at ${split}`).toBe(2_000_000)
    }
  })

  test('lets packets up to the cap through, including ones whose bodies span many chunks and empty ones', () => {
    const framing = new PacketFraming(1000)
    const atCap = Buffer.concat([Buffer.from([0x30]), remainingLength(1000), Buffer.alloc(1000, 0x41)])
    const ping = Buffer.from([0xc0, 0x00])
    const stream = Buffer.concat([atCap, ping, atCap, ping])
    for (let i = 0; i < stream.length; i += 7) expect(framing.oversized(stream.subarray(i, i + 7))).toBeUndefined()
    // Still in step: the next header is read as a header.
    expect(framing.oversized(Buffer.concat([Buffer.from([0x30]), remainingLength(1001)]))).toBe(1001)
  })
})

describe('MQTT broker: a packet over the size limit closes the connection before its body is read', () => {
  const maxPayload = 64 * 1024
  const { config, cleanup } = isolatedConfig({ MQTT_MAX_PAYLOAD_BYTES: String(maxPayload) })
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'guarded-bin', tenant: 'guarded' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const counters = (): RefusalCounters => pipeline.platform.counters.find((c) => c.component === 'broker') as RefusalCounters
  const port = (): number => Number(new URL(pipeline.mqttUrl).port)

  /** Opens a raw socket; resolves `closed` with the bytes the client had written when the broker closed it. */
  function rawSocket(): Promise<{ socket: Socket; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = connectTcp(port(), '127.0.0.1', () => resolve({ socket, closed: new Promise((done) => socket.once('close', () => done())) }))
      socket.once('error', reject)
    })
  }

  /** Writes `bytes` of a body in chunks until the broker closes the socket; returns how many it took. */
  async function writeUntilClosed(socket: Socket, total: number): Promise<number> {
    let written = 0
    const chunk = Buffer.alloc(16 * 1024, 0x41)
    while (written < total && !socket.destroyed) {
      const ok = socket.write(chunk)
      written += chunk.length
      if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => socket.once('close', r))])
      else await new Promise((r) => setImmediate(r))
    }
    return written
  }

  test('an unauthenticated client announcing a 200 MB CONNECT is cut off after its first bytes and counted', async () => {
    const before = counters().get('payload_too_large')
    const { socket, closed } = await rawSocket()
    socket.on('error', () => undefined)
    socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(200 * 1024 * 1024)]))
    const written = await writeUntilClosed(socket, 200 * 1024 * 1024)
    await closed
    // The broker stopped reading long before the packet was complete.
    expect(written).toBeLessThan(8 * 1024 * 1024)
    expect(counters().get('payload_too_large')).toBe(before + 1)
  })

  test("an authenticated device announcing a publish over the limit is cut off, counted for its tenant, and may reconnect", async () => {
    const { socket, closed } = await rawSocket()
    socket.on('error', () => undefined)
    const connack = new Promise<Buffer>((resolve) => socket.once('data', resolve))
    socket.write(connectPacket(bin.device.id, bin.device.id, bin.secret))
    expect([...(await connack)]).toEqual([0x20, 0x02, 0x00, 0x00])

    const topic = mqttString(`devices/${bin.device.id}/senml`)
    const announced = 50 * 1024 * 1024
    socket.write(Buffer.concat([Buffer.from([0x32]), remainingLength(announced), topic, Buffer.from([0, 1])]))
    const written = await writeUntilClosed(socket, announced)
    await closed
    expect(written).toBeLessThan(8 * 1024 * 1024)
    expect(counters().get('payload_too_large.guarded')).toBe(1)

    // A packet just within the limit (the payload limit plus room for the topic) is read and handled as usual.
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: bin.device.id, username: bin.device.id, password: bin.secret })
    await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 20, vs: 'x'.repeat(maxPayload - 100) }]), { qos: 1 })
    await client.endAsync()
    expect(counters().get('payload_too_large.guarded')).toBe(1)
  })

  test('a publish over MQTT_MAX_PAYLOAD_BYTES but under the hard cap is read, acknowledged and dead-lettered with its first bytes', async () => {
    const before = counters().get('payload_too_large.guarded')
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: bin.device.id, username: bin.device.id, password: bin.secret })
    const payload = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 21, vs: 'y'.repeat(2 * maxPayload) }])
    expect(payload.length + 100).toBeLessThan(config.mqtt.maxPacketBytes)
    await client.publishAsync(`devices/${bin.device.id}/senml`, payload, { qos: 1 })
    expect(client.connected).toBe(true)
    await client.endAsync()
    expect(counters().get('payload_too_large.guarded')).toBe(before + 1)
    const dead = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.some((r) => r.key === bin.device.id))
    expect(dead.filter((r) => r.key === bin.device.id).map((r) => [r.headers[header.dlqCode], r.value.length])).toEqual([['PAYLOAD_TOO_LARGE', maxPayload]])
  })
})
