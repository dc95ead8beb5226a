import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Config } from '../../core/config.js'
import type { DeviceKind } from '../../models/reading.js'
import { grantReplayAllowance } from '../../simulator/replay-allowance.js'
import { startSimulation } from '../../simulator/simulation.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { isolatedConfig, testLogger, waitFor } from '../support/pipeline.js'

/** Stored points per device kind and measurement, straight from InfluxDB. */
async function storedByKind(config: Config): Promise<Record<string, number>> {
  const q = 'SELECT count(*) FROM "waste_container", "energy_ac", "utility_meter", "waste_weighing", "device_health" GROUP BY "kind"'
  const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
  const body = (await response.json()) as { results: { series?: { name: string; tags: { kind: string }; values: (string | number)[][] }[] }[] }
  const out: Record<string, number> = {}
  for (const s of body.results[0]?.series ?? []) out[`${s.tags.kind}/${s.name}`] = Math.max(...s.values[0]!.slice(1).map(Number))
  return out
}

describe('startSimulation against the real broker, normaliser and InfluxDB sink', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline

  beforeAll(async () => {
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'sink'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  const counter = (component: string, name: string): number => pipeline.platform.counters.find((c) => c.component === component)?.snapshot()[name] ?? 0

  test('a day of the city replayed at speed should be acknowledged, decoded without a dead letter and stored for every device kind', async () => {
    grantReplayAllowance(config.auth.tenantsFile, 'demo-city')
    const simulation = await startSimulation({ url: pipeline.mqttUrl, registryFile: config.registryFile, historyHours: 24, speed: 40_000, seed: 3 }, testLogger)
    try {
      await waitFor(() => simulation.stats().caughtUp && simulation.stats().inFlight === 0, 45_000, 'the simulated history to be published and acknowledged')
    } finally {
      await simulation.stop()
    }
    const stats = simulation.stats()
    expect(stats).toMatchObject({ tenant: 'demo-city', devices: 16, failed: 0, inFlight: 0 })
    expect(stats.acknowledged).toBe(stats.published)
    const kinds: DeviceKind[] = ['waste_container', 'energy_meter', 'heat_meter', 'gas_meter', 'weighing_device']
    for (const kind of kinds) expect(stats.publishedByKind[kind], kind).toBeGreaterThan(0)

    // A PUBACK means Kafka has the message; the normaliser and the sink follow.
    await waitFor(() => counter('normaliser', 'received') >= stats.published, 30_000, 'the normaliser to read every message')
    expect(counter('normaliser', 'deadLettered')).toBe(0)
    expect(counter('normaliser', 'accepted')).toBe(stats.published)
    await waitFor(() => counter('store-sink', 'stored') >= counter('normaliser', 'readings'), 30_000, 'the sink to store every reading')

    const stored = await storedByKind(config)
    expect(Object.keys(stored).sort()).toEqual([
      'energy_meter/energy_ac',
      'gas_meter/utility_meter',
      'heat_meter/utility_meter',
      'waste_container/device_health',
      'waste_container/waste_container',
      'weighing_device/waste_weighing',
    ])
    // Every container message carries fill level, temperature, weight and status.
    expect(stored['waste_container/waste_container']).toBe(stats.publishedByKind.waste_container)
    expect(stored['weighing_device/waste_weighing']).toBe(stats.publishedByKind.weighing_device)
  })
})
