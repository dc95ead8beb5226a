import { createServer, type Server } from 'node:net'
import { Writable } from 'node:stream'
import { Aedes } from 'aedes'
import { afterEach, describe, expect, test } from 'vitest'
import { createLogger } from '../../core/logger.js'
import { FleetConnections } from '../../simulator/connections.js'
import { freePort } from '../support/platform-child.js'
import { waitFor } from '../support/pipeline.js'

/** A real MQTT broker (aedes, as the platform's broker uses) that knows the given secrets. */
async function startBroker(port: number, secrets: ReadonlyMap<string, string>): Promise<{ published: string[]; close(): Promise<void> }> {
  const published: string[] = []
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (username !== undefined && secrets.get(username) === password?.toString()) return done(null, true)
      done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false)
    },
  })
  aedes.on('publish', (packet, client) => {
    if (client) published.push(`${client.id} ${packet.topic} ${packet.payload.toString()}`)
  })
  const server: Server = createServer((socket) => aedes.handle(socket))
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    published,
    close: () =>
      new Promise<void>((resolve) => {
        server.close()
        aedes.close(() => resolve())
      }),
  }
}

function logLines() {
  const lines: { level: number; msg: string }[] = []
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(...chunk.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; msg: string })), done()) })
  return { logger: createLogger('debug', 'test', sink), lines }
}

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
    const broker = await startBroker(port, secrets)
    cleanups.push(() => broker.close())
    const { logger } = logLines()
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
    const broker = await startBroker(port, new Map([...secrets, ['bin-2', 'another secret']]))
    cleanups.push(() => broker.close())
    const fleet = new FleetConnections(`mqtt://127.0.0.1:${port}`, logLines().logger)
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
    const { logger, lines } = logLines()
    const fleet = new FleetConnections(`mqtt://127.0.0.1:${port}`, logger)
    cleanups.push(() => fleet.close(true))
    const connecting = fleet.connect(secrets)
    await waitFor(() => fleet.reconnects > 0, 10_000, 'a reconnect attempt')
    const broker = await startBroker(port, secrets)
    cleanups.push(() => broker.close())
    await connecting
    const said = (msg: string) => lines.filter((l) => l.msg === msg)
    expect(said('MQTT broker unreachable; devices keep retrying and resend unacknowledged messages')).toHaveLength(1)
    expect(said('MQTT broker unreachable; devices keep retrying and resend unacknowledged messages')[0]?.level).toBe(40)
    await waitFor(() => said('every simulated device is connected to the MQTT broker').length === 1, 5000, 'the all-connected note')
  })
})
