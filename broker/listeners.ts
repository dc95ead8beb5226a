import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { Config } from '../core/config.js'
import { listenOn, listenPreferring } from './listen.js'

export interface Listener {
  readonly url: string
  readonly port: number
  /** True when the standard port was taken and another one was chosen. */
  readonly moved: boolean
  readonly server: Server
}

/**
 * The broker's sockets: plain MQTT (unless `MQTT_PLAIN=false`) and MQTT over TLS when a
 * certificate is configured. With client certificates on, the TLS server asks for one and checks
 * it against the CA; `required` refuses the handshake without a valid one.
 */
export async function startListeners(config: Config['mqtt'], handle: (socket: Socket) => void): Promise<Listener[]> {
  const listeners: Listener[] = []
  if (config.plain) {
    const server = createServer(handle)
    const { port, moved } = await listenPreferring(server, config.host, config.port, 1883)
    listeners.push({ url: `mqtt://${config.host}:${port}`, port, moved, server })
  }
  const tls = config.tls
  if (tls) {
    const server = createTlsServer(
      {
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        requestCert: tls.clientCerts !== 'off',
        rejectUnauthorized: tls.clientCerts === 'required',
        minVersion: 'TLSv1.2',
      },
      handle,
    )
    const port = await listenOn(server, config.host, tls.port)
    listeners.push({ url: `mqtts://${config.host}:${port}`, port, moved: false, server })
  }
  return listeners
}
