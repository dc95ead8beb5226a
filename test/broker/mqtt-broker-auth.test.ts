import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RefusalCounters } from '../../ingest/refusal-counters.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { generateSecret, hashSecretWithScrypt, verifySecret } from '../../core/registry/secret.js'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { connectPacket, WireClient } from '../support/mqtt-wire.js'

describe('MQTT broker: secrets, failed attempts and sessions', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let fresh: TestDevice
  let other: TestDevice
  let legacy: TestDevice
  const legacySecret = generateSecret()

  beforeAll(async () => {
    fresh = await registerDevice(config, { id: 'fresh-bin' })
    other = await registerDevice(config, { id: 'other-bin' })
    // Registered before secrets were kept as fast hashes.
    legacy = await registerDevice(config, { id: 'legacy-bin', extra: { secretHash: await hashSecretWithScrypt(legacySecret) } })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const counters = (): RefusalCounters => pipeline.platform.counters.find((c) => c.component === 'broker') as RefusalCounters
  const connect = (clientId: string, d: TestDevice, password = d.secret) => mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000, clientId, username: d.device.id, password })

  test('a device registered before, with a scrypt hash, connects with its secret, and its hash is rewritten to the fast form, the registration kept', async () => {
    const held = await connect(legacy.device.id, legacy, legacySecret)
    const stored = () => new FileRegistry(config.registryFile).get(legacy.device.id)!
    await waitFor(() => stored().secretHash.startsWith('sha256$'), 10_000, 'the hash rewritten')
    expect(stored()).toEqual({ ...legacy.device, secretHash: stored().secretHash })
    expect(await verifySecret(legacySecret, stored().secretHash)).toBe(true)
    // The connection that proved the secret is still the same registration: it goes on publishing.
    await held.publishAsync(`devices/${legacy.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 4 }]), { qos: 1 })
    await held.endAsync()
    await (await connect(legacy.device.id, legacy, legacySecret)).endAsync()
    await expect(connect(legacy.device.id, legacy, 'not-the-secret')).rejects.toMatchObject({ code: 4 })
  })

  test('a flood of wrong secrets for a known device does not stop a device with the right secret; the flood is refused, then refused unchecked', async () => {
    const flood = 300
    const answers: number[] = []
    const attempts = Array.from({ length: flood }, async () => {
      const wire = await WireClient.open(pipeline.mqttUrl)
      wire.write(connectPacket({ clientId: legacy.device.id, username: legacy.device.id, password: 'guess-' + generateSecret() }))
      answers.push((await wire.next('connack', undefined, 60_000)).id)
      wire.close()
    })
    // While the flood runs, from the same address: a device whose secret checks cheaply gets in and publishes.
    const client = await connect(fresh.device.id, fresh)
    const marker = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 19 }])
    await client.publishAsync(`devices/${fresh.device.id}/senml`, marker, { qos: 1 })
    await client.endAsync()
    await Promise.all(attempts)
    expect(answers).toHaveLength(flood)
    expect(answers.every((code) => code === 4 || code === 5)).toBe(true)
    expect(counters().get('auth_throttled')).toBeGreaterThan(0)
    expect(answers.filter((code) => code === 5).length).toBe(counters().get('auth_throttled'))
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === marker))
    expect(raw.filter((r) => r.key === fresh.device.id)).toHaveLength(1)
    // The legacy device's right secret from that address: its hash is the fast one now, so it checks cheaply and gets in.
    await (await connect(legacy.device.id, legacy, legacySecret)).endAsync()
  }, 120_000)

  test('a second connection of one device takes over the first (MQTT_MAX_SESSIONS_PER_DEVICE 1)', async () => {
    const first = await connect(`${other.device.id}:a`, other)
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()))
    const second = await connect(`${other.device.id}:b`, other)
    await closed
    await waitFor(() => !first.connected, 5000, 'the first connection closed')
    expect(second.connected).toBe(true)
    await second.endAsync()
    first.end(true)
  })
})
