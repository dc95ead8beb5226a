import { randomBytes } from 'node:crypto'
import { KafkaBus } from '../../../core/bus/kafka-bus.js'
import { deleteTopicsStartingWith } from '../../support/kafka-admin.js'
import { isolatedConfig, testLogger } from '../../support/pipeline.js'
import { busContract } from './bus-contract.js'

busContract('KafkaBus on the local Kafka', () => {
  const { config, cleanup } = isolatedConfig()
  const namePrefix = `contract.${randomBytes(4).toString('hex')}`

  return {
    namePrefix,
    // A group join and the first fetch take a few seconds; a redelivery after a failed batch more.
    waitMs: 30_000,
    open: async () => new KafkaBus(config.kafka, testLogger),
    reopen: async (bus) => {
      await bus.close()
      return new KafkaBus(config.kafka, testLogger)
    },
    release: async () => {
      try {
        await deleteTopicsStartingWith(config.kafka.brokers, `${namePrefix}.`)
      } finally {
        cleanup()
      }
    },
  }
})
