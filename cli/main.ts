import { Command, InvalidArgumentError } from 'commander'
import { PlatformError } from '../models/errors.js'
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
import { registerSimulateCommand } from './simulate.js'
import { run } from './run.js'
import { registerStartCommand } from './start.js'

const processorRoles = { normaliser: startNormaliserComponent, 'store-sink': startSinkComponent, footprint: startFootprintComponent, alerts: startAlertsComponent, 'alert-notifier': startNotifierComponent } as const
type ProcessorRole = keyof typeof processorRoles

/** Former role names still accepted, for one release, with a warning. */
const renamedRoles: Readonly<Record<string, ProcessorRole>> = { 'influx-sink': 'store-sink' }

export async function main(argv: string[]): Promise<void> {
  const program = new Command('circular')
    .description('Open circular-economy telemetry platform: MQTT sensors → bus (Kafka or embedded) → footprint metrics → store (InfluxDB or embedded) and API.\nSettings come from environment variables (see README).')
    .showHelpAfterError()

  registerStartCommand(program)

  program
    .command('broker')
    .description('run the MQTT broker: authenticates devices and hands every accepted message to the bus')
    .action(() => run([startBrokerComponent]))

  program
    .command('bridge')
    .description('carry telemetry from an external MQTT broker (BRIDGE_MQTT_URL) onto the bus, acknowledging after the bus has it')
    .action(() => run([startBridgeComponent]))

  program
    .command('process')
    .description('run a processor of the bus')
    .argument('<role>', `one of: ${Object.keys(processorRoles).join(', ')}`, (role: string): ProcessorRole => {
      const renamed = renamedRoles[role]
      if (renamed !== undefined) {
        console.error(`circular: the role "${role}" is now "${renamed}"; the old name is accepted until the next release`)
        return renamed
      }
      if (!(role in processorRoles)) throw new InvalidArgumentError(`choose one of ${Object.keys(processorRoles).join(', ')}`)
      return role as ProcessorRole
    })
    .action((role: ProcessorRole) => run([processorRoles[role]]))

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
