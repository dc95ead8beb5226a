import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Bus } from './bus.js'
import { KafkaBus, type KafkaBusOptions } from './kafka-bus.js'
import { PlatformaticKafkaBus } from './platformatic-kafka-bus.js'

/** The bus on Kafka, through the client library `KAFKA_CLIENT` names. */
export function openKafkaBus(config: Config['kafka'], logger: Logger, options: KafkaBusOptions = {}): Bus {
  return config.client === 'platformatic' ? new PlatformaticKafkaBus(config, logger, options) : new KafkaBus(config, logger, options)
}
