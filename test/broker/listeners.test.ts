import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { startListeners, type Connection, type Listener } from '../../broker/listeners.js'
import { loadConfig } from '../../core/config.js'
import { createTestCa, type TestCa } from '../support/test-ca.js'

/** What the broker's connection handler saw of one accepted socket. */
interface Accepted {
  readonly tls: boolean
  readonly authorized?: boolean
  readonly peer?: string
}

describe('broker listeners', () => {
  let ca: TestCa
  let listeners: Listener[] = []
  const accepted: Accepted[] = []
  const handle = ({ stream }: Connection): void => {
    const socket = stream as Socket
    const tls = 'encrypted' in socket
    const cn: unknown = tls ? (socket as TLSSocket).getPeerCertificate().subject?.CN : undefined
    const peer = typeof cn === 'string' ? cn : undefined
    accepted.push({ tls, ...(tls ? { authorized: (socket as TLSSocket).authorized } : {}), ...(peer !== undefined ? { peer } : {}) })
    socket.end('hello')
  }
  const start = async (env: Record<string, string>): Promise<Listener[]> => (listeners = await startListeners(loadConfig(env).mqtt, handle))
  const tlsEnv = (clientCerts: 'off' | 'optional' | 'required', plain = 'false'): Record<string, string> => ({
    MQTT_PLAIN: plain,
    MQTT_PORT: '0',
    MQTT_TLS_PORT: '0',
    MQTT_TLS_CERT_FILE: ca.server.certFile,
    MQTT_TLS_KEY_FILE: ca.server.keyFile,
    MQTT_TLS_CA_FILE: ca.caFile,
    MQTT_TLS_CLIENT_CERTS: clientCerts,
  })

  /** Connects over TLS, trusting the test CA; resolves with what the server sent, or the error. */
  const overTls = (port: number, client?: { cert: string; key: string }): Promise<string> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = []
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: ca.caPem, servername: 'localhost', ...client })
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('error', (error: Error) => resolve(`error: ${error.message}`))
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    })
  const plainly = (port: number): Promise<string> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = []
      const socket = netConnect({ host: '127.0.0.1', port })
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('error', (error: Error) => resolve(`error: ${error.message}`))
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    })

  beforeAll(() => {
    ca = createTestCa()
  })
  afterEach(async () => {
    await Promise.all(listeners.map((l) => new Promise((resolve) => l.server.close(resolve))))
    listeners = []
    accepted.length = 0
  })
  afterAll(() => ca.cleanup())

  test('plain MQTT alone should listen where configured and hand each connection to the broker', async () => {
    const [plain, ...others] = await start({ MQTT_PORT: '0' })
    expect(others).toEqual([])
    expect(plain).toMatchObject({ url: `mqtt://127.0.0.1:${plain!.port}`, moved: false })
    expect(await plainly(plain!.port)).toBe('hello')
    expect(accepted).toEqual([{ tls: false }])
  })

  test('with a certificate, the TLS listener should come after the plain one, and only it with plain MQTT off', async () => {
    const both = await start(tlsEnv('off', 'true'))
    expect(both.map((l) => l.url)).toEqual([`mqtt://127.0.0.1:${both[0]!.port}`, `mqtts://127.0.0.1:${both[1]!.port}`])
    await Promise.all(both.map((l) => new Promise((resolve) => l.server.close(resolve))))
    const tlsOnly = await start(tlsEnv('off'))
    expect(tlsOnly.map((l) => l.url)).toEqual([`mqtts://127.0.0.1:${tlsOnly[0]!.port}`])
    expect(await overTls(tlsOnly[0]!.port)).toBe('hello')
    // With client certificates off, none is asked for: the handler sees no peer.
    expect(accepted).toEqual([{ tls: true, authorized: false }])
  })

  test('with client certificates optional, a client without one should be let in unverified, and one from the CA verified by name', async () => {
    const [listener] = await start(tlsEnv('optional'))
    expect(await overTls(listener!.port)).toBe('hello')
    expect(await overTls(listener!.port, ca.client('bin-7'))).toBe('hello')
    expect(await overTls(listener!.port, ca.foreignClient('bin-8'))).toBe('hello')
    expect(accepted).toEqual([{ tls: true, authorized: false }, { tls: true, authorized: true, peer: 'bin-7' }, { tls: true, authorized: false, peer: 'bin-8' }])
  })

  test('with client certificates required, the handshake should fail without one from the CA, and succeed with one', async () => {
    const [listener] = await start(tlsEnv('required'))
    expect(await overTls(listener!.port)).not.toBe('hello')
    expect(await overTls(listener!.port, ca.foreignClient('bin-8'))).not.toBe('hello')
    expect(await overTls(listener!.port, ca.client('bin-7'))).toBe('hello')
    expect(accepted).toEqual([{ tls: true, authorized: true, peer: 'bin-7' }])
  })
})
