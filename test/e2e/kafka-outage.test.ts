import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { recordsWritten, withKafkaAdmin } from '../support/kafka-admin.js'
import { countStored, isolatedConfig, registerDevice, services, temperaturePack, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

/**
 * Kafka killed with SIGKILL while a fleet publishes QoS 1 through the broker, with the normaliser,
 * the store sink and the footprint processor in processes of their own. The devices resend what
 * was not acknowledged, so the bus may hold repeats; no stored reading and no rollup may count one.
 */
describe('Kafka killed (SIGKILL) and started again while devices publish: every figure reconciles', () => {
  const { config, env, cleanup } = isolatedConfig()
  const fleet = 20
  const packs = 60
  const perPack = 5
  let broker: InProcessPipeline
  const devices: TestDevice[] = []
  const children: Running[] = []

  beforeAll(async () => {
    for (let i = 0; i < fleet; i++) devices.push(await registerDevice(config, { id: `bin-out-${i}`, kind: 'waste_container', format: 'senml' }))
    broker = await startInProcess(config, ['broker'])
    children.push(spawnCircular(['process', 'normaliser'], env), spawnCircular(['process', 'store-sink'], env), spawnCircular(['process', 'footprint'], env))
  }, 120_000)
  afterAll(async () => {
    services('up', 'kafka')
    await Promise.all(children.map((c) => c.kill('SIGTERM')))
    await broker?.stop()
    cleanup()
  }, 120_000)

  test('stored readings and rollup counts per device equal what the devices published, however often they resent it', async () => {
    const start = Math.floor(Date.now() / 1000) - 7200
    const clients: MqttClient[] = await Promise.all(
      devices.map((d) => mqtt.connectAsync(broker.mqttUrl, { clientId: d.device.id, username: d.device.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 1000, connectTimeout: 5000 })),
    )
    const rollup = async (device: string, interval: 'hour' | 'day'): Promise<number> => {
      const q = `SELECT sum("readings") FROM "telemetry_rollup" WHERE "device" = '${device}' AND "interval" = '${interval}'`
      const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
      const body = (await response.json()) as { results: { series?: { values: [string, number][] }[] }[] }
      return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
    }
    let acknowledged = 0
    // Each device: one pack every 500 ms, the next only once the last is acknowledged (QoS 1), with timestamps of its own.
    const publishing = devices.map(async (d, i) => {
      for (let p = 0; p < packs; p++) {
        await clients[i]!.publishAsync(`devices/${d.device.id}/senml`, temperaturePack(d.device.id, start + p * perPack, perPack, (k) => p * perPack + k), { qos: 1 })
        acknowledged++
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    })
    // Killed only once the whole pipeline demonstrably runs: readings stored and rolled up.
    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', devices[0]!.device.id)) > 0 && (await rollup(devices[0]!.device.id, 'day')) > 0, 90_000, 'the pipeline under way')
    const kafkaPid = Number(readFileSync('.local/kafka/kafka.pid', 'utf8').trim())
    process.kill(kafkaPid, 'SIGKILL')
    await new Promise((resolve) => setTimeout(resolve, 20_000))
    services('up', 'kafka')
    await Promise.all(publishing)
    await Promise.all(clients.map((c) => c.endAsync()))
    expect(acknowledged).toBe(fleet * packs)

    const total = packs * perPack
    for (const d of devices) {
      await waitFor(async () => (await rollup(d.device.id, 'day')) >= total && (await countStored(config, 'waste_container', 'temperature_c', d.device.id)) >= total, 120_000, `${d.device.id} stored and rolled up`)
    }
    // Settle: a repeat still on its way would show now.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    for (const d of devices) {
      expect(await countStored(config, 'waste_container', 'temperature_c', d.device.id), d.device.id).toBe(total)
      expect(await rollup(d.device.id, 'hour'), d.device.id).toBe(total)
      expect(await rollup(d.device.id, 'day'), d.device.id).toBe(total)
    }
    // On the bus every acknowledged message is there at least once; repeats are allowed there, and only there.
    const [raw, readings] = await withKafkaAdmin(config.kafka.brokers, async (admin) => [await recordsWritten(admin, config.bus.topics.raw), await recordsWritten(admin, config.bus.topics.readings)])
    expect(raw).toBeGreaterThanOrEqual(fleet * packs)
    expect(readings).toBeGreaterThanOrEqual(fleet * packs)
  }, 300_000)
})
