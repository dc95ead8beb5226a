/**
 * A footprint processor on Kafka that freezes itself (SIGSTOP) once, mid-batch: when its first
 * batch hands over its first outputs, whether to the bus or to the batch's commit. The instance
 * a long pause (a stalled VM, a swap storm, a network cut) leaves behind while the group moves
 * on. Prints `FROZEN` first. Run with `node --import tsx`, configured by the environment like
 * `circular process footprint`.
 */
import { writeSync } from 'node:fs'
import type { Bus } from '../../core/bus/bus.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { FootprintProcessor } from '../../processors/footprint/footprint-processor.js'

const config = loadConfig(process.env)
const logger = createLogger(config.logLevel, 'footprint-zombie')
const kafka = new KafkaBus(config.kafka, logger, { maxRecordBytes: config.bus.maxRecordBytes })
let frozen = false
const freezeOnce = (): void => {
  if (frozen) return
  frozen = true
  writeSync(1, 'FROZEN\n')
  process.kill(process.pid, 'SIGSTOP')
}
const bus: Bus = {
  publish: (records) => {
    freezeOnce()
    return kafka.publish(records)
  },
  readAll: (topic) => kafka.readAll(topic),
  ensureTopics: (specs) => kafka.ensureTopics(specs),
  lag: (group, topics) => kafka.lag(group, topics),
  ping: () => kafka.ping(),
  openFencedWriter: (id) => kafka.openFencedWriter(id),
  close: () => kafka.close(),
  consume: (options) =>
    kafka.consume({
      ...options,
      handleBatch: (records, context) =>
        options.handleBatch(records, {
          ...context,
          publish: (published) => {
            freezeOnce()
            context.publish(published)
          },
        }),
    }),
}
await new FootprintProcessor({ config, bus, logger }).start()
