import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { planFleet } from '../../simulator/fleet.js'
import { startMqttBroker } from '../support/mqtt-broker.js'
import { waitFor } from '../support/pipeline.js'
import { circular, runCircular, stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())

const brokers: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close()
})

describe('circular simulate', () => {
  test('an option out of range should be refused as CONFIG_INVALID naming it, before any device is registered', async () => {
    const stateDir = dirs.make()
    const seed = await runCircular(['simulate', '--url', 'mqtt://127.0.0.1:1', '--seed', '-1'], stateDir)
    expect(seed.code).toBe(1)
    expect(seed.stderr).toMatch(/^circular: CONFIG_INVALID: invalid simulator options: seed: /)
    const speed = await runCircular(['simulate', '--url', 'mqtt://127.0.0.1:1', '--speed', 'fast'], stateDir)
    expect(speed.code).toBe(1)
    expect(speed.stderr).toMatch(/^circular: CONFIG_INVALID: invalid simulator options: speed: /)
    expect(new FileRegistry(join(stateDir, 'registry.json')).list()).toEqual([])
  }, 30_000)

  test('should register the city in the registry given and publish from every device to the broker of MQTT_HOST and MQTT_PORT, until SIGTERM', async () => {
    const broker = await startMqttBroker()
    brokers.push(broker)
    const stateDir = dirs.make()
    const registryFile = join(stateDir, 'elsewhere', 'registry.json')
    const simulation = circular(['simulate', '--tenant', 'test-city', '--seed', '7', '--history-hours', '1', '--speed', '3600', '--registry', registryFile], stateDir, { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(broker.port) })
    const fleet = planFleet('test-city', 1, 7).map((p) => p.id).sort()
    await waitFor(() => broker.clients.size === fleet.length, 60_000, 'every simulated device to connect')
    expect([...broker.clients].sort()).toEqual(fleet)
    expect(new FileRegistry(registryFile).list().map((d) => [d.id, d.tenant]).sort()).toEqual(fleet.map((id) => [id, 'test-city']))
    await waitFor(() => broker.published.length > fleet.length, 60_000, 'the replayed hour to be published')
    simulation.process.kill('SIGTERM')
    const { code } = await simulation.finished
    expect(code).toBe(0)
  }, 120_000)
})
