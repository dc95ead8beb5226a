import { writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Consumption, OutgoingRecord } from '../../../core/bus/bus.js'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { pipelineTopics } from '../../../core/bus/topics.js'
import { FileRegistry } from '../../../core/registry/file-registry.js'
import { AlertNotifier } from '../../../processors/alerts/notifier.js'
import { AlertsProcessor } from '../../../processors/alerts/alerts-processor.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import { FootprintProcessor } from '../../../processors/footprint/footprint-processor.js'
import { pipelineGroups } from '../../../processors/health/consumer-groups.js'
import { Normaliser } from '../../../processors/normaliser.js'
import { StoreSink } from '../../../processors/store-sink.js'
import { embeddedPlatform, quietLogger, totalLag, type EmbeddedPlatform } from '../../support/embedded.js'
import { waitFor } from '../../support/pipeline.js'

describe('pipeline consumer groups', () => {
  let platform: EmbeddedPlatform
  let bus: EmbeddedBus

  beforeEach(() => {
    platform = embeddedPlatform({ KAFKA_GROUP_PREFIX: 'city-a' })
    bus = platform.openBus()
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('should name every processor group with the prefix, and the topics each reads', () => {
    const { config } = platform
    const { raw, readings, footprintPoints, devices } = config.bus.topics
    expect(pipelineGroups(config)).toEqual([
      { groupId: 'city-a-normaliser', topics: [raw] },
      { groupId: 'city-a-influx-sink', topics: [readings, footprintPoints] },
      { groupId: 'city-a-footprint', topics: [readings, devices] },
      { groupId: 'city-a-alerts', topics: [readings, config.alerts.topics.commands, config.alerts.topics.siteFlows, devices] },
      { groupId: 'city-a-alert-notifier', topics: [config.alerts.topics.events] },
    ])
  })

  test('the groups watched should be the ones the processors commit in: their lag falls to zero once each processor has read its topics', async () => {
    const { config } = platform
    writeFileSync(config.alerts.rulesFile, JSON.stringify({ version: 1 }))
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const any = (topic: string): OutgoingRecord => ({ topic, key: 'bin-1', value: Buffer.from('{}'), headers: {} })
    // A record on every watched topic, so a group lags until its processor has committed past it.
    const watched = pipelineGroups(config)
    await bus.publish([...new Set(watched.flatMap((g) => g.topics))].map(any))
    for (const group of watched) expect(await totalLag(bus, group.groupId, group.topics), group.groupId).toBeGreaterThan(0)

    const rules = new RulesSource(config.alerts.rulesFile, quietLogger)
    const store = platform.openStore()
    const consumptions: Consumption[] = [
      await new Normaliser({ config, bus, registry: new FileRegistry(config.registryFile), logger: quietLogger }).start(),
      await new StoreSink({ config, bus, store, logger: quietLogger }).start(),
      await new FootprintProcessor({ config, bus, logger: quietLogger }).start(),
      await new AlertsProcessor({ config, bus, rules, logger: quietLogger }).start(),
      await new AlertNotifier({ config, bus, rules, logger: quietLogger }).start(),
    ]
    try {
      for (const group of watched) await waitFor(async () => (await totalLag(bus, group.groupId, group.topics)) === 0, 15_000, `${group.groupId} to commit`)
    } finally {
      for (const c of consumptions) await c.stop()
    }
  })
})
