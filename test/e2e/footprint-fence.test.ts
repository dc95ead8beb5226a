import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { logLines, spawnCircular, start, type Running } from '../support/circular-process.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { countStored, isolatedConfig, registerDevice, temperaturePack, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

describe('a footprint processor frozen mid-batch while the group moves on', () => {
  // The broker's smallest session timeout: the frozen member is dropped soon.
  const { config, env, cleanup } = isolatedConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000', CIRCULAR_LOG_LEVEL: 'info' })
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let zombie: Running | undefined
  let successor: Running | undefined

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-fence', kind: 'waste_container', format: 'senml' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'sink'])
  })
  afterAll(async () => {
    if (zombie?.process.pid && zombie.process.exitCode === null) zombie.process.kill('SIGCONT')
    await Promise.all([zombie?.kill('SIGKILL'), successor?.kill('SIGTERM')])
    await pipeline?.stop()
    cleanup()
  })

  test('its late outputs and state, written after the successor advanced, change no figure: the rollups count every reading once', async () => {
    const perPack = 10
    // Every reading in one hour window, so that a stale rollup written late would overwrite the successor's.
    const hour = Math.floor(Date.now() / 3_600_000) * 3600 - 3600
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const publish = async (from: number, to: number): Promise<void> => {
      for (let p = from; p < to; p++) await client.publishAsync('devices/bin-fence/senml', temperaturePack('bin-fence', hour + p * perPack, perPack, (i) => p * perPack + i), { qos: 1 })
    }
    await publish(0, 20)
    await waitFor(async () => (await countStored(config, 'waste_container', 'temperature_c', 'bin-fence')) >= 200, 60_000, 'the first 200 readings stored')

    zombie = start(['--import', 'tsx', 'test/support/footprint-zombie.ts'], { ...process.env, ...env } as Record<string, string>, { echo: true })
    await zombie.waitForOutput(/^FROZEN$/m, 60_000)
    // Frozen with its first outputs in hand; the group drops it once its session runs out.
    await publish(20, 40)
    await client.endAsync()
    successor = spawnCircular(['process', 'footprint'], env)
    await waitFor(async () => (await rollupReadings()) >= 400, 90_000, 'the successor rolling up all 400 readings')
    expect(await rollupReadings()).toBe(400)

    // Thawed: it finishes the batch it held and tries to commit it, under the generation it was fetched in.
    zombie.process.kill('SIGCONT')
    await zombie.waitForOutput(/batch not committed/, 20_000).catch(() => undefined)
    // Whatever it does next (rejoin, reload, handle nothing), no figure moves.
    await new Promise((resolve) => setTimeout(resolve, 6000))
    expect(await rollupReadings()).toBe(400)
    expect(await rollupReadings('day')).toBe(400)
    // Nothing it wrote became visible: in the order readers see them, the device's states never go
    // back to an older offset, and its hourly rollup never to a smaller count.
    const bus = new KafkaBus(config.kafka, testLogger)
    try {
      const states = (await bus.readAll(config.bus.topics.footprintState)).filter((r) => r.key === 'bin-fence' && !r.tombstone)
      const offsets = states.map((r) => Number((JSON.parse(r.value.toString()) as { offset: string }).offset))
      expect(offsets.length).toBeGreaterThan(0)
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
      const hourly = (await bus.readAll(config.bus.topics.footprintPoints))
        .flatMap((r) => (JSON.parse(r.value.toString()) as { points: { measurement: string; tags: Record<string, string>; fields: Record<string, number> }[] }).points)
        .filter((p) => p.measurement === 'telemetry_rollup' && p.tags.interval === 'hour')
        .map((p) => p.fields.readings!)
      expect(hourly.at(-1)).toBe(400)
      expect(hourly).toEqual([...hourly].sort((a, b) => a - b))
    } finally {
      await bus.close()
    }
    const refusal = logLines(zombie.stdout()).find((l) => String(l.msg).startsWith('batch not committed'))
    expect(JSON.stringify(refusal)).toMatch(/BUS_COMMIT_REFUSED/)
  }, 180_000)

  /** Readings the footprint rollups counted for the device over every window of one interval. */
  const rollupReadings = async (interval: 'hour' | 'day' = 'hour'): Promise<number> => {
    const q = `SELECT sum("readings") FROM "telemetry_rollup" WHERE "device" = 'bin-fence' AND "interval" = '${interval}'`
    const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
    const body = (await response.json()) as { results: { series?: { values: [string, number][] }[] }[] }
    return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
  }
})
