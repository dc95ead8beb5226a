import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { trackChild } from './teardown.js'

/** A pipeline component in its own process, so its CPU and memory can be read from /proc. */
export interface Component {
  readonly name: string
  readonly pid: number
  readonly process: ChildProcess
  stop(): Promise<void>
}

export interface StartOptions {
  /** What on stdout says the component runs; by default its pino line `"msg":"… running…"`. */
  readonly ready?: RegExp
  /** Variables of the caller's environment the component must not see. */
  readonly unset?: readonly string[]
}

/**
 * Starts `node <args>` with the benchmark's environment, logs to `<logDir>/<name>.log`, and
 * resolves once the component reports that it runs (see `StartOptions.ready`).
 */
export function startComponent(name: string, args: string[], env: Record<string, string>, logDir: string, timeoutMs = 60_000, start: StartOptions = {}): Promise<Component> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  for (const key of start.unset ?? []) delete childEnv[key]
  const readyPattern = start.ready ?? /"msg":"[^"]* running/
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  const log = createWriteStream(join(logDir, `${name}.log`))
  child.stderr.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const component: Component = {
    name,
    pid: child.pid!,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
  return new Promise((resolve, reject) => {
    let buffered = ''
    let ready = false
    const timer = setTimeout(() => fail(new Error(`${name} did not report running within ${timeoutMs} ms (see ${logDir}/${name}.log)`)), timeoutMs)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      if (ready) return
      void component.stop().then(() => reject(error))
    }
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk)
      if (ready) return
      buffered += chunk.toString('utf8')
      if (readyPattern.test(buffered)) {
        ready = true
        buffered = ''
        clearTimeout(timer)
        resolve(component)
      } else if (buffered.length > 1_000_000) {
        buffered = buffered.slice(-10_000)
      }
    })
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it ran (see ${logDir}/${name}.log)`)))
  })
}
