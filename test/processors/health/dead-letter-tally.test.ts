import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../../core/bus/topics.js'
import { DeadLetterTally, healthGroup } from '../../../processors/health/dead-letter-tally.js'
import { embeddedPlatform, totalLag, type EmbeddedPlatform } from '../../support/embedded.js'
import { waitFor } from '../../support/pipeline.js'

describe('dead-letter tally on the embedded bus', () => {
  let platform: EmbeddedPlatform
  let bus: EmbeddedBus

  beforeEach(async () => {
    platform = embeddedPlatform()
    bus = platform.openBus()
    await bus.ensureTopics(pipelineTopics(platform.config.bus))
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('dead letters should be counted by stage and reason code in the health group, and one without those headers as unknown', async () => {
    const { config } = platform
    const letter = (headers: Record<string, string>, key = 'bin-1') => ({ topic: config.bus.topics.deadLetter, key, value: Buffer.from('{}'), headers })
    await bus.publish([
      letter({ [header.dlqStage]: 'normaliser', [header.dlqCode]: 'UNIT_UNKNOWN' }),
      letter({ [header.dlqStage]: 'normaliser', [header.dlqCode]: 'UNIT_UNKNOWN' }, 'bin-2'),
      letter({ [header.dlqStage]: 'store-sink', [header.dlqCode]: 'POINT_REJECTED' }),
      letter({}),
    ])
    const tally = new DeadLetterTally({ config, bus })
    const consumption = await tally.start()
    expect(healthGroup(config)).toBe(`${config.bus.groupPrefix}-health`)
    await waitFor(async () => (await totalLag(bus, healthGroup(config), [config.bus.topics.deadLetter])) === 0, 15_000, 'the tally to commit')
    await consumption.stop()
    expect(tally.counters.component).toBe('dead-letters')
    expect(tally.counters.snapshot()).toEqual({ 'normaliser/UNIT_UNKNOWN': 2, 'store-sink/POINT_REJECTED': 1, 'unknown/unknown': 1 })
  })
})
