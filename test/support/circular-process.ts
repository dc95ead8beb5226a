import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './pipeline.js'

/**
 * `circular` commands (or a fixture script under tsx) in a child process of their own, with their
 * output kept: a command run to its end as an operator runs it, or a component a test kills like a
 * crash would. `platform-child.ts` builds the whole `circular start` with its ports and API on it.
 */

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly process: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout or stderr has a line matching. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>
  finished: Promise<Finished>
  /** Sends the signal unless the process has ended already, and resolves once it has. */
  kill(signal: NodeJS.Signals): Promise<Finished>
}

export interface StartOptions {
  /** Also pass the output on to the test's own, so a failing test shows what the process said. */
  readonly echo?: boolean
}

/** `node <argv>` with exactly the environment given. */
export function start(argv: readonly string[], env: Record<string, string>, options: StartOptions = {}): Running {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    if (options.echo) process.stdout.write(chunk)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
    if (options.echo) process.stderr.write(chunk)
  })
  const finished = new Promise<Finished>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })))
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: async (pattern, timeoutMs = 30_000) => {
      await waitFor(() => pattern.test(out) || pattern.test(err) || child.exitCode !== null, timeoutMs, `output matching ${pattern}`)
      if (!pattern.test(out) && !pattern.test(err)) throw new Error(`exited with ${child.exitCode} before printing ${pattern}:\n${out}\n${err}`)
    },
    finished,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return finished
    },
  }
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

/** `circular <args>` in the state directory, with none of the test run's platform settings. */
export function circular(args: readonly string[], stateDir: string, settings: Record<string, string> = {}): Running {
  return start(['bin/circular.js', ...args], embeddedEnv(stateDir, settings))
}

export function runCircular(args: readonly string[], stateDir: string, settings: Record<string, string> = {}): Promise<Finished> {
  return circular(args, stateDir, settings).finished
}

/**
 * `circular <args>` on the test run's own services (its Kafka, InfluxDB and topics, plus `env`),
 * its output passed on: a component an integration test kills mid-stream.
 */
export function spawnCircular(args: readonly string[], env: Record<string, string>): Running {
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
  return start(['bin/circular.js', ...args], { ...inherited, ...env }, { echo: true })
}

/** `circular broker` in a process of its own (another broker instance), with the MQTT URL it listens on once it does. */
export async function spawnBroker(env: Record<string, string>): Promise<{ broker: Running; url: string }> {
  const broker = spawnCircular(['broker'], { ...env, CIRCULAR_LOG_LEVEL: 'info' })
  const running = /broker running at (mqtt:\/\/127\.0\.0\.1:\d+)/
  await broker.waitForOutput(running, 60_000)
  return { broker, url: running.exec(broker.stdout() + broker.stderr())?.[1] ?? '' }
}

/** Parsed pino lines of a process's output. */
export function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export function stateDirs(): { make(): string; cleanup(): void } {
  const dirs: string[] = []
  return {
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'circular-cli-'))
      dirs.push(dir)
      return dir
    },
    cleanup: () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    },
  }
}
