import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { countStored, isolatedConfig, registerDevice, services, sumStored, temperaturePack, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

describe('store sink on InfluxDB: an outage of InfluxDB loses nothing and duplicates nothing', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-outage', kind: 'waste_container', format: 'senml' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'sink'])
  })
  afterAll(async () => {
    services('up', 'influxdb')
    await pipeline?.stop()
    cleanup()
  })

  test('readings published while InfluxDB is stopped are all stored exactly once after it comes back', async () => {
    const packs = 60
    const perPack = 10
    const start = Math.floor(Date.now() / 1000) - 3600
    const value = (p: number, i: number): number => p * perPack + i
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const publish = async (from: number, to: number): Promise<void> => {
      for (let p = from; p < to; p++) await client.publishAsync('devices/bin-outage/senml', temperaturePack('bin-outage', start + p * perPack, perPack, (i) => value(p, i)), { qos: 1 })
    }

    await publish(0, 20)
    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', 'bin-outage')) === 200, 20_000, 'the first 200 readings')

    services('down', 'influxdb')
    await publish(20, 60)
    // Give the sink time to fail and retry a few times against the stopped store.
    await new Promise((r) => setTimeout(r, 4000))
    services('up', 'influxdb')
    await client.endAsync()

    const total = packs * perPack
    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', 'bin-outage')) >= total, 60_000, `${total} readings`)
    // Settle, then check the count has not grown past the total and the values are the right ones.
    await new Promise((r) => setTimeout(r, 2000))
    expect(await countStored(config, 'waste_container', 'temperature_c', 'bin-outage')).toBe(total)
    expect(await sumStored(config, 'waste_container', 'temperature_c', 'bin-outage')).toBe((total * (total - 1)) / 2)
    const sink = pipeline.platform.counters.find((c) => c.component === 'store-sink')!
    expect(sink.get('writeRetries')).toBeGreaterThan(0)
  })
})
