import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { bearer } from './api-auth.js'
import { embeddedEnv, start } from './circular-process.js'
import { waitFor } from './pipeline.js'

/**
 * `circular start` as an operator runs it on a laptop: its own process, embedded bus and store
 * in its own state directory, and its stdout kept so a test can read the start-up banner.
 */
export interface PlatformChild {
  readonly process: ChildProcess
  readonly stateDir: string
  readonly mqttUrl: string
  readonly apiUrl: string
  /** Everything the process wrote to stdout so far. */
  output(): string
  /** The banner, once every component is up. */
  banner(): Promise<string>
  /** The platform admin key the first start wrote to the state directory. */
  adminKey(): string
  /** GET on the API with the admin key; throws on an error status. */
  api<T>(path: string): Promise<T>
  kill(signal: NodeJS.Signals): Promise<void>
}

export interface PlatformChildOptions {
  readonly stateDir: string
  readonly mqttPort: number
  readonly apiPort: number
  readonly args?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
}

/** A port nobody listens on right now, to hand to a child that must keep it across restarts. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned')
  return address.port
}

export function startPlatformChild(options: PlatformChildOptions): PlatformChild {
  // Its output passed on, so a failing test shows what the platform said.
  const running = start(['bin/circular.js', 'start', ...(options.args ?? [])], embeddedEnv(options.stateDir, { MQTT_PORT: String(options.mqttPort), API_PORT: String(options.apiPort), ...options.env }), { echo: true })
  const child = running.process
  const stdout = (): string => running.stdout()
  const apiUrl = `http://127.0.0.1:${options.apiPort}`
  const adminKey = (): string => readFileSync(`${options.stateDir}/admin-key`, 'utf8').trim()
  const banner = (): string | undefined => {
    // The banner ends with the sample publish of "Connect a device".
    const text = stdout()
    const from = text.indexOf('circular is running')
    return from >= 0 && /-m '.*'\n/.test(text.slice(from)) ? text.slice(from) : undefined
  }
  return {
    process: child,
    stateDir: options.stateDir,
    mqttUrl: `mqtt://127.0.0.1:${options.mqttPort}`,
    apiUrl,
    output: stdout,
    banner: () =>
      Promise.race([
        waitFor(banner, 60_000, 'the start-up banner'),
        running.finished.then(() => {
          throw new Error(`circular start exited (${child.exitCode ?? child.signalCode}) before its banner: ${stdout()}`)
        }),
      ]),
    adminKey,
    api: async <T>(path: string): Promise<T> => {
      const response = await fetch(`${apiUrl}${path}`, { headers: bearer(adminKey()) })
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    },
    kill: async (signal) => {
      await running.kill(signal)
    },
  }
}
