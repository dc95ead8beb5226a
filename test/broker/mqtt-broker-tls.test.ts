import type { Bus } from '../../core/bus/bus.js'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startBroker, type RunningBroker } from '../../broker/mqtt-broker.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { Ingest } from '../../ingest/ingest.js'
import { collectTopic, isolatedConfig, registerDevice, testLogger, type TestDevice } from '../support/pipeline.js'
import { createTestCa, type TestCa } from '../support/test-ca.js'

/** An MQTT 3.1.1 CONNECT packet with user name and password, written by hand to send over a raw socket. */
function mqttConnectPacket(clientId: string, username: string, password: string): Buffer {
  const field = (text: string): Buffer => {
    const bytes = Buffer.from(text)
    return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes])
  }
  const body = Buffer.concat([field('MQTT'), Buffer.from([4, 0xc2, 0, 30]), field(clientId), field(username), field(password)])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

describe('MQTT over TLS with a test CA, client certificates, plain listener off', () => {
  let ca: TestCa
  let broker: RunningBroker
  let bus: Bus
  let device: TestDevice
  let other: TestDevice
  let cleanup: () => void
  let config: ReturnType<typeof isolatedConfig>['config']

  beforeAll(async () => {
    ca = createTestCa()
    const isolated = isolatedConfig({
      MQTT_PLAIN: 'false',
      MQTT_TLS_PORT: '0',
      MQTT_TLS_CERT_FILE: ca.server.certFile,
      MQTT_TLS_KEY_FILE: ca.server.keyFile,
      MQTT_TLS_CA_FILE: ca.caFile,
      MQTT_TLS_CLIENT_CERTS: 'optional',
    })
    config = isolated.config
    cleanup = isolated.cleanup
    device = await registerDevice(config, { id: 'tls-bin' })
    other = await registerDevice(config, { id: 'tls-other', tenant: 'othercity' })
    bus = new KafkaBus(config.kafka, testLogger)
    await bus.ensureTopics(pipelineTopics(config.bus))
    broker = await startBroker({ config, registry: new FileRegistry(config.registryFile), ingest: new Ingest(bus, config.bus.topics), logger: testLogger })
  })
  afterAll(async () => {
    await broker?.close()
    await bus?.close()
    cleanup()
    ca.cleanup()
  })

  const url = (): string => `mqtts://127.0.0.1:${broker.tlsPort}`
  const connect = (options: mqtt.IClientOptions): Promise<MqttClient> =>
    mqtt.connectAsync(url(), { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ca: ca.caPem, ...options })

  test('only the TLS listener runs when MQTT_PLAIN=false', async () => {
    expect(broker.urls).toEqual([url()])
    expect(broker.port).toBe(broker.tlsPort)
    // A plain MQTT CONNECT on the TLS port gets no CONNACK (0x20): the server drops the connection.
    const connectPacket = mqttConnectPacket(device.device.id, device.device.id, device.secret)
    const answer = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      const socket = netConnect({ host: '127.0.0.1', port: broker.tlsPort! }, () => socket.write(connectPacket))
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('error', () => undefined)
      socket.on('close', () => resolve(Buffer.concat(chunks)))
    })
    expect(answer[0]).not.toBe(0x20)
  })

  test('a device with its secret over TLS verified against the test CA is accepted and its message reaches Kafka', async () => {
    const client = await connect({ clientId: device.device.id, username: device.device.id, password: device.secret })
    const payload = JSON.stringify([{ n: 'temperature', u: 'Cel', v: 20.5 }])
    await client.publishAsync(`devices/${device.device.id}/senml`, payload, { qos: 1 })
    await client.endAsync()
    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.some((r) => r.value.toString() === payload))
    expect(raw.find((r) => r.value.toString() === payload)?.headers).toMatchObject({ tenant: 'testcity', device: device.device.id })
  })

  test('a client that does not trust the server certificate refuses the connection', async () => {
    await expect(mqtt.connectAsync(url(), { reconnectPeriod: 0, connectTimeout: 3000, clientId: device.device.id, username: device.device.id, password: device.secret })).rejects.toThrow()
  })

  test('a client certificate from the CA whose CN is the device id logs the device in without a secret', async () => {
    const certificate = ca.client(device.device.id)
    const client = await connect({ clientId: device.device.id, cert: certificate.cert, key: certificate.key })
    await client.publishAsync(`devices/${device.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 21 }]), { qos: 1 })
    // The certificate names the device: it cannot speak for another one.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.publish(`devices/${other.device.id}/senml`, JSON.stringify([{ n: 'temperature', u: 'Cel', v: 99 }]), { qos: 1 })
    await closed
    client.end(true)
  })

  test("a certificate naming another device than the user name or client id, or from another CA, is refused", async () => {
    const certificate = ca.client(device.device.id)
    await expect(connect({ clientId: other.device.id, username: other.device.id, password: other.secret, cert: certificate.cert, key: certificate.key })).rejects.toMatchObject({ code: 4 })
    await expect(connect({ clientId: other.device.id, cert: certificate.cert, key: certificate.key })).rejects.toMatchObject({ code: 2 })
    const foreign = ca.foreignClient(device.device.id)
    // Not verified by the CA: no certificate login, and without a secret no login at all.
    await expect(connect({ clientId: device.device.id, cert: foreign.cert, key: foreign.key })).rejects.toMatchObject({ code: 4 })
  })

  test('with client certificates required, the TLS handshake fails without one', async () => {
    const isolated = isolatedConfig({ MQTT_PLAIN: 'false', MQTT_TLS_PORT: '0', MQTT_TLS_CERT_FILE: ca.server.certFile, MQTT_TLS_KEY_FILE: ca.server.keyFile, MQTT_TLS_CA_FILE: ca.caFile, MQTT_TLS_CLIENT_CERTS: 'required' })
    await registerDevice(isolated.config, { id: 'strict-bin' })
    const strict = await startBroker({ config: isolated.config, registry: new FileRegistry(isolated.config.registryFile), ingest: new Ingest(bus, config.bus.topics), logger: testLogger })
    try {
      const outcome = await new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: strict.tlsPort!, ca: ca.caPem, servername: 'localhost' }, () => socket.write(Buffer.from([0x10, 0x00])))
        socket.on('error', (error: Error) => resolve(`error: ${error.message}`))
        socket.on('close', () => resolve('closed'))
      })
      expect(outcome).toMatch(/error|closed/)
      const certificate = ca.client('strict-bin')
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${strict.tlsPort}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ca: ca.caPem, clientId: 'strict-bin', cert: certificate.cert, key: certificate.key })
      await client.endAsync()
    } finally {
      await strict.close()
      isolated.cleanup()
    }
  })
})
