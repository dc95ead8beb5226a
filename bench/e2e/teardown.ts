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
  let interrupting = false
  const interrupted = (signal: NodeJS.Signals): void => {
    // `npm run` forwards the signal that `timeout` or Ctrl-C already sent to the whole group.
    if (interrupting) return
    interrupting = true
    console.error(`[bench] ${signal}: stopping the run's processes and removing its topics, groups and database`)
    const deadline = setTimeout(() => process.exit(130), 30_000)
    void (async () => {
      // Consumer groups can only be deleted once their members have left.
      await Promise.all([...children].map((child) => stopped(child)))
      await Promise.allSettled(cleanups.map((c) => c()))
      clearTimeout(deadline)
      process.exit(130)
    })()
  }
  process.on('SIGINT', interrupted)
  process.on('SIGTERM', interrupted)
}

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
