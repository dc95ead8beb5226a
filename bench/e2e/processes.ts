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

/**
 * Starts `node <args>` with the benchmark's environment, logs to `<logDir>/<name>.log`, and
 * resolves once the component logs that it runs (pino JSON: `"msg":"… running…"`).
 */
export function startComponent(name: string, args: string[], env: Record<string, string>, logDir: string, timeoutMs = 60_000): Promise<Component> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
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
      if (/"msg":"[^"]* running/.test(buffered)) {
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
