/**
 * Runs one Kafka processor as `circular process <role>` does, but in consumer groups of its own
 * (`BENCH_GROUP_PREFIX`). The CLI's group ids are fixed, and two pipelines with different topics
 * in one group stall each other: the group leader assigns only the topics it subscribes to.
 */
import { createPlatform, platformCloser } from '../../cli/components.js'
import { stopOnSignal, type Stoppable } from '../../cli/lifecycle.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { InfluxSink } from '../../processors/influx-sink.js'
import { Normaliser } from '../../processors/normaliser.js'

const role = process.argv[2]
const prefix = process.env.BENCH_GROUP_PREFIX
if ((role !== 'normaliser' && role !== 'influx-sink') || !prefix) {
  console.error('usage: BENCH_GROUP_PREFIX=<prefix> node --import tsx bench/e2e/processor.ts normaliser|influx-sink')
  process.exit(2)
}

const config = loadConfig()
const logger = createLogger(config.logLevel)
const platform = createPlatform(config, logger)
const running: Stoppable[] = [platformCloser(platform)]
stopOnSignal(running, logger)
const child = logger.child({ component: role })
const consumption =
  role === 'normaliser'
    ? await new Normaliser({ config, bus: platform.bus, registry: platform.registry, logger: child }).start(`${prefix}-normaliser`)
    : await new InfluxSink({ config, bus: platform.bus, store: platform.store, logger: child }).start(`${prefix}-influx-sink`)
running.push({ name: role, stop: () => consumption.stop() })
logger.info({ component: role }, `${role} running`)
