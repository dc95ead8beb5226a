import { loadConfig, type Config } from '../core/config.js'
import { createLogger, type Logger } from '../core/logger.js'
import { createPlatform, platformCloser, type Platform, type Started } from './components.js'
import { logCountersEvery, stopOnSignal, type Stoppable } from './lifecycle.js'
import { waitForBus } from './wait-for-bus.js'

export type Starter = (p: Platform) => Promise<Started>

export interface RunningPlatform {
  readonly config: Config
  readonly logger: Logger
  readonly platform: Platform
  readonly started: readonly Started[]
}

/** Starts components in order inside one process and keeps them running until a signal. */
export async function run(starters: readonly Starter[]): Promise<void> {
  await launch(starters)
}

/** As `run`, and hands back what was started (for the start-up banner). */
export async function launch(starters: readonly Starter[], config: Config = loadConfig()): Promise<RunningPlatform> {
  const logger = createLogger(config.logLevel)
  const platform = createPlatform(config, logger)
  // Stopped in reverse: the components first, the shared clients last.
  const running: Stoppable[] = [platformCloser(platform)]
  stopOnSignal(running, logger)
  if (config.bus.kind === 'kafka') await waitForBus(platform.bus, logger, config.kafka.brokers.join(','))
  for (const start of starters) {
    const component = await start(platform)
    running.push(component)
    platform.started.push(component)
    logger.info({ component: component.name, address: component.address }, `${component.name} running${component.address ? ` at ${component.address}` : ''}`)
  }
  logCountersEvery(60_000, platform.counters, logger)
  return { config, logger, platform, started: platform.started }
}
