import { afterEach, describe, expect, test, vi } from 'vitest'
import type { OutgoingRecord } from '../../../../core/bus/bus.js'
import { ConsumerGroup, type GroupMember } from '../../../../core/bus/embedded/consumer-group.js'
import { GroupConsumer } from '../../../../core/bus/embedded/group-consumer.js'
import { topicPartition, type TopicPartition } from '../../../../core/bus/embedded/record-log.js'
import { WakeSignal } from '../../../../core/bus/embedded/wake-signal.js'
import { capturedLogger } from '../../../support/log-capture.js'
import { waitFor } from '../../../support/pipeline.js'
import { busFiles, keyFor, type BusFile } from './bus-file.js'

const files = busFiles()
afterEach(() => {
  vi.useRealTimers()
  files.cleanup()
})

/** A member that only records what it is given, so each test reads the group's decisions directly. */
interface RecordingMember extends GroupMember {
  /** Every assignment, as `<topic><partition>` labels. */
  readonly assignments: string[][]
  current(): string[]
}

function member(topics: string[], copartitioned = false): RecordingMember {
  const assignments: string[][] = []
  return {
    topics,
    copartitioned,
    assignments,
    assign: (partitions) => void assignments.push(partitions.map((tp) => `${tp.topic.name}${tp.partition}`)),
    current: () => assignments.at(-1) ?? [],
  }
}

function group(file: BusFile, id = 'g') {
  const wake = new WakeSignal()
  // Observed, not replaced: every notify still wakes the waiters.
  const notify = vi.spyOn(wake, 'notify')
  return { group: new ConsumerGroup(id, file.log, file.offsets, wake), wake, notify }
}

const partition = (file: BusFile, topic: string, p: number): TopicPartition => topicPartition(file.log.requireTopic(topic), p)
const record = (topic: string, key: string, value: string): OutgoingRecord => ({ topic, key, value: Buffer.from(value), headers: {} })

