import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { countStored, isolatedConfig, registerDevice, sumStored, temperaturePack, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

describe('processors killed mid-stream and restarted: nothing lost, nothing counted twice', () => {
  const { config, env, cleanup } = isolatedConfig()
  let broker: InProcessPipeline
  let bin: TestDevice
  const children: Running[] = []
  const startProcessors = (): void => {
    children.push(spawnCircular(['process', 'normaliser'], env), spawnCircular(['process', 'store-sink'], env), spawnCircular(['process', 'footprint'], env))
  }

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-crash', kind: 'waste_container', format: 'senml' })
    broker = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill('SIGTERM')))
    await broker?.stop()
    cleanup()
  })

  test('SIGKILL of the normaliser, the sink and the footprint processor while devices publish loses no reading and counts none twice', async () => {
    const packs = 150
    const perPack = 10
    const total = packs * perPack
    const start = Math.floor(Date.now() / 1000) - 7200
    startProcessors()
    const client = await mqtt.connectAsync(broker.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const publish = async (from: number, to: number): Promise<void> => {
      for (let p = from; p < to; p++) {
        await client.publishAsync('devices/bin-crash/senml', temperaturePack('bin-crash', start + p * perPack, perPack, (i) => (p * perPack + i) / 2), { qos: 1 })
      }
    }

    await publish(0, 50)
    // Kill once the processors are demonstrably mid-stream: some, not all, of the first part stored.
    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', 'bin-crash')) > 0, 60_000, 'first stored readings')
    const publishing = publish(50, 100)
    await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')))
    await publishing
    startProcessors()
    await publish(100, packs)
    await client.endAsync()

    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', 'bin-crash')) >= total, 90_000, `${total} readings after the restart`)
    await new Promise((r) => setTimeout(r, 2000))
    expect(await countStored(config, 'waste_container', 'temperature_c', 'bin-crash')).toBe(total)
    expect(await sumStored(config, 'waste_container', 'temperature_c', 'bin-crash')).toBe((total * (total - 1)) / 4)
    // The store overwrites a replayed point, so the counts above cannot show a reading counted
    // twice; the rollups add up what they are given, and a message applied twice would show there.
    await waitFor(async () => (await rollupReadings('hour')) >= total, 60_000, `rollups of ${total} readings`)
    await new Promise((r) => setTimeout(r, 2000))
    expect(await rollupReadings('hour')).toBe(total)
    expect(await rollupReadings('day')).toBe(total)
  })

  /** Readings the footprint rollups counted for the device, over every window of one interval. */
  const rollupReadings = async (interval: 'hour' | 'day'): Promise<number> => {
    const q = `SELECT sum("readings") FROM "telemetry_rollup" WHERE "device" = 'bin-crash' AND "interval" = '${interval}'`
    const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
    const body = (await response.json()) as { results: { series?: { values: [string, number][] }[] }[] }
    return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
  }
})
