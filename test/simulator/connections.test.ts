import { afterEach, describe, expect, test } from 'vitest'
import { FleetConnections } from '../../simulator/connections.js'
import { capturedLogger } from '../support/log-capture.js'
import { startMqttBroker } from '../support/mqtt-broker.js'
import { freePort } from '../support/platform-child.js'
import { waitFor } from '../support/pipeline.js'

const secrets = new Map([
  ['bin-1', 's1'],
  ['bin-2', 's2'],
  ['meter-1', 's3'],
])
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('FleetConnections', () => {
  test('should connect every device with its own client id and credentials, and publish at QoS 1 through it', async () => {
    const port = await freePort()
    const broker = await startMqttBroker({ port, secrets })
    cleanups.push(() => broker.close())
    const { logger } = capturedLogger('debug')
    const fleet = new FleetConnections(`mqtt://127.0.0.1:${port}`, logger)
    cleanups.push(() => fleet.close(true))
    await fleet.connect(secrets)
    await fleet.client('bin-2').publishAsync('devices/bin-2/senml', '[]', { qos: 1 })
    expect(broker.published).toContain('bin-2 devices/bin-2/senml []')
    expect(() => fleet.client('bin-9')).toThrow('device bin-9 is not connected')
    await fleet.close(false)
    expect(fleet.client('bin-1').connected).toBe(false)
  })

  test('a device the broker refuses should fail the connect at once as CONFIG_INVALID, naming the device', async () => {
    const port = await freePort()
    const broker = await startMqttBroker({ port, secrets: new Map([...secrets, ['bin-2', 'another secret']]) })
    cleanups.push(() => broker.close())
    const fleet = new FleetConnections(`mqtt://127.0.0.1:${port}`, capturedLogger('debug').logger)
    cleanups.push(() => fleet.close(true))
    const started = Date.now()
    const refusal = await fleet.connect(secrets).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refusal).toMatchObject({ code: 'CONFIG_INVALID', details: { deviceId: 'bin-2' } })
    expect((refusal as Error).message).toMatch(new RegExp(`^the broker at mqtt://127\\.0\\.0\\.1:${port} refused device bin-2 \\(.+\\); does it use the same registry file\\?$`))
    // Refused, not retried until the connect timeout.
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('a broker that is not up yet should be waited for, logged once for the fleet, and its arrival logged once too', async () => {
    const port = await freePort()
    const { logger, lines } = capturedLogger('debug')
    const fleet = new FleetConnections(`mqtt://127.0.0.1:${port}`, logger)
    cleanups.push(() => fleet.close(true))
    const connecting = fleet.connect(secrets)
    await waitFor(() => fleet.reconnects > 0, 10_000, 'a reconnect attempt')
    const broker = await startMqttBroker({ port, secrets })
    cleanups.push(() => broker.close())
    await connecting
    const said = (msg: string) => lines.filter((l) => l.msg === msg)
    expect(said('MQTT broker unreachable; devices keep retrying and resend unacknowledged messages')).toHaveLength(1)
    expect(said('MQTT broker unreachable; devices keep retrying and resend unacknowledged messages')[0]?.level).toBe(40)
    await waitFor(() => said('every simulated device is connected to the MQTT broker').length === 1, 5000, 'the all-connected note')
  })
})
