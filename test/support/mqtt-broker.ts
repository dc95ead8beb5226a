import { createServer, type Server } from 'node:net'
import { Aedes, type AedesOptions } from 'aedes'

export interface TestMqttBroker {
  readonly port: number
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string
  /** Client ids that connected, in order. */
  readonly clients: Set<string>
  /** Every message a client published, as `<client id> <topic> <payload>`, in arrival order. */
  readonly published: string[]
  close(): Promise<void>
}

export interface TestMqttBrokerOptions {
  /** A port of the test's choosing, e.g. one a client already retries; default any free one. */
  readonly port?: number
  /** Username → password the broker accepts (CONNACK 4 otherwise); unset, it lets every client in. */
  readonly secrets?: ReadonlyMap<string, string>
  /** Runs before a message is accepted; for QoS 1 the PUBACK waits for its callback. */
  readonly authorizePublish?: AedesOptions['authorizePublish']
}

/**
 * A real MQTT broker in the test's process: aedes, as the platform's broker uses, on 127.0.0.1,
 * for code that publishes to a broker without needing the platform's own.
 */
export async function startMqttBroker(options: TestMqttBrokerOptions = {}): Promise<TestMqttBroker> {
  const { secrets, authorizePublish } = options
  const aedes = await Aedes.createBroker({
    ...(secrets
      ? {
          authenticate: (_client, username, password, done) => {
            if (username !== undefined && secrets.get(username) === password?.toString()) return done(null, true)
            done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false)
          },
        }
      : {}),
    ...(authorizePublish ? { authorizePublish } : {}),
  })
  const clients = new Set<string>()
  const published: string[] = []
  aedes.on('client', (client) => clients.add(client.id))
  aedes.on('publish', (packet, client) => {
    if (client) published.push(`${client.id} ${packet.topic} ${packet.payload.toString()}`)
  })
  const server: Server = createServer((socket) => aedes.handle(socket))
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    clients,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        server.close()
        aedes.close(() => resolve())
      }),
  }
}
