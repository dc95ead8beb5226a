import { Command, InvalidArgumentError } from 'commander'
import { loadConfig } from '../core/config.js'
import { PlatformError } from '../core/errors.js'
import { createLogger } from '../core/logger.js'
import {
  createPlatform,
  platformCloser,
  startAlertsComponent,
  startApiComponent,
  startBridgeComponent,
  startBrokerComponent,
  startFootprintComponent,
  startNormaliserComponent,
  startNotifierComponent,
  startSinkComponent,
  type Platform,
  type Started,
} from './components.js'
import { registerDeviceCommands } from './devices.js'
import { logCountersEvery, stopOnSignal, type Stoppable } from './lifecycle.js'

const processorRoles = { normaliser: startNormaliserComponent, 'influx-sink': startSinkComponent, footprint: startFootprintComponent, alerts: startAlertsComponent, 'alert-notifier': startNotifierComponent } as const

/** Starts components in order inside one process and keeps them running until a signal. */
async function run(starters: ((p: Platform) => Promise<Started>)[]): Promise<void> {
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  const platform = createPlatform(config, logger)
  // Stopped in reverse: the components first, the shared clients last.
  const running: Stoppable[] = [platformCloser(platform)]
  stopOnSignal(running, logger)
  for (const start of starters) {
    const component = await start(platform)
    running.push(component)
    logger.info({ component: component.name, address: component.address }, `${component.name} running${component.address ? ` at ${component.address}` : ''}`)
  }
  logCountersEvery(60_000, platform.counters, logger)
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('circular')
    .description('Open circular-economy telemetry platform: MQTT sensors → Kafka → footprint metrics → InfluxDB and API.\nSettings come from environment variables (see README).')
    .showHelpAfterError()

  program
    .command('start')
    .description('run broker, normaliser, footprint processor, InfluxDB sink and API together in one process')
    .action(() => run([startBrokerComponent, startNormaliserComponent, startFootprintComponent, startSinkComponent, startApiComponent]))

  program
    .command('broker')
    .description('run the MQTT broker: authenticates devices and hands every accepted message to Kafka')
    .action(() => run([startBrokerComponent]))

  program
    .command('bridge')
    .description('carry telemetry from an external MQTT broker (BRIDGE_MQTT_URL) into Kafka, acknowledging after Kafka has it')
    .action(() => run([startBridgeComponent]))

  program
    .command('process')
    .description('run a Kafka processor')
    .argument('<role>', `one of: ${Object.keys(processorRoles).join(', ')}`, (role: string) => {
      if (!(role in processorRoles)) throw new InvalidArgumentError(`choose one of ${Object.keys(processorRoles).join(', ')}`)
      return role as keyof typeof processorRoles
    })
    .action((role: keyof typeof processorRoles) => run([processorRoles[role]]))

  program
    .command('api')
    .description('run the HTTP API for analysts (OpenAPI at /openapi.json)')
    .action(() => run([startApiComponent]))

  registerDeviceCommands(program)

  try {
    await program.parseAsync(argv)
  } catch (error) {
    const message = PlatformError.is(error) ? `${error.code}: ${error.message}` : (error as Error).message
    console.error(`circular: ${message}`)
    process.exit(1)
  }
}
