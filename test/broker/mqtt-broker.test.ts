import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { header } from '../../core/bus/topics.js'
import type { RefusalCounters } from '../../ingest/refusal-counters.js'
import { AuditLog } from '../../core/registry/audit-log.js'
import { revokeDevice } from '../../core/registry/device-registration.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { withKafkaAdmin } from '../support/kafka-admin.js'

describe('MQTT broker: device authentication, topic ACL and hand-over to Kafka', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let alice: TestDevice
  let bob: TestDevice
  let alias: TestDevice

  beforeAll(async () => {
    alice = await registerDevice(config, { id: 'alice-bin' })
    bob = await registerDevice(config, { id: 'bob-bin', tenant: 'othercity' })
    // Written straight into the registry, as a registration from before such keys were refused:
    // its legacy prefix /<apiKey>/<id>/ spells othercity's IoT Agent JSON namespace /json/othercity/.
    alias = await registerDevice(config, { id: 'othercity', extra: { apiKey: 'json' } })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  function connect(options: mqtt.IClientOptions): Promise<MqttClient> {
    return mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  }

  test('broker should refuse a wrong secret with CONNACK 4 (bad user name or password)', async () => {
    await expect(connect({ clientId: alice.device.id, username: alice.device.id, password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 })
  })

  test('broker should refuse an unknown device with CONNACK 4', async () => {
    await expect(connect({ clientId: 'ghost', username: 'ghost', password: 'whatever' })).rejects.toMatchObject({ code: 4 })
  })

  test("broker should refuse a client id that belongs to another device with CONNACK 2, so no session can be taken over", async () => {
    await expect(connect({ clientId: bob.device.id, username: alice.device.id, password: alice.secret })).rejects.toMatchObject({ code: 2 })
  })

  test("broker should refuse a subscription to another device's topics", async () => {
    const client = await connect({ clientId: alice.device.id, username: alice.device.id, password: alice.secret })
    // mqtt.js rejects when any filter was refused; the SUBACK it carries says which.
    const refusal = (await client.subscribeAsync([`devices/${bob.device.id}/#`, '#', `devices/${alice.device.id}/cmd`], { qos: 1 }).catch((e: unknown) => e)) as {
      packet?: { granted: number[] }
    }
    expect(refusal.packet?.granted).toEqual([128, 128, 1])
    await client.endAsync()
  })

  test("publishing to another device's topic should close the connection and put nothing into Kafka", async () => {
    const intruder = await connect({ clientId: alice.device.id, username: alice.device.id, password: alice.secret })
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()))
    intruder.publish(`devices/${bob.device.id}/senml`, JSON.stringify([{ n: 'temperature', v: 99 }]), { qos: 1 })
    await closed
    intruder.end(true)

    // A legitimate message afterwards marks the point up to which the raw topic must be read.
    const honest = await connect({ clientId: alice.device.id, username: alice.device.id, password: alice.secret })
    const marker = JSON.stringify([{ n: 'temperature', v: 21 }])
    await honest.publishAsync(`devices/${alice.device.id}/senml`, marker, { qos: 1 })
    await honest.endAsync()

    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === marker))
    expect(raw.map((r) => r.key)).toEqual([alice.device.id])
    expect(raw[0]!.headers).toMatchObject({ [header.tenant]: 'testcity', [header.device]: 'alice-bin', [header.format]: 'senml', [header.mqttTopic]: 'devices/alice-bin/senml' })
    expect(Number(raw[0]!.headers[header.receivedAt])).toBeGreaterThan(Date.now() - 60_000)
  })

  test("a device registered to alias another tenant's IoT Agent namespace should be refused every filter into it, and a spy on it should receive nothing", async () => {
    const spy = await connect({ clientId: alias.device.id, username: alias.device.id, password: alias.secret })
    const received: string[] = []
    spy.on('message', (topic) => received.push(topic))
    const into = ['/json/othercity/#', '/json/othercity/bob-bin/#', '/json/othercity/bob-bin/attrs', '/json/othercity/bob-bin/cmd', '/json/othercity/+/attrs', '/othercity/bob-bin/attrs', 'devices/bob-bin/senml', '#']
    const refusal = (await spy.subscribeAsync([...into, '/json/json/othercity/cmd'], { qos: 1 }).catch((e: unknown) => e)) as { packet?: { granted: number[] } }
    expect(refusal.packet?.granted).toEqual([...into.map(() => 128), 1])

    const victim = await connect({ clientId: bob.device.id, username: bob.device.id, password: bob.secret })
    for (const topic of ['/json/othercity/bob-bin/attrs', '/othercity/bob-bin/attrs', 'devices/bob-bin/attrs']) await victim.publishAsync(topic, JSON.stringify({ t: 21 }), { qos: 1 })
    await victim.endAsync()
    // The messages went to Kafka; had any filter been granted, the broker would have forwarded them at once.
    await collectTopic(config, config.bus.topics.raw, (records) => records.filter((r) => r.key === bob.device.id).length >= 3)
    expect(received).toEqual([])
    await spy.endAsync()
  })

  test('the PUBACK of a QoS 1 publish should wait until Kafka has the record', async () => {
    // Take the raw topic away, so Kafka cannot take the record, then give it back.
    await withKafkaAdmin(config.kafka.brokers, async (admin) => {
      await admin.deleteTopics({ topics: [config.bus.topics.raw] })
      await waitFor(async () => !(await admin.listTopics()).includes(config.bus.topics.raw), 10_000, 'topic deletion')
    })

    const client = await connect({ clientId: alice.device.id, username: alice.device.id, password: alice.secret })
    const payload = JSON.stringify([{ n: 'cargoWeight', u: 'kg', v: 12.5 }])
    let acknowledgedAt = 0
    const acknowledged = client.publishAsync(`devices/${alice.device.id}/senml`, payload, { qos: 1 }).then(() => (acknowledgedAt = Date.now()))
    await new Promise((r) => setTimeout(r, 3000))
    expect(acknowledgedAt).toBe(0)

    const recreatedAt = Date.now()
    await withKafkaAdmin(config.kafka.brokers, async (admin) => {
      await admin.createTopics({ topics: [config.bus.topics.raw], partitions: 3, replicas: 1 })
    })
    await acknowledged
    expect(acknowledgedAt).toBeGreaterThanOrEqual(recreatedAt)
    await client.endAsync()
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === payload), 10_000)
    expect(raw.filter((r) => r.value.equals(Buffer.from(payload)))).toHaveLength(1)
  })
})

