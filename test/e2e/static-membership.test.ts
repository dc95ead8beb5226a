import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { recordsWritten, withKafkaAdmin } from '../support/kafka-admin.js'
import { isolatedConfig, registerDevice, temperaturePack, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

/**
 * A processor that crashed keeps its place in the group for the session timeout. Started again
 * with the same KAFKA_INSTANCE_ID it takes that place back at once; without one it would be a new
 * member, and the group would wait out the dead member's session (a minute here) first.
 */
describe('static group membership: a processor killed and started again under the same KAFKA_INSTANCE_ID', () => {
  const sessionTimeoutMs = 60_000
  const { config, env, cleanup } = isolatedConfig({ KAFKA_SESSION_TIMEOUT_MS: String(sessionTimeoutMs), KAFKA_INSTANCE_ID: 'normaliser-0' })
  let broker: InProcessPipeline
  let bin: TestDevice
  let normaliser: Running | undefined

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-static', kind: 'waste_container', format: 'senml' })
    broker = await startInProcess(config, ['broker'])
  })
  afterAll(async () => {
    await normaliser?.kill('SIGTERM')
    await broker?.stop()
    cleanup()
  })

  test('takes its partitions back long before the session timeout', async () => {
    const client = await mqtt.connectAsync(broker.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const start = Math.floor(Date.now() / 1000) - 600
    const readings = () => withKafkaAdmin(config.kafka.brokers, (admin) => recordsWritten(admin, config.bus.topics.readings))
    try {
      normaliser = spawnCircular(['process', 'normaliser'], env)
      await client.publishAsync('devices/bin-static/senml', temperaturePack('bin-static', start, 5, (i) => i), { qos: 1 })
      await waitFor(async () => (await readings()) >= 1, 60_000, 'the first pack normalised')

      await normaliser.kill('SIGKILL')
      normaliser = spawnCircular(['process', 'normaliser'], env)
      const restartedAt = Date.now()
      await client.publishAsync('devices/bin-static/senml', temperaturePack('bin-static', start + 5, 5, (i) => i), { qos: 1 })
      // A third of the session timeout: a new member would still be waiting for the old one to time out.
      await waitFor(async () => (await readings()) >= 2, sessionTimeoutMs / 3, 'the pack published after the restart normalised')
      expect(Date.now() - restartedAt).toBeLessThan(sessionTimeoutMs / 3)
    } finally {
      await client.endAsync()
    }
  }, 120_000)
})
