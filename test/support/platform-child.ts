import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { bearer } from './api-auth.js'
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

/**
 * Settings of the test run itself (Kafka, InfluxDB, isolated topics) must not reach the child:
 * without them it runs on its embedded defaults, as on a fresh machine.
 */
const platformSettings = /^(CIRCULAR_|KAFKA_|INFLUX_|MQTT_|API_|TOPIC_|ALERT_|SINK_|FOOTPRINT_|HEALTH_|EMBEDDED_|BRIDGE_|OIDC_|REGISTRY_FILE$|TENANTS_FILE$|AUDIT_LOG_FILE$|FACTOR_SETS_DIR$|MAX_FUTURE_SKEW_MS$)/

/** The environment of a `circular` command run against the state directory, as on a fresh machine. */
export function embeddedEnv(stateDir: string, settings: Readonly<Record<string, string>> = {}): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !platformSettings.test(entry[0])))
  return { ...inherited, CIRCULAR_LOG_LEVEL: process.env.CIRCULAR_TEST_LOG_LEVEL ?? 'warn', CIRCULAR_STATE_DIR: stateDir, ...settings }
}

export function startPlatformChild(options: PlatformChildOptions): PlatformChild {
  const child = spawn(process.execPath, ['bin/circular.js', 'start', ...(options.args ?? [])], {
    env: embeddedEnv(options.stateDir, { MQTT_PORT: String(options.mqttPort), API_PORT: String(options.apiPort), ...options.env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    // Passed on, so a failing test shows what the platform said.
    process.stdout.write(chunk)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const apiUrl = `http://127.0.0.1:${options.apiPort}`
  const adminKey = (): string => readFileSync(`${options.stateDir}/admin-key`, 'utf8').trim()
  const banner = (): string | undefined => {
    // The banner ends with the sample publish of "Connect a device".
    const start = stdout.indexOf('circular is running')
    return start >= 0 && /-m '.*'\n/.test(stdout.slice(start)) ? stdout.slice(start) : undefined
  }
  return {
    process: child,
    stateDir: options.stateDir,
    mqttUrl: `mqtt://127.0.0.1:${options.mqttPort}`,
    apiUrl,
    output: () => stdout,
    banner: () =>
      Promise.race([
        waitFor(banner, 60_000, 'the start-up banner'),
        exited.then(() => {
          throw new Error(`circular start exited (${child.exitCode ?? child.signalCode}) before its banner: ${stdout}`)
        }),
      ]),
    adminKey,
    api: async <T>(path: string): Promise<T> => {
      const response = await fetch(`${apiUrl}${path}`, { headers: bearer(adminKey()) })
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    },
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
