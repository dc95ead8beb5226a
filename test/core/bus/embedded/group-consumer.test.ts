import { afterEach, describe, expect, test } from 'vitest'
import type { BatchContext, ConsumeOptions, IncomingRecord, OutgoingRecord } from '../../../../core/bus/bus.js'
import { ConsumerGroup, type GroupMember } from '../../../../core/bus/embedded/consumer-group.js'
import { GroupConsumer, type FetchLimits } from '../../../../core/bus/embedded/group-consumer.js'
import { topicPartition, type TopicPartition } from '../../../../core/bus/embedded/record-log.js'
import { WakeSignal } from '../../../../core/bus/embedded/wake-signal.js'
import { capturedLogger } from '../../../support/log-capture.js'
import { waitFor } from '../../../support/pipeline.js'
import { busFiles, keyFor, type BusFile } from './bus-file.js'

const files = busFiles()
const running: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of running.splice(0)) await stop()
  files.cleanup()
})

const record = (key: string, value: string): OutgoingRecord => ({ topic: 'readings', key, value: Buffer.from(value), headers: {} })

/** One member consuming as `EmbeddedBus.consume` sets it up: the group, the member, the shared wake signal. */
function consume(file: BusFile, options: Omit<ConsumeOptions, 'groupId' | 'topics'> & { topics?: string[] }, limits: FetchLimits = { maxRecords: 100, maxBytes: 1 << 20 }) {
  const { logger, lines } = capturedLogger('trace')
  const wake = new WakeSignal()
  const group = new ConsumerGroup('g', file.log, file.offsets, wake)
  const member = new GroupConsumer(group, { groupId: 'g', topics: ['readings'], ...options }, file.log, wake, limits, logger, () => undefined)
  group.join(member)
  member.start()
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await member.stop()
      group.leave(member)
      group.dispose()
    })())
  running.push(stop)
  return { group, wake, lines, stop, publish: (records: OutgoingRecord[]) => (file.log.append(records), wake.notify()) }
}

const partitionOf = (file: BusFile, p: number): TopicPartition => topicPartition(file.log.requireTopic('readings'), p)