describe('ConsumerGroup membership and assignment', () => {
  test('members should share the partitions round-robin, in topic name and partition order, in joining order, as members join and leave', () => {
    // Created and subscribed b before a: the order of the names decides.
    const file = files.open([
      { topic: 'b', partitions: 2 },
      { topic: 'a', partitions: 3 },
    ])
    const { group: g } = group(file)
    const [m1, m2, m3] = [member(['b', 'a']), member(['a', 'b']), member(['a', 'b'])]
    g.join(m1)
    expect(g.size).toBe(1)
    expect(m1.current()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1'])
    g.join(m2)
    expect([m1.current(), m2.current()]).toEqual([
      ['a0', 'a2', 'b1'],
      ['a1', 'b0'],
    ])
    g.join(m3)
    expect(g.size).toBe(3)
    expect([m1.current(), m2.current(), m3.current()]).toEqual([['a0', 'b0'], ['a1', 'b1'], ['a2']])
    g.leave(m2)
    expect(g.size).toBe(2)
    expect([m1.current(), m3.current()]).toEqual([
      ['a0', 'a2', 'b1'],
      ['a1', 'b0'],
    ])
    // The member that left is not called again: it stopped before leaving.
    expect(m2.assignments).toHaveLength(2)
    g.leave(m1)
    expect(m3.current()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1'])
    g.leave(m3)
    expect(g.size).toBe(0)
  })

  test('a topic should go only to the members subscribing to it, the turn running on over all partitions', () => {
    const file = files.open([
      { topic: 'a', partitions: 3 },
      { topic: 'b', partitions: 2 },
    ])
    const { group: g } = group(file)
    const [both, onlyB] = [member(['a', 'b']), member(['b'])]
    g.join(both)
    g.join(onlyB)
    // a0..a2 take turns 0..2 (all to `both`); b0 is turn 3 of two members, b1 turn 4.
    expect(both.current()).toEqual(['a0', 'a1', 'a2', 'b1'])
    expect(onlyB.current()).toEqual(['b0'])
  })

  test('one member asking for copartitioning should give partition p of every topic to the same member', () => {
    const file = files.open([
      { topic: 'a', partitions: 3 },
      { topic: 'b', partitions: 3 },
    ])
    const { group: g } = group(file)
    const [m1, m2] = [member(['a', 'b']), member(['a', 'b'], true)]
    g.join(m1)
    g.join(m2)
    // Round-robin would have given b0 to m2 (turn 3); by partition number it goes with a0.
    expect(m1.current()).toEqual(['a0', 'a2', 'b0', 'b2'])
    expect(m2.current()).toEqual(['a1', 'b1'])
  })

  test('a topic not in the bus file should assign nothing', () => {
    const file = files.open([{ topic: 'a', partitions: 1 }])
    const { group: g } = group(file)
    const [missing, mixed] = [member(['missing']), member(['missing', 'a'])]
    g.join(missing)
    g.join(mixed)
    expect(missing.current()).toEqual([])
    expect(mixed.current()).toEqual(['a0'])
  })

  test('every join and leave should wake the consumers, so that a member starts on its new partitions at once', () => {
    const file = files.open([{ topic: 'a', partitions: 2 }])
    const { group: g, notify } = group(file)
    const m = member(['a'])
    g.join(m)
    g.join(member(['a']))
    g.leave(m)
    expect(notify).toHaveBeenCalledTimes(3)
  })
})

describe('ConsumerGroup positions', () => {
  test('a group without a commit should be registered at the oldest record still in the file and start there', () => {
    const file = files.open([{ topic: 'a', partitions: 1 }])
    file.log.append(['x', 'y', 'z'].map((v) => record('a', 'k', v)))
    // Retention removed offsets 0 and 1.
    file.db.prepare('DELETE FROM record WHERE offset < 2').run()
    const { group: g } = group(file)
    const a0 = partition(file, 'a', 0)
    expect(file.offsets.committed('g', a0)).toBeUndefined()
    g.join(member(['a']))
    expect(file.offsets.committed('g', a0)).toBe(2)
    expect(g.position(a0)).toBe(2)
  })

  test('a group that committed before should resume from its commit, not from the oldest record', () => {
    const file = files.open([{ topic: 'a', partitions: 1 }])
    file.log.append(['x', 'y', 'z'].map((v) => record('a', 'k', v)))
    const a0 = partition(file, 'a', 0)
    file.offsets.commit('g', a0, 1)
    const { group: g } = group(file)
    g.join(member(['a']))
    expect(g.position(a0)).toBe(1)
    expect(file.offsets.committed('g', a0)).toBe(1)
  })

  test('a commit should move the position and be in the file; skipping past deleted records should move the position only', () => {
    const file = files.open([{ topic: 'a', partitions: 2 }], 'positions.sqlite')
    const [a0, a1] = [partition(file, 'a', 0), partition(file, 'a', 1)]
    const { group: g } = group(file)
    g.join(member(['a']))
    expect([g.position(a0), g.position(a1)]).toEqual([0, 0])
    g.commit(a0, 5)
    g.skipTo(a1, 9)
    expect([g.position(a0), g.position(a1)]).toEqual([5, 9])
    expect(file.offsets.committed('g', a1)).toBe(0)
    file.close()
    // After a restart the group reads its commits from the file again.
    const reopened = files.open([], 'positions.sqlite')
    const { group: again } = group(reopened)
    expect([again.position(partition(reopened, 'a', 0)), again.position(partition(reopened, 'a', 1))]).toEqual([5, 0])
  })

  test('a partition in a handler should not be ready, also after a rebalance moved it to another member, until released', () => {
    const file = files.open([{ topic: 'a', partitions: 2 }])
    const [a0, a1] = [partition(file, 'a', 0), partition(file, 'a', 1)]
    const { group: g } = group(file)
    const [first, second] = [member(['a']), member(['a'])]
    g.join(first)
    g.claim(a1)
    expect([g.isReady(a0), g.isReady(a1)]).toEqual([true, false])
    g.join(second)
    expect(second.current()).toEqual(['a1'])
    expect(g.isReady(a1)).toBe(false)
    g.release(a1)
    expect(g.isReady(a1)).toBe(true)
  })
})

describe('ConsumerGroup redelivery after a failure', () => {
  test('a failed partition should be held back for the delay, doubling from 250 ms per failure up to 10 s, then woken', () => {
    // The whole ladder takes 35.75 s of waiting; fake timers keep the test fast.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const file = files.open([{ topic: 'a', partitions: 1 }])
    const a0 = partition(file, 'a', 0)
    const { group: g, notify } = group(file)
    g.join(member(['a']))
    notify.mockClear()
    const delays: number[] = []
    for (let failure = 0; failure < 8; failure++) {
      const delay = g.failed(a0)
      delays.push(delay)
      expect(g.isReady(a0), `failure ${failure}`).toBe(false)
      vi.advanceTimersByTime(delay - 1)
      expect(g.isReady(a0), `failure ${failure}, 1 ms early`).toBe(false)
      expect(notify).toHaveBeenCalledTimes(failure)
      vi.advanceTimersByTime(1)
      expect(g.isReady(a0), `failure ${failure}, at its delay`).toBe(true)
      expect(notify).toHaveBeenCalledTimes(failure + 1)
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000])
  })

  test('failures should count per partition, a commit should start the count again, and a rebalance should not release a held partition', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const file = files.open([{ topic: 'a', partitions: 2 }])
    const [a0, a1] = [partition(file, 'a', 0), partition(file, 'a', 1)]
    const { group: g } = group(file)
    g.join(member(['a']))
    expect(g.failed(a0)).toBe(250)
    vi.advanceTimersByTime(250)
    expect(g.failed(a0)).toBe(500)
    expect(g.isReady(a1)).toBe(true)
    expect(g.failed(a1)).toBe(250)
    g.join(member(['a']))
    vi.advanceTimersByTime(250)
    expect([g.isReady(a0), g.isReady(a1)]).toEqual([false, true])
    vi.advanceTimersByTime(250)
    expect(g.isReady(a0)).toBe(true)
    g.commit(a0, 1)
    expect(g.failed(a0)).toBe(250)
  })

  test('dispose should clear the pending retry timers once the last member has left', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const file = files.open([{ topic: 'a', partitions: 2 }])
    const { group: g, notify } = group(file)
    const m = member(['a'])
    g.join(m)
    g.failed(partition(file, 'a', 0))
    g.failed(partition(file, 'a', 1))
    expect(vi.getTimerCount()).toBe(2)
    g.leave(m)
    expect(g.size).toBe(0)
    g.dispose()
    expect(vi.getTimerCount()).toBe(0)
    notify.mockClear()
    vi.advanceTimersByTime(20_000)
    expect(notify).not.toHaveBeenCalled()
  })

  test('a handler failing on one partition should hold back only that partition: the other is handled meanwhile', async () => {
    const file = files.open([{ topic: 'a', partitions: 2 }])
    const { group: g, wake } = group(file)
    const { logger } = capturedLogger('warn')
    const handled: { partition: number; offset: string; at: number }[] = []
    let failedAt: number | undefined
    const consumer = new GroupConsumer(
      g,
      {
        groupId: 'g',
        topics: ['a'],
        partitionsInParallel: 2,
        handleBatch: async (records) => {
          const first = records[0]!
          if (first.partition === 0 && failedAt === undefined) {
            failedAt = Date.now()
            throw new Error('store away')
          }
          handled.push({ partition: first.partition, offset: first.offset, at: Date.now() })
        },
      },
      file.log,
      wake,
      { maxRecords: 1, maxBytes: 1 << 20 },
      logger,
      () => undefined,
    )
    g.join(consumer)
    consumer.start()
    try {
      const [k0, k1] = [keyFor(0, 2), keyFor(1, 2)]
      file.log.append([record('a', k0, 'p0'), record('a', k1, 'p1 first'), record('a', k1, 'p1 second')])
      wake.notify()
      await waitFor(() => file.offsets.committed('g', partition(file, 'a', 0)) === 1, 5000, 'partition 0 committed after its redelivery')
      // Partition 1 went on while partition 0 waited out its 250 ms.
      expect(handled.map((h) => `${h.partition}@${h.offset}`)).toEqual(['1@0', '1@1', '0@0'])
      expect(file.offsets.committed('g', partition(file, 'a', 1))).toBe(2)
      // Timers may fire a little early.
      expect(handled[2]!.at - failedAt!).toBeGreaterThanOrEqual(240)
    } finally {
      await consumer.stop()
      g.leave(consumer)
      g.dispose()
    }
  })
})
