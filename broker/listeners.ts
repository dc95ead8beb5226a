import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createServer, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer } from 'node:tls'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { Config } from '../core/config.js'
import { listenOn, listenPreferring } from './listen.js'

export interface Listener {
  readonly url: string
  readonly port: number
  /** True when the standard port was taken and another one was chosen. */
  readonly moved: boolean
  readonly server: Server
  /** The WebSocket server on `server`, for the WebSocket listeners. */
  readonly webSockets?: WebSocketServer
}

/** What a connection came in over, for the checks that depend on it. */
export interface Connection {
  readonly stream: Duplex
  readonly remoteAddress: string | undefined
  /** Over TLS (mqtts or wss). */
  readonly secure: boolean
  /** Over WebSocket: no client certificate is asked for there. */
  readonly webSocket: boolean
}

/** The HTTP path MQTT clients use over WebSocket (mqtt.js, Paho JavaScript, MQTT.fx). */
export const webSocketPath = '/mqtt'

/**
 * The broker's sockets: plain MQTT (unless `MQTT_PLAIN=false`), MQTT over TLS when a certificate
 * is configured, and MQTT over WebSocket (`MQTT_WS_PORT`) and secure WebSocket (`MQTT_WSS_PORT`,
 * the same certificate) when their ports are set. With client certificates on, the TLS server
 * asks for one and checks it against the CA; `required` refuses the handshake without a valid
 * one. A WebSocket carries the MQTT byte stream in binary frames (MQTT 3.1.1 §6, subprotocol
 * `mqtt`); frames above `maxFrameBytes` close the connection before they are buffered whole.
 */
export async function startListeners(config: Config['mqtt'], handle: (connection: Connection) => void): Promise<Listener[]> {
  const listeners: Listener[] = []
  if (config.plain) {
    const server = createServer((socket) => handle({ stream: socket, remoteAddress: socket.remoteAddress, secure: false, webSocket: false }))
    const { port, moved } = await listenPreferring(server, config.host, config.port, 1883)
    listeners.push({ url: `mqtt://${config.host}:${port}`, port, moved, server })
  }
  const tls = config.tls
  const certificate = tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: 'TLSv1.2' as const } : undefined
  if (tls && certificate) {
    const server = createTlsServer(
      { ...certificate, ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}), requestCert: tls.clientCerts !== 'off', rejectUnauthorized: tls.clientCerts === 'required' },
      (socket) => handle({ stream: socket, remoteAddress: socket.remoteAddress, secure: true, webSocket: false }),
    )
    const port = await listenOn(server, config.host, tls.port)
    listeners.push({ url: `mqtts://${config.host}:${port}`, port, moved: false, server })
  }
  const maxFrameBytes = config.maxPacketBytes + 16
  if (config.wsPort !== undefined) listeners.push(await webSocketListener(createHttpServer(), config.host, config.wsPort, 'ws', maxFrameBytes, handle))
  if (config.wssPort !== undefined && certificate) listeners.push(await webSocketListener(createHttpsServer(certificate), config.host, config.wssPort, 'wss', maxFrameBytes, handle))
  return listeners
}

async function webSocketListener(server: HttpServer | HttpsServer, host: string, port: number, scheme: 'ws' | 'wss', maxFrameBytes: number, handle: (connection: Connection) => void): Promise<Listener> {
  const webSockets = new WebSocketServer({
    server,
    path: webSocketPath,
    maxPayload: maxFrameBytes,
    // MQTT 3.1.1 §6: the subprotocol is "mqtt" ("mqttv3.1" for 3.1 clients); a client that names none is served too.
    handleProtocols: (protocols) => [...protocols].find((p) => p === 'mqtt' || p === 'mqttv3.1') ?? false,
  })
  webSockets.on('connection', (socket, request: IncomingMessage) => {
    const stream = createWebSocketStream(socket)
    stream.on('error', () => stream.destroy())
    handle({ stream, remoteAddress: request.socket.remoteAddress, secure: scheme === 'wss', webSocket: true })
  })
  const bound = await listenOn(server, host, port)
  return { url: `${scheme}://${host}:${bound}${webSocketPath}`, port: bound, moved: false, server, webSockets }
}
