import { randomBytes } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { PlatformaticKafkaBus } from '../../../core/bus/platformatic-kafka-bus.js'
import { isolatedConfig, testLogger } from '../../support/pipeline.js'
import { busContract } from './bus-contract.js'

busContract('PlatformaticKafkaBus on the local Kafka', () => {
  const { config, cleanup } = isolatedConfig()
  const namePrefix = `contract.${randomBytes(4).toString('hex')}`

  return {
    namePrefix,
    // A group join and the first fetch take a few seconds; a redelivery after a failed batch more.
    waitMs: 30_000,
    open: async () => new PlatformaticKafkaBus(config.kafka, testLogger),
    reopen: async (bus) => {
      await bus.close()
      return new PlatformaticKafkaBus(config.kafka, testLogger)
    },
    release: async () => {
      const admin = new Kafka({ brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${namePrefix}.`))
        if (topics.length > 0) await admin.deleteTopics({ topics })
      } finally {
        await admin.disconnect()
        cleanup()
      }
    },
  }
})
