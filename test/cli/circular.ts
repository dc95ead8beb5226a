import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedEnv } from '../support/platform-child.js'
import { waitFor } from '../support/pipeline.js'

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A command run to its end as an operator runs it: `node bin/circular.js …`, or a fixture script under tsx. */
export interface Running {
  readonly process: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout or stderr has a line matching. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>
  finished: Promise<Finished>
}

export function start(argv: readonly string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
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
  }
}

/** `circular <args>` in the state directory, with none of the test run's platform settings. */
export function circular(args: readonly string[], stateDir: string, settings: Record<string, string> = {}): Running {
  return start(['bin/circular.js', ...args], embeddedEnv(stateDir, settings))
}

export function runCircular(args: readonly string[], stateDir: string, settings: Record<string, string> = {}): Promise<Finished> {
  return circular(args, stateDir, settings).finished
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