describe('GroupConsumer', () => {
  test('should hand out batches within the record limit and commit each only after its handler resolved', async () => {
    const file = files.open([{ topic: 'readings', partitions: 1 }])
    file.log.append(['a', 'b', 'c'].map((v) => record('k', v)))
    const batches: string[][] = []
    let release!: () => void
    const firstHeld = new Promise<void>((resolve) => (release = resolve))
    let context: BatchContext | undefined
    consume(
      file,
      {
        handleBatch: async (records, ctx) => {
          context = ctx
          batches.push(records.map((r) => r.value.toString()))
          if (batches.length === 1) await firstHeld
        },
      },
      { maxRecords: 2, maxBytes: 1 << 20 },
    )
    await waitFor(() => batches.length === 1, 5000, 'the first batch')
    expect(file.offsets.committed('g', partitionOf(file, 0))).toBe(0)
    expect(context?.isActive()).toBe(true)
    await expect(context?.heartbeat()).resolves.toBeUndefined()
    release()
    await waitFor(() => file.offsets.committed('g', partitionOf(file, 0)) === 3, 5000, 'both batches committed')
    expect(batches).toEqual([['a', 'b'], ['c']])
  })

  test('a handler that throws should commit nothing and get the same records again after a backoff', async () => {
    const file = files.open([{ topic: 'readings', partitions: 1 }])
    const deliveries: { offsets: string[]; at: number }[] = []
    const { lines, publish } = consume(file, {
      handleBatch: async (records) => {
        deliveries.push({ offsets: records.map((r) => r.offset), at: Date.now() })
        if (deliveries.length === 1) throw new Error('store away')
      },
    })
    publish([record('k', 'a'), record('k', 'b')])
    await waitFor(() => file.offsets.committed('g', partitionOf(file, 0)) === 2, 5000, 'the redelivered batch committed')
    expect(deliveries.map((d) => d.offsets)).toEqual([
      ['0', '1'],
      ['0', '1'],
    ])
    // The first retry waits 250 ms; timers may fire a little early.
    expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(240)
    expect(lines.find((l) => l.msg === 'batch handler failed; the records will be delivered again')).toMatchObject({ level: 40, groupId: 'g', topic: 'readings', partition: 0, offset: '0', records: 2, retryInMs: 250 })
  })

  test('should move past records that are gone from the file without handing out anything', async () => {
    const file = files.open([{ topic: 'readings', partitions: 1 }])
    file.log.append(['a', 'b', 'c'].map((v) => record('k', v)))
    file.offsets.commit('g', partitionOf(file, 0), 0)
    // Retention deleted what the group had not read.
    file.db.prepare('DELETE FROM record').run()
    const handled: string[] = []
    const { publish } = consume(file, { handleBatch: async (records) => void handled.push(...records.map((r) => r.offset)) })
    publish([record('k', 'd')])
    await waitFor(() => handled.length === 1, 5000, 'the new record')
    expect(handled).toEqual(['3'])
    await waitFor(() => file.offsets.committed('g', partitionOf(file, 0)) === 4, 5000, 'the commit')
  })

  test('a failed read should be logged as a storage failure and tried again once the backoff is over', async () => {
    const file = files.open([{ topic: 'readings', partitions: 1 }])
    const handled: IncomingRecord[] = []
    const { lines, wake } = consume(file, { handleBatch: async (records) => void handled.push(...records) })
    file.log.append([record('k', 'a')])
    file.db.exec('ALTER TABLE record RENAME TO record_away')
    wake.notify()
    const failure = await waitFor(() => lines.find((l) => l.msg === 'embedded bus fetch failed'), 5000, 'the failed fetch')
    expect(failure).toMatchObject({ level: 50, groupId: 'g', topic: 'readings', partition: 0, retryInMs: 250, err: { code: 'BUS_STORAGE_FAILED' } })
    expect(handled).toEqual([])
    file.db.exec('ALTER TABLE record_away RENAME TO record')
    await waitFor(() => handled.length === 1, 5000, 'the record after the storage came back')
    expect(handled[0]?.value.toString()).toBe('a')
  })

  test('a failed commit should be logged and the batch delivered again', async () => {
    const file = files.open([{ topic: 'readings', partitions: 1 }])
    let deliveries = 0
    const { lines, publish } = consume(file, {
      handleBatch: async () => {
        deliveries++
        // The storage comes back while the batch waits for its second delivery.
        if (deliveries === 1) setTimeout(() => file.db.exec('ALTER TABLE group_offset_away RENAME TO group_offset'), 50)
      },
    })
    file.db.exec('ALTER TABLE group_offset RENAME TO group_offset_away')
    publish([record('k', 'a')])
    await waitFor(() => deliveries === 2, 5000, 'the second delivery')
    await waitFor(() => file.offsets.committed('g', partitionOf(file, 0)) === 1, 5000, 'the commit')
    expect(lines.find((l) => l.msg === 'commit failed; the records will be delivered again')).toMatchObject({ level: 50, offset: '0', records: 1, retryInMs: 250, err: { code: 'BUS_STORAGE_FAILED' } })
  })

  test('onAssignment should be called only when the partitions change, and its failure logged', async () => {
    const file = files.open([
      { topic: 'readings', partitions: 2 },
      { topic: 'other', partitions: 1 },
    ])
    let assignments = 0
    const { group, lines } = consume(file, {
      handleBatch: async () => undefined,
      onAssignment: () => {
        assignments++
        throw new Error('state reload failed')
      },
    })
    expect(assignments).toBe(1)
    expect(lines.find((l) => l.msg === 'onAssignment failed')).toMatchObject({ level: 50, groupId: 'g', err: { message: 'state reload failed' } })
    const member = (topics: string[]): GroupMember & { partitions: readonly TopicPartition[] } => ({ topics, copartitioned: false, partitions: [], assign(p) { this.partitions = p } })
    // A member of another topic leaves this one's partitions as they were.
    group.join(member(['other']))
    expect(assignments).toBe(1)
    const sharing = member(['readings'])
    group.join(sharing)
    expect(assignments).toBe(2)
    expect(sharing.partitions).toHaveLength(1)
  })

  test('partitions with a backlog should take turns, so that none starves the others', async () => {
    const file = files.open([{ topic: 'readings', partitions: 2 }])
    const [k0, k1] = [keyFor(0, 2), keyFor(1, 2)]
    file.log.append([k0, k0, k0, k1, k1, k1].map((k, i) => record(k, String(i))))
    const order: number[] = []
    consume(file, { handleBatch: async (records) => void order.push(records[0]!.partition) }, { maxRecords: 1, maxBytes: 1 << 20 })
    await waitFor(() => order.length === 6, 5000, 'six batches')
    expect(order).toEqual([0, 1, 0, 1, 0, 1])
  })
})
