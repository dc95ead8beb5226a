import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../core/config.js'
import type { Device } from '../../core/registry/device.js'
import type { DeviceRegistry } from '../../core/registry/registry.js'
import { startBridge, subscriptionFilters, type RunningBridge } from '../../ingest/bridge.js'
import type { AcceptedMessage, Ingest } from '../../ingest/ingest.js'
import { testLogger, waitFor } from '../support/pipeline.js'

const mosquittoUrl = process.env.CIRCULAR_TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883'

describe('bridge share group: several bridges split one stream between them', () => {
  const id = randomBytes(3).toString('hex')
  const deviceId = `shared-bin-${id}`
  const clientIds = [`bridge-share-test-${id}-a`, `bridge-share-test-${id}-b`]
  const device: Device = {
    id: deviceId,
    tenant: 'testcity',
    site: 'depot-1',
    kind: 'waste_container',
    format: 'senml',
    apiKey: 'testcity',
    secretHash: 'scrypt$unused',
    createdAt: new Date().toISOString(),
  }
  // Only this test's device is known, so traffic of anyone else on the shared Mosquitto is refused, not counted.
  const registry: DeviceRegistry = { get: (wanted) => (wanted === deviceId ? device : undefined), list: () => [device] }
  const received: string[][] = [[], []]
  const bridges: RunningBridge[] = []

  beforeAll(async () => {
    for (const [i, clientId] of clientIds.entries()) {
      const ingest = {
        accept: async (message: AcceptedMessage) => void received[i]!.push(message.payload.toString()),
        refuse: async () => undefined,
      } as unknown as Ingest
      const config = loadConfig({ BRIDGE_MQTT_URL: mosquittoUrl, BRIDGE_CLIENT_ID: clientId, BRIDGE_SHARE_GROUP: `share-test-${id}` })
      bridges.push(await startBridge({ config, registry, ingest, logger: testLogger }))
    }
  })
  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.close()))
    for (const clientId of clientIds) await (await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId, clean: true })).endAsync()
  })

  test('subscriptionFilters should prefix every filter with $share/<group>/ only when a group is set', () => {
    expect(subscriptionFilters(undefined)).toContain('devices/+/senml')
    expect(subscriptionFilters('g1')).toContain('$share/g1/devices/+/senml')
    expect(subscriptionFilters('g1').every((f) => f.startsWith('$share/g1/'))).toBe(true)
  })

  test('each message reaches exactly one of two bridges in the same share group, and both take part', async () => {
    const publisher = await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId: `${deviceId}-pub` })
    const sent = Array.from({ length: 40 }, (_, i) => JSON.stringify([{ bn: `urn:dev:${deviceId}:`, n: 'fillingLevel', u: '/', v: i / 100 }]))
    for (const payload of sent) await publisher.publishAsync(`devices/${deviceId}/senml`, payload, { qos: 1 })
    await publisher.endAsync()

    await waitFor(() => received[0]!.length + received[1]!.length >= sent.length, 20_000, 'all messages at the bridges')
    await new Promise((r) => setTimeout(r, 300))
    expect([...received[0]!, ...received[1]!].sort()).toEqual([...sent].sort())
    expect(received[0]!.length).toBeGreaterThan(0)
    expect(received[1]!.length).toBeGreaterThan(0)
  })
})
