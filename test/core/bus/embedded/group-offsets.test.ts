import { afterEach, describe, expect, test, vi } from 'vitest'
import { topicPartition } from '../../../../core/bus/embedded/record-log.js'
import { busFiles } from './bus-file.js'

const files = busFiles()
afterEach(() => {
  vi.useRealTimers()
  files.cleanup()
})

function setup() {
  const file = files.open([{ topic: 'readings', partitions: 2 }])
  const topic = file.log.requireTopic('readings')
  return { ...file, p0: topicPartition(topic, 0), p1: topicPartition(topic, 1) }
}

describe('GroupOffsets', () => {
  test('a commit should be the group\'s next offset of that partition only, and a later commit replace it', () => {
    const { offsets, p0, p1 } = setup()
    expect(offsets.committed('normaliser', p0)).toBeUndefined()
    offsets.commit('normaliser', p0, 5)
    offsets.commit('normaliser', p0, 9)
    expect(offsets.committed('normaliser', p0)).toBe(9)
    expect(offsets.committed('normaliser', p1)).toBeUndefined()
    expect(offsets.committed('sink', p0)).toBeUndefined()
  })

  test('register should record where a group without a commit starts, and never move a commit', () => {
    const { offsets, p0, p1 } = setup()
    offsets.register('sink', p0, 3)
    expect(offsets.committed('sink', p0)).toBe(3)
    offsets.commit('sink', p1, 7)
    offsets.register('sink', p1, 2)
    expect(offsets.committed('sink', p1)).toBe(7)
  })

  test('lowestCommitted should take the lowest offset of the groups active since the given time', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { offsets, p0, p1 } = setup()
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    vi.setSystemTime(t0)
    offsets.commit('gone', p0, 1)
    offsets.commit('idle', p0, 2)
    vi.setSystemTime(t0 + 10_000)
    offsets.commit('busy', p0, 8)
    offsets.touch('idle')
    expect(offsets.lowestCommitted(p0, t0)).toBe(1)
    // Since t0 + 5 s only `idle` (touched) and `busy` were active.
    expect(offsets.lowestCommitted(p0, t0 + 5000)).toBe(2)
    expect(offsets.lowestCommitted(p0, t0 + 20_000)).toBeUndefined()
    expect(offsets.lowestCommitted(p1, t0)).toBeUndefined()
  })
})