describe('MQTT broker: a device revoked while connected', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let doomed: TestDevice
  let witness: TestDevice

  beforeAll(async () => {
    doomed = await registerDevice(config, { id: 'doomed-bin', tenant: 'revokecity' })
    witness = await registerDevice(config, { id: 'witness-bin', tenant: 'revokecity' })
    pipeline = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const connect = (d: TestDevice): Promise<MqttClient> =>
    mqtt.connectAsync(pipeline.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: d.device.id, username: d.device.id, password: d.secret })

  test('is cut off at its next publish, which reaches no Kafka topic, and cannot connect again', async () => {
    const client = await connect(doomed)
    await client.publishAsync(`devices/${doomed.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 1 }]), { qos: 1 })

    // Revoked from another process, as `circular devices remove` or the API does it.
    revokeDevice({ registry: new FileRegistry(config.registryFile), audit: new AuditLog(config.auth.auditLogFile) }, doomed.device.id, 'cli:test')
    await new Promise((r) => setTimeout(r, 1100))

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    const afterRevocation = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 666 }])
    let acknowledged = false
    client.publishAsync(`devices/${doomed.device.id}/senml`, afterRevocation, { qos: 1 }).then(
      () => (acknowledged = true),
      () => undefined,
    )
    await closed
    client.end(true)
    expect(acknowledged).toBe(false)
    const counters = pipeline.platform.counters.find((c) => c.component === 'broker') as RefusalCounters
    expect(counters.get('auth_refused.revokecity')).toBe(1)
    await expect(connect(doomed)).rejects.toMatchObject({ code: 4 })

    const honest = await connect(witness)
    const marker = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 21 }])
    await honest.publishAsync(`devices/${witness.device.id}/senml`, marker, { qos: 1 })
    await honest.endAsync()
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === marker))
    expect(raw.filter((r) => r.key === doomed.device.id)).toHaveLength(1)
    expect(raw.some((r) => r.value.toString() === afterRevocation)).toBe(false)
  })
})
