import { Command, InvalidArgumentError } from 'commander'
import { PlatformError } from '../core/errors.js'
import {
  startAlertsComponent,
  startApiComponent,
  startBridgeComponent,
  startBrokerComponent,
  startFootprintComponent,
  startNormaliserComponent,
  startNotifierComponent,
  startSinkComponent,
} from './components.js'
import { registerDeviceCommands } from './devices.js'
import { registerKeyCommands } from './keys.js'
import { registerSimulateCommand } from '../simulator/command.js'
import { run } from './run.js'
import { registerStartCommand } from './start.js'

const processorRoles = { normaliser: startNormaliserComponent, 'influx-sink': startSinkComponent, footprint: startFootprintComponent, alerts: startAlertsComponent, 'alert-notifier': startNotifierComponent } as const

export async function main(argv: string[]): Promise<void> {
  const program = new Command('circular')
    .description('Open circular-economy telemetry platform: MQTT sensors → Kafka → footprint metrics → InfluxDB and API.\nSettings come from environment variables (see README).')
    .showHelpAfterError()

  registerStartCommand(program)

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
  registerKeyCommands(program)
  registerSimulateCommand(program)

  try {
    await program.parseAsync(argv)
  } catch (error) {
    const message = PlatformError.is(error) ? `${error.code}: ${error.message}` : (error as Error).message
    console.error(`circular: ${message}`)
    process.exit(1)
  }
}
