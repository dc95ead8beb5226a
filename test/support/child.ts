import { spawn, type ChildProcess } from 'node:child_process'

/** A `circular` command running in its own process, so a test can kill it like a crash would. */
export interface ChildComponent {
  readonly process: ChildProcess
  kill(signal: NodeJS.Signals): Promise<void>
}

export function spawnCircular(args: string[], env: Record<string, string>): ChildComponent {
  const child = spawn(process.execPath, ['bin/circular.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    process: child,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
