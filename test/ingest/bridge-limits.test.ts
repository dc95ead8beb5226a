import type { Bus } from '../../core/bus/bus.js'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { header, pipelineTopics } from '../../core/bus/topics.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { startBridge, type RunningBridge } from '../../ingest/bridge.js'
import { Ingest } from '../../ingest/ingest.js'
import { collectTopic, isolatedConfig, registerDevice, testLogger } from '../support/pipeline.js'

const mosquittoUrl = process.env.CIRCULAR_TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883'

/** The tenant limits on the bridge, from Mosquitto through the real bridge into Kafka. */
describe('bridge: tenant limits without holding anyone back', () => {
  const id = randomBytes(3).toString('hex')
  const tightId = `tight-bin-${id}`
  const otherId = `other-bin-${id}`
  const bridgeClientId = `bridge-limits-test-${id}`
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json')
  writeFileSync(tenantsFile, JSON.stringify({ version: 1, tenants: { tight: { limits: { messagesPerSecondPerDevice: 0.2, burstMessages: 2, maxPayloadBytes: 200 } } } }))
  const { config, cleanup } = isolatedConfig({ TENANTS_FILE: tenantsFile, BRIDGE_MQTT_URL: mosquittoUrl, BRIDGE_CLIENT_ID: bridgeClientId })
  let bus: Bus
  let bridge: RunningBridge

  beforeAll(async () => {
    await registerDevice(config, { id: tightId, tenant: 'tight', format: 'senml' })
    await registerDevice(config, { id: otherId, tenant: 'roomy', format: 'senml' })
    bus = new KafkaBus(config.kafka, testLogger)
    await bus.ensureTopics(pipelineTopics(config.bus))
    bridge = await startBridge({ config, registry: new FileRegistry(config.registryFile), ingest: new Ingest(bus, config.bus.topics), logger: testLogger })
  })
  afterAll(async () => {
    await bridge?.close()
    await (await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId: bridgeClientId, clean: true })).endAsync()
    await bus?.close()
    cleanup()
  })

  test("a device over its rate or payload limit is dead-lettered with the reason and counted, and another tenant's device is not slowed down", async () => {
    const publisher = await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId: `bridge-limits-pub-${id}` })
    const oversized = JSON.stringify([{ bn: `urn:dev:${tightId}:`, n: 'temperature', u: 'Cel', v: 1, vs: 'x'.repeat(300) }])
    const tight = Array.from({ length: 5 }, (_, i) => JSON.stringify([{ bn: `urn:dev:${tightId}:`, n: 'temperature', u: 'Cel', v: i }]))
    const other = Array.from({ length: 20 }, (_, i) => JSON.stringify([{ bn: `urn:dev:${otherId}:`, n: 'temperature', u: 'Cel', v: i }]))
    const started = Date.now()
    await publisher.publishAsync(`devices/${tightId}/senml`, oversized, { qos: 1 })
    for (let i = 0; i < 20; i++) {
      if (i < tight.length) await publisher.publishAsync(`devices/${tightId}/senml`, tight[i]!, { qos: 1 })
      await publisher.publishAsync(`devices/${otherId}/senml`, other[i]!, { qos: 1 })
    }
    await publisher.endAsync()

    const raw = await collectTopic(config, config.bus.topics.raw, (records) => other.every((p) => records.some((r) => r.value.toString() === p)))
    // The burst of two goes through; at 0.2 per second nothing more is earned within the test.
    expect(raw.filter((r) => r.key === tightId).map((r) => r.value.toString())).toEqual(tight.slice(0, 2))
    expect(raw.filter((r) => r.key === otherId)).toHaveLength(other.length)
    // Nothing waited for the slow device: all 26 messages crossed the bridge within a few seconds.
    expect(Date.now() - started).toBeLessThan(15_000)

    const deadLetters = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.filter((r) => r.key === tightId).length >= 4)
    const refused = deadLetters.filter((r) => r.key === tightId)
    expect(refused.map((r) => r.headers[header.dlqCode])).toEqual(['PAYLOAD_TOO_LARGE', 'TENANT_LIMIT_REACHED', 'TENANT_LIMIT_REACHED', 'TENANT_LIMIT_REACHED'])
    expect(refused.slice(1).map((r) => r.value.toString())).toEqual(tight.slice(2))
    // Of the oversized message only the first bytes are kept, and the reason says so.
    expect(refused[0]!.value.toString()).toBe(oversized.slice(0, 200))
    expect(refused[0]!.headers[header.dlqReasons]).toContain(`payload of ${oversized.length} bytes exceeds the tenant's limit of 200`)
    expect(refused[1]!.headers[header.dlqStage]).toBe('ingest')

    expect(bridge.counters.component).toBe('bridge')
    expect(bridge.counters.get('payload_too_large.tight')).toBe(1)
    expect(bridge.counters.get('rate_refused.tight')).toBe(3)
    expect(bridge.counters.get('rate_refused.roomy')).toBe(0)
  })
})
