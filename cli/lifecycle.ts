import type { Logger } from '../core/logger.js'

export interface Stoppable {
  readonly name: string
  stop(): Promise<void>
}

/**
 * Keeps the process alive until SIGINT or SIGTERM, then stops the components in reverse start
 * order (inputs first, so nothing new arrives while the rest drains). A second signal exits at once.
 */
export function stopOnSignal(components: Stoppable[], logger: Logger): void {
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info({ signal }, 'stopping')
    void (async () => {
      for (const component of [...components].reverse()) {
        try {
          await component.stop()
        } catch (error) {
          logger.error({ err: error, component: component.name }, 'component did not stop cleanly')
        }
      }
      logger.info('stopped')
      process.exit(0)
    })()
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

/** Logs every component's counters at a fixed interval, so an operator can see the flow per hop. */
export function logCountersEvery(intervalMs: number, sources: { snapshot(): object; readonly component: string }[], logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    logger.info({ counters: Object.fromEntries(sources.map((s) => [s.component, s.snapshot()])) }, 'counters')
  }, intervalMs)
  timer.unref()
  return timer
}
