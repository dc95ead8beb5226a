import type { Command } from 'commander'
import { stopOnSignal } from './lifecycle.js'
import { loadConfig } from '../core/config.js'
import { createLogger } from '../core/logger.js'
import { startSimulation } from '../simulator/simulation.js'

interface SimulateFlags {
  url?: string
  seed: string
  speed: string
  scale: string
  historyHours: string
  registry?: string
  tenant: string
}

const statsIntervalMs = 30_000

/** `circular simulate`: a demo city publishing to the platform's broker until a signal stops it. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run a simulated city: containers, meters and a weighbridge publishing over MQTT with registered credentials; the same seed gives the same messages')
    .option('--url <url>', 'MQTT broker to publish to (default: mqtt://MQTT_HOST:MQTT_PORT, port 1883)')
    .option('--seed <n>', 'seed of the simulation (0 to 4294967295)', '1')
    .option('--speed <factor>', 'simulated seconds per second while replaying the history', '60')
    .option('--scale <n>', 'fleet size: multiples of 15 devices, plus one', '1')
    .option('--history-hours <h>', 'start this many hours in the past and catch up with the clock', '24')
    .option('--registry <file>', 'device registry the broker reads (default: REGISTRY_FILE)')
    .option('--tenant <tenant>', 'tenant the simulated devices belong to', 'demo-city')
    .action(async (flags: SimulateFlags) => {
      const config = loadConfig()
      const logger = createLogger(config.logLevel).child({ component: 'simulator' })
      const simulation = await startSimulation(
        {
          url: flags.url ?? `mqtt://${config.mqtt.host}:${config.mqtt.port ?? 1883}`,
          registryFile: flags.registry ?? config.registryFile,
          seed: Number(flags.seed),
          speed: Number(flags.speed),
          scale: Number(flags.scale),
          historyHours: Number(flags.historyHours),
          tenant: flags.tenant,
        },
        logger,
      )
      stopOnSignal([{ name: 'simulator', stop: () => simulation.stop() }], logger)
      setInterval(() => logger.info({ stats: simulation.stats() }, 'simulation progress'), statsIntervalMs).unref()
    })
}
