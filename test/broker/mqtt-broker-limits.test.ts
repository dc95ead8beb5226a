import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import type { RefusalCounters } from '../../ingest/refusal-counters.js'
import { header } from '../../core/bus/topics.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'

/** Tenant limits at the broker, over real MQTT connections into real Kafka. */
describe('MQTT broker: per-tenant limits and refusals between tenants', () => {
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json')
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      version: 1,
      tenants: {
        alpha: { limits: { maxDevices: 2, messagesPerSecondPerDevice: 20, burstMessages: 5, maxPayloadBytes: 512 } },
        slow: { limits: { messagesPerSecondPerDevice: 1, burstMessages: 1 } },
      },
    }),
  )
  const { config, cleanup } = isolatedConfig({ TENANTS_FILE: tenantsFile })
  let pipeline: InProcessPipeline
  let a1: TestDevice
  let a2: TestDevice
  let a3: TestDevice
  let b1: TestDevice
  let slow: TestDevice

  beforeAll(async () => {
    a1 = await registerDevice(config, { id: 'a-1', tenant: 'alpha' })
    a2 = await registerDevice(config, { id: 'a-2', tenant: 'alpha' })
    a3 = await registerDevice(config, { id: 'a-3', tenant: 'alpha' })
    b1 = await registerDevice(config, { id: 'b-1', tenant: 'beta' })
    slow = await registerDevice(config, { id: 's-1', tenant: 'slow' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const counters = (): RefusalCounters => pipeline.platform.counters.find((c) => c.component === 'broker') as RefusalCounters
  const connect = (d: TestDevice): Promise<MqttClient> =>
    mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: d.device.id, username: d.device.id, password: d.secret })

  test("a device of alpha cannot publish as beta's device, nor subscribe to its topics, and each refusal is counted for alpha", async () => {
    const before = counters().get('acl_refused.alpha')
    const client = await connect(a1)
    const refusal = (await client.subscribeAsync([`devices/${b1.device.id}/#`, `/beta/${b1.device.id}/attrs`], { qos: 1 }).catch((e: unknown) => e)) as { packet?: { granted: number[] } }
    expect(refusal.packet?.granted).toEqual([128, 128])
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.publish(`devices/${b1.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 99 }]), { qos: 1 })
    await closed
    client.end(true)
    expect(counters().get('acl_refused.alpha')).toBe(before + 3)
    expect(counters().get('acl_refused.beta')).toBe(0)
  })

  test('a tenant at its maximum of connected devices is refused with CONNACK 3 until one leaves', async () => {
    const first = await connect(a1)
    const second = await connect(a2)
    await expect(connect(a3)).rejects.toMatchObject({ code: 3 })
    expect(counters().get('device_limit_refused.alpha')).toBe(1)
    // Another tenant is not affected, and the same device may reconnect.
    const other = await connect(b1)
    await other.endAsync()
    await second.endAsync()
    // The broker notices the departure on its side of the socket; until then the slot is taken.
    const third = await waitFor(() => connect(a3).catch(() => undefined), 10_000, 'a free device slot')
    await third.endAsync()
    await first.endAsync()
  })

  test("a payload over the tenant's limit is acknowledged once and dead-lettered with its first bytes; the device does not loop and stays connected", async () => {
    // A client that reconnects at once, as devices do: a refused publish would come back again and again.
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 5000, clientId: a1.device.id, username: a1.device.id, password: a1.secret })
    let connects = 1
    client.on('connect', () => connects++)
    const oversized = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 1, vs: 'x'.repeat(600) }])
    await client.publishAsync(`devices/${a1.device.id}/senml`, oversized, { qos: 1 })
    const marker = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 2 }])
    await client.publishAsync(`devices/${a1.device.id}/senml`, marker, { qos: 1 })
    await new Promise((resolve) => setTimeout(resolve, 5000))
    expect(client.connected).toBe(true)
    expect(connects).toBe(1)
    await client.endAsync()
    expect(counters().get('payload_too_large.alpha')).toBe(1)

    const dead = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.some((r) => r.key === a1.device.id))
    const letters = dead.filter((r) => r.key === a1.device.id)
    expect(letters).toHaveLength(1)
    expect(letters[0]!.headers[header.dlqCode]).toBe('PAYLOAD_TOO_LARGE')
    expect(letters[0]!.headers[header.dlqReasons]).toContain(`payload of ${oversized.length} bytes exceeds the tenant's limit of 512; the first 512 bytes are kept`)
    expect(letters[0]!.value.toString()).toBe(oversized.slice(0, 512))
    // Nothing of it on the raw topic; the next publish went on as usual.
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === marker))
    expect(raw.filter((r) => r.key === a1.device.id).map((r) => r.value.toString())).toEqual([marker])
  })

  test('a device over its rate is held back to the rate, not dropped: every message reaches Kafka and the excess is counted as throttled', async () => {
    const client = await connect(a2)
    const total = 25
    const payloads = Array.from({ length: total }, (_, i) => JSON.stringify([{ n: 'temperature', u: 'Cel', v: i, bn: `urn:dev:${a2.device.id}:rate:` }]))
    await Promise.all(payloads.map((p) => client.publishAsync(`devices/${a2.device.id}/senml`, p, { qos: 1 })))
    await client.endAsync()
    const throttled = counters().get('throttled.alpha')
    // The burst of 5 goes through at once; tokens regained while sending let a few more by.
    expect(throttled).toBeGreaterThanOrEqual(10)
    expect(throttled).toBeLessThanOrEqual(total - 5)
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => payloads.every((p) => records.some((r) => r.value.toString() === p)))
    expect(raw.filter((r) => r.key === a2.device.id && payloads.includes(r.value.toString()))).toHaveLength(total)
  })

  test('a device flooding far beyond its rate is cut off and counted', async () => {
    const client = await connect(slow)
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    for (let i = 0; i < 20; i++) client.publish(`devices/${slow.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: i }]), { qos: 0 })
    await closed
    client.end(true)
    expect(counters().get('rate_refused.slow')).toBeGreaterThanOrEqual(1)
    expect(counters().get('throttled.slow')).toBeGreaterThanOrEqual(1)
  })
})
