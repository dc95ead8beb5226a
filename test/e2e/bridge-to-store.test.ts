import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { randomBytes } from 'node:crypto'
import { header } from '../../core/bus/topics.js'
import { startBridgeComponent, type Started } from '../../cli/components.js'
import { collectTopic, countStored, isolatedConfig, registerDevice, waitFor } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

// Mosquitto runs on 127.0.0.1:1883 on these machines; the bridge carries its telemetry into Kafka.
const mosquittoUrl = process.env.CIRCULAR_TEST_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883'

describe('bridge: a device publishing to an external broker (Mosquitto) reaches InfluxDB', () => {
  const bridgeClientId = `circular-bridge-test-${randomBytes(3).toString('hex')}`
  const { config, cleanup } = isolatedConfig({ BRIDGE_MQTT_URL: mosquittoUrl, BRIDGE_CLIENT_ID: bridgeClientId })
  let processors: InProcessPipeline
  let bridge: Started

  beforeAll(async () => {
    await registerDevice(config, { id: 'bridged-bin', kind: 'waste_container', format: 'senml' })
    processors = await startInProcess(config, ['normaliser', 'sink'])
    bridge = await startBridgeComponent(processors.platform)
  })
  afterAll(async () => {
    await bridge?.stop()
    // End the bridge's persistent session, so Mosquitto stops queueing for it.
    await (await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId: bridgeClientId, clean: true })).endAsync()
    await processors?.stop()
    cleanup()
  })

  test('SenML published to Mosquitto is stored; a message of an unregistered device is dead-lettered', async () => {
    const start = Math.floor(Date.now() / 1000) - 300
    const device = await mqtt.connectAsync(mosquittoUrl, { protocolVersion: 4, clientId: `bridged-bin-${randomBytes(3).toString('hex')}` })
    for (let i = 0; i < 5; i++) {
      await device.publishAsync('devices/bridged-bin/senml', JSON.stringify([{ bn: 'urn:dev:bridged-bin:', bt: start + i, n: 'fillingLevel', u: '/', v: i / 10 }]), { qos: 1 })
    }
    const stranger = JSON.stringify([{ n: 'fillingLevel', u: '/', v: 0.9 }])
    await device.publishAsync('devices/not-registered/senml', stranger, { qos: 1 })
    await device.endAsync()

    await waitFor(async () => (await countStored(config, 'waste_container', 'filling_level', 'bridged-bin')) === 5, 30_000, 'five bridged readings')
    const deadLetters = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.some((r) => r.value.toString() === stranger))
    const record = deadLetters.find((r) => r.value.toString() === stranger)!
    expect(record.headers).toMatchObject({ [header.dlqStage]: 'ingest', [header.dlqCode]: 'DEVICE_UNKNOWN', [header.mqttTopic]: 'devices/not-registered/senml' })
  })
})
