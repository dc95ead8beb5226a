import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { trackChild } from './teardown.js'

export interface RunningMosquitto {
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

/**
 * A private Mosquitto for the peer path, with the Debian package's settings (anonymous clients,
 * default queue and in-flight limits) on a port of its own: the shared one on 1883 also carries
 * other people's test traffic and bridge sessions, which would mix with the benchmark's.
 */
export async function startMosquitto(port: number, dir: string): Promise<RunningMosquitto> {
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'))
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  trackChild(child)
  child.stderr!.pipe(createWriteStream(join(dir, 'mosquitto.log')))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await waitForPort(port, 10_000)
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** The installed Mosquitto's version, from its usage text. */
export async function mosquittoVersion(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto', ['-h'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('close', () => resolve(/mosquitto version (\S+)/.exec(out)?.[1] ?? 'unknown'))
    child.on('error', () => resolve('not installed'))
  })
}

/**
 * Ends the persistent sessions the bridges leave behind: a connection with the same client id
 * and clean=true discards the session and whatever the broker still queued for it.
 */
export async function discardSessions(url: string, clientIds: readonly string[]): Promise<void> {
  for (const clientId of clientIds) {
    const client = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 })
    await client.endAsync()
  }
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end()
        resolve()
      })
      socket.on('error', () => {
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port} after ${timeoutMs} ms`))
        else setTimeout(attempt, 100)
      })
    }
    attempt()
  })
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
