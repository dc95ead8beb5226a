import { describe, expect, test } from 'vitest'
import type { Bus, PartitionLag } from '../../../core/bus/bus.js'
import { GroupProgressWatch } from '../../../processors/health/group-progress.js'
import { embeddedPlatform, quietLogger } from '../../support/embedded.js'

describe('consumer group progress', () => {
  test('a group with records waiting and no growth of its position for the stall time is stalled, until it moves again', () => {
    let now = 0
    const watch = new GroupProgressWatch({} as Bus, [], { intervalMs: 1000, stallAfterMs: 30_000 }, quietLogger, () => now)
    watch.observe('sink', 100, 50)
    now = 29_000
    watch.observe('sink', 100, 80)
    expect(watch.stalls()).toEqual([])
    now = 31_000
    watch.observe('sink', 100, 90)
    expect(watch.stalls()).toEqual([{ group: 'sink', lag: 90, since: 0, stalledForMs: 31_000 }])
    // Moving again, however little.
    now = 32_000
    watch.observe('sink', 101, 89)
    expect(watch.stalls()).toEqual([])
    // Idle with nothing waiting is not stalled, however long.
    watch.observe('idle', 7, 0)
    now = 1_000_000
    watch.observe('idle', 7, 0)
    expect(watch.stalls().map((s) => s.group)).toEqual(['sink'])
  })

  test('on a real bus: a group nobody consumes for while records wait is reported, one that consumes is not', async () => {
    const platform = embeddedPlatform()
    const bus = platform.openBus()
    try {
      await bus.ensureTopics([{ topic: 'in', partitions: 2 }])
      await bus.publish(Array.from({ length: 10 }, (_, i) => ({ topic: 'in', key: `k${i}`, value: Buffer.from('x'), headers: {} })))
      let now = 0
      const watch = new GroupProgressWatch(bus, [{ groupId: 'absent', topics: ['in'] }, { groupId: 'present', topics: ['in'] }], { intervalMs: 1000, stallAfterMs: 10_000 }, quietLogger, () => now)
      await watch.sample()
      let handled = 0
      const consumption = await bus.consume({ groupId: 'present', topics: ['in'], handleBatch: async (records) => void (handled += records.length) })
      while (handled < 10) await new Promise((resolve) => setTimeout(resolve, 20))
      await consumption.stop()
      now = 20_000
      await watch.sample()
      const lagOf = async (group: string): Promise<PartitionLag[]> => bus.lag(group, ['in'])
      expect((await lagOf('absent')).reduce((sum, p) => sum + p.lag, 0)).toBe(10)
      expect(watch.stalls()).toEqual([{ group: 'absent', lag: 10, since: 0, stalledForMs: 20_000 }])
    } finally {
      await bus.close()
      await platform.cleanup()
    }
  })
})
