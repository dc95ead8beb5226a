import type { ChildProcess } from 'node:child_process'

/**
 * Last-resort cleanup when the run is interrupted (Ctrl-C, a CI timeout): the component and
 * generator processes are children of this one and would otherwise keep running, and the run's
 * topics and database would stay behind.
 */
const children = new Set<ChildProcess>()
const cleanups: (() => Promise<unknown>)[] = []
let installed = false

export function trackChild(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
  install()
}

export function onInterrupt(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup)
  install()
}

function install(): void {
  if (installed) return
  installed = true
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL')
  })
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`[bench] ${signal}: stopping the run's processes and removing its topics and database`)
    for (const child of children) child.kill('SIGTERM')
    const deadline = setTimeout(() => process.exit(130), 15_000)
    void Promise.allSettled(cleanups.map((c) => c())).then(() => {
      clearTimeout(deadline)
      process.exit(130)
    })
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
}
