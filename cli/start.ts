import type { Command } from 'commander'
import { existsSync } from 'node:fs'
import { loadConfig, type Config } from '../core/config.js'
import { PlatformError } from '../models/errors.js'
import { startSimulation } from '../simulator/index.js'
import { grantReplayAllowance } from '../simulator/replay-allowance.js'
import {
  startAlertsComponent,
  startApiComponent,
  startBrokerComponent,
  startFootprintComponent,
  startHealthComponent,
  startNormaliserComponent,
  startNotifierComponent,
  startSinkComponent,
  type Platform,
  type Started,
} from './components.js'
import { launch, type Starter } from './run.js'

const demoTenant = 'demo-city'

/** Everything `circular start` runs, inputs first so the banner only appears once all can take data. */
export const platformStarters: readonly Starter[] = [
  startNormaliserComponent,
  startFootprintComponent,
  startSinkComponent,
  startAlertsComponent,
  startNotifierComponent,
  startApiComponent,
  startBrokerComponent,
  startHealthComponent,
]

interface StartFlags {
  readonly demo?: boolean
  readonly seed: string
  readonly historyHours: string
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the whole platform in one process: MQTT broker, processors, alerts and API (embedded bus and store unless KAFKA_BROKERS / INFLUX_URL are set)')
    .option('--demo', 'also run a simulated city against it and print the live view\'s address')
    .option('--seed <n>', 'seed of the demo city', '1')
    .option('--history-hours <h>', 'hours of demo history replayed at start, before it keeps pace with the clock', '168')
    .action(async (flags: StartFlags) => {
      const config = loadConfig()
      if (flags.demo) grantReplayAllowance(config.auth.tenantsFile, demoTenant)
      const starters = flags.demo ? [...platformStarters, demoCityStarter(Number(flags.seed), Number(flags.historyHours))] : platformStarters
      const { started } = await launch(starters, config)
      process.stdout.write(startBanner(config, started))
    })
}

/**
 * The demo city publishes over MQTT to the broker started just before it, with registered
 * credentials, like real devices; its history replays within about a minute.
 */
function demoCityStarter(seed: number, historyHours: number): Starter {
  return async (p: Platform): Promise<Started> => {
    const broker = p.started.find((s) => s.name === 'broker')
    if (!broker?.address) throw new PlatformError('CONFIG_INVALID', 'the demo city needs the MQTT broker running in this process')
    const replaySeconds = 45
    const simulation = await startSimulation(
      { url: broker.address, registryFile: p.config.registryFile, seed, historyHours, speed: Math.max(60, (historyHours * 3600) / replaySeconds), tenant: demoTenant },
      p.logger.child({ component: 'simulator' }),
    )
    return { name: 'demo city', address: `tenant ${demoTenant}, ${simulation.stats().devices} devices`, stop: () => simulation.stop() }
  }
}

/** What an operator needs right after start: where everything listens and how to connect a device. */
export function startBanner(config: Config, started: readonly Started[]): string {
  const address = (name: string): string => started.find((s) => s.name === name)?.address ?? '(not running)'
  const mqtt = address('broker')
  const mqttPort = mqtt.split(':').pop() ?? '1883'
  const bus = config.bus.kind === 'kafka' ? `Kafka ${config.kafka.brokers.join(',')}` : `embedded (${config.bus.path})`
  const store = config.store.kind === 'influxdb' ? `InfluxDB ${config.influx.url} db ${config.influx.database}` : `embedded (${config.store.path})`
  const notes = started.flatMap((s) => (s.note ? [`  note: ${s.note}`] : []))
  const demo = started.find((s) => s.name === 'demo city')
  const api = address('api')
  return [
    '',
    'circular is running',
    `  MQTT broker  ${mqtt}`,
    `  HTTP API     ${api}  (OpenAPI at /openapi.json)`,
    `  live view    ${liveViewUrl(config, api, demo ? demoTenant : undefined)}`,
    ...(demo ? [`  demo city    ${demo.address ?? ''}`] : []),
    `  bus          ${bus}`,
    `  store        ${store}`,
    ...notes,
    '',
    'Connect a device:',
    '  npx circular devices add --id bin-1 --tenant my-city --site depot-1 --kind waste_container --lat 51.2 --lon 4.4',
    `  mosquitto_pub -p ${mqttPort} -i bin-1 -u bin-1 -P '<secret printed above>' -q 1 -t devices/bin-1/senml \\`,
    `    -m '[{"bn":"urn:dev:bin-1:","n":"fillingLevel","u":"/","v":0.42}]'`,
    '',
  ].join('\n')
}

/**
 * The live view's address, and where the bootstrap admin key of a local installation is: never
 * the key itself, which would land in every log the banner goes to. The page asks for it once.
 */
function liveViewUrl(config: Config, api: string, tenant: string | undefined): string {
  const keyFile = `${config.stateDir}/admin-key`
  return `${api}/${tenant ? `?tenant=${tenant}` : ''}${existsSync(keyFile) ? `  (admin key in ${keyFile}; the page asks for it once)` : ''}`
}
